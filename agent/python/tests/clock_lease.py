"""Lease expiry and redelivery, run by python.test.ts against a relay whose clock it can move.

Not picked up by the default ``test*.py`` discovery: it needs $BOT2BOT_TEST_CLOCK_BASE (a relay on a
test clock) and $BOT2BOT_TEST_CLOCK_CONTROL (POST /advance?ms=N moves that clock forward).
"""

from __future__ import annotations

import os
import time
import unittest

import requests

import support  # noqa: F401 - puts the SDK on sys.path
import bot2bot

BASE = os.environ.get("BOT2BOT_TEST_CLOCK_BASE", "").rstrip("/")
CONTROL = os.environ.get("BOT2BOT_TEST_CLOCK_CONTROL", "").rstrip("/")
if not (BASE and CONTROL):
    raise RuntimeError("clock_lease.py needs BOT2BOT_TEST_CLOCK_BASE and BOT2BOT_TEST_CLOCK_CONTROL (python.test.ts sets them)")

_real_now_ms = bot2bot._now_ms


def advance(ms: int) -> None:
    """Move the relay's clock, and the SDK's signing clock with it so signatures stay fresh."""
    offset = requests.post(f"{CONTROL}/advance?ms={ms}", timeout=5).json()["offset"]
    bot2bot._now_ms = lambda: _real_now_ms() + offset


class LeaseTest(unittest.TestCase):
    def setUp(self) -> None:
        self.url = bot2bot.create_room_url(BASE)
        self.ident = bot2bot.Identity.create(support.handle(), base_url=BASE)
        self.ident.register()
        self.worker = bot2bot.Room(self.url, name="worker", identity=self.ident, heartbeat=False)
        self.boss = bot2bot.Room(self.url, name="boss", heartbeat=False)

    def tearDown(self) -> None:
        self.worker.close()
        self.boss.close()

    def test_unacked_claim_is_redelivered_after_the_lease(self) -> None:
        sent = self.boss.send("crash-prone job")
        first = self.worker.claim(timeout=5)
        assert first is not None
        advance(30_000)
        same = self.worker.claim(timeout=5)
        assert same is not None
        self.assertEqual(same["claim_id"], first["claim_id"])  # lease still running
        advance(31_500)
        again = self.worker.claim(timeout=5)
        assert again is not None
        self.assertEqual((again["message"].seq, again["message"].text), (sent["seq"], "crash-prone job"))
        self.assertNotEqual(again["claim_id"], first["claim_id"])
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            self.worker.ack_claim(first["claim_id"], sent["seq"])
        self.assertEqual(cm.exception.status, 409)
        self.assertTrue(self.worker.ack_claim(again["claim_id"], sent["seq"])["advanced"])
        self.assertIsNone(self.worker.claim(timeout=1))

    def test_next_task_whose_handler_fails_is_redelivered(self) -> None:
        self.boss.send("retry me")
        self.assertIsNone(self.worker.next_task(timeout=5, on_claim=lambda m: False))
        advance(61_000)
        handled: list[str] = []
        msg = self.worker.next_task(timeout=5, on_claim=lambda m: handled.append(m.text or ""))
        self.assertEqual((msg.text if msg else None, handled), ("retry me", ["retry me"]))
        started = time.monotonic()
        self.assertIsNone(self.worker.next_task(timeout=1))
        self.assertLess(time.monotonic() - started, 5)

    def test_longer_lease_requested_with_ttl_ms(self) -> None:
        self.boss.send("long job")
        first = self.worker.claim(timeout=5, ttl_ms=120_000)
        assert first is not None
        advance(90_000)
        same = self.worker.claim(timeout=5, ttl_ms=120_000)
        assert same is not None
        self.assertEqual(same["claim_id"], first["claim_id"])
        self.assertTrue(self.worker.ack_claim(same["claim_id"], same["message"].seq)["advanced"])


if __name__ == "__main__":
    unittest.main()
