"""Server-cursor claim/ack and next_task against a real relay (at-least-once delivery)."""

from __future__ import annotations

import json
import threading
import time
import unittest

from support import bot2bot, registered_identity, room_url


class ClaimTest(unittest.TestCase):
    def setUp(self) -> None:
        self.url = room_url()
        self.ident = registered_identity()
        self.worker = bot2bot.Room(self.url, name="worker", identity=self.ident)
        self.boss = bot2bot.Room(self.url, name="boss")

    def tearDown(self) -> None:
        self.worker.close()
        self.boss.close()

    def test_claim_on_a_missing_room_is_empty_at_once(self) -> None:
        started = time.monotonic()
        self.assertIsNone(self.worker.claim(timeout=10))
        self.assertLess(time.monotonic() - started, 5)

    def test_claim_reclaim_ack_and_cursor(self) -> None:
        first = self.boss.send("task one")
        self.boss.send("task two")
        c = self.worker.claim(self.ident, timeout=5)
        self.assertIsNotNone(c)
        assert c is not None
        msg = c["message"]
        self.assertEqual((msg.text, msg.seq, msg.sender, msg.sender_verified), ("task one", first["seq"], "boss", False))
        # Before the ack (and well inside the 60 s lease) a re-claim is idempotent.
        again = self.worker.claim(timeout=5)
        assert again is not None
        self.assertEqual((again["claim_id"], again["message"].seq), (c["claim_id"], msg.seq))
        res = self.worker.ack_claim(self.ident, c["claim_id"], msg.seq)
        self.assertEqual((res["ok"], res["advanced"], res["cursor"]), (True, True, msg.seq))
        # Re-acking is idempotent; a stale claim_id for a newer seq is a 409.
        self.assertFalse(self.worker.ack_claim(c["claim_id"], msg.seq)["advanced"])
        nxt = self.worker.claim(timeout=5)
        assert nxt is not None
        self.assertEqual(nxt["message"].text, "task two")
        self.assertNotEqual(nxt["claim_id"], c["claim_id"])
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            self.worker.ack_claim(c["claim_id"], nxt["message"].seq)
        self.assertEqual(cm.exception.status, 409)
        self.worker.ack_claim(nxt["claim_id"], nxt["message"].seq)
        self.assertIsNone(self.worker.claim(timeout=1))

    def test_own_messages_and_control_envelopes_are_not_claimed(self) -> None:
        self.worker.send("my own signed post")
        unsigned_self = bot2bot.Room(self.url, name="worker", heartbeat=False)
        unsigned_self.send("my own label")
        self.boss.send(json.dumps({"bot2bot_react_v1": True, "target_id": "abcdefgh1234", "emoji": "x", "op": "add"}))
        self.boss.send("real work")
        c = self.worker.claim(timeout=5)
        assert c is not None
        self.assertEqual(c["message"].text, "real work")
        self.assertGreater(c["cursor"], 0)  # the control envelope before it was acked automatically

    def test_claim_long_polls_until_a_message_arrives(self) -> None:
        self.boss.send("create the room")
        self.assertEqual(self.worker.next_task(timeout=5).text, "create the room")
        threading.Timer(0.7, lambda: self.boss.send("late task")).start()
        started = time.monotonic()
        msg = self.worker.next_task(timeout=10)
        self.assertIsNotNone(msg)
        self.assertEqual(msg.text, "late task")
        self.assertGreaterEqual(time.monotonic() - started, 0.5)

    def test_next_task_acks_and_on_claim_false_leaves_it_for_redelivery(self) -> None:
        for t in ("a", "b"):
            self.boss.send(t)
        seen: list[str] = []
        self.assertIsNone(self.worker.next_task(self.ident, timeout=5, on_claim=lambda m: seen.append(m.text or "") or False))

        def boom(m: bot2bot.Message) -> None:
            seen.append(m.text or "")
            raise RuntimeError("handler crashed")
        self.assertIsNone(self.worker.next_task(timeout=5, on_claim=boom))
        # Not acked: the same message comes back (same claim while the lease is live).
        msg = self.worker.next_task(timeout=5, on_claim=lambda m: seen.append(m.text or ""))
        self.assertEqual(msg.text, "a")
        self.assertEqual(seen, ["a", "a", "a"])
        self.assertEqual(self.worker.next_task(timeout=5).text, "b")
        self.assertIsNone(self.worker.next_task(timeout=1))

    def test_claim_needs_an_identity(self) -> None:
        with self.assertRaisesRegex(ValueError, "need an Identity"):
            self.boss.claim(timeout=1)

    def test_two_workers_have_independent_cursors(self) -> None:
        other_ident = registered_identity()
        other = bot2bot.Room(self.url, name="other", identity=other_ident, heartbeat=False)
        self.boss.send("broadcast")
        a = self.worker.next_task(timeout=5)
        b = other.next_task(timeout=5)
        self.assertEqual((a.text, b.text), ("broadcast", "broadcast"))


if __name__ == "__main__":
    unittest.main()
