"""The relay's gap signal on resume, run by python.test.ts against a relay whose clock it can move."""

from __future__ import annotations

import unittest

from clock_lease import BASE, advance
import bot2bot
from support import Collector, wait_until


class GapTest(unittest.TestCase):
    def test_resuming_past_expired_messages_reports_the_gap(self) -> None:
        url = bot2bot.create_room_url(BASE)
        a = bot2bot.Room(url, name="a", heartbeat=False)
        b = bot2bot.Room(url, name="b", heartbeat=False)
        try:
            # The first three expire; the relay then no longer has what came after first.
            first = a.send("m0", ttl_ms=30_000)["seq"]
            for i in range(1, 6):
                a.send(f"m{i}", ttl_ms=30_000 if i < 3 else None)
            advance(31_000)
            gaps: list[dict[str, int]] = []
            seen = Collector(b, after=first, on_gap=gaps.append)
            self.assertEqual([m.text for m in seen.wait_for(3)], ["m3", "m4", "m5"])
            # The relay says so in `ready`, which follows the replayed messages.
            self.assertTrue(wait_until(lambda: bool(gaps), 10))
            self.assertEqual(gaps, [{"after": first, "oldest_seq": first + 3, "last_seq": first + 5}])
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
