"""Room basics against a real relay: send, stream, poll, history, status, control envelopes."""

from __future__ import annotations

import json
import time
import unittest

from support import BASE, Collector, bot2bot, room_url, wait_subscribed, wait_until

REACTION = json.dumps({"bot2bot_react_v1": True, "target_id": "abcdefgh1234", "emoji": "👍", "op": "add"})
DELETE = json.dumps({"bot2bot_delete_v1": True, "target_id": "abcdefgh1234"})
LEGACY = json.dumps({"safebot_delete_v1": True, "target_id": "abcdefgh1234"})
FUTURE = json.dumps({"bot2bot_poll_vote_v7": True, "x": 1})


class RoomTest(unittest.TestCase):
    def setUp(self) -> None:
        self.url = room_url()
        self.rooms: list[bot2bot.Room] = []

    def tearDown(self) -> None:
        for r in self.rooms:
            r.close()

    def room(self, name: str, **kw) -> bot2bot.Room:
        r = bot2bot.Room(self.url, name=name, **kw)
        self.rooms.append(r)
        return r

    def test_send_and_stream_between_two_rooms(self) -> None:
        alice, bob = self.room("alice"), self.room("bob")
        at_bob = Collector(bob)
        at_alice = Collector(alice)
        wait_subscribed(alice, 2)
        sent = alice.send("hello bob, ünïcode ✓")
        self.assertTrue(sent["ok"])
        bob.send("hi alice")
        got = at_bob.wait_for(1)
        self.assertEqual([m.text for m in got], ["hello bob, ünïcode ✓"])
        m = got[0]
        self.assertEqual((m.sender, m.seq, m.id, m.is_self, m.sender_verified), ("alice", sent["seq"], sent["id"], False, False))
        self.assertAlmostEqual(m.ts, time.time(), delta=120)
        self.assertEqual(at_alice.wait_for(1)[0].text, "hi alice")
        time.sleep(0.3)
        # Own messages are filtered by default: each side saw exactly the other's message.
        self.assertEqual(len(at_bob.messages), 1)
        self.assertEqual(len(at_alice.messages), 1)
        self.assertIsNone(at_bob.error)

    def test_stream_include_self_replays_backlog_in_order_and_resumes_after(self) -> None:
        alice = self.room("alice")
        seqs = [alice.send(f"m{i}")["seq"] for i in range(3)]
        self.assertEqual(seqs, sorted(seqs))
        mine = Collector(alice, include_self=True)
        got = mine.wait_for(3)
        self.assertEqual([m.text for m in got], ["m0", "m1", "m2"])
        self.assertTrue(all(m.is_self for m in got))
        later = Collector(self.room("late"), after=seqs[1])
        self.assertEqual([m.text for m in later.wait_for(1)], ["m2"])

    def test_control_envelopes_are_not_yielded(self) -> None:
        alice, bob = self.room("alice"), self.room("bob")
        at_bob = Collector(bob)
        for text in (REACTION, DELETE, LEGACY, FUTURE, "after controls"):
            alice.send(text)
        self.assertEqual([m.text for m in at_bob.wait_for(1)], ["after controls"])
        time.sleep(0.3)
        self.assertEqual(len(at_bob.messages), 1)
        # JSON without a true marker is ordinary chat.
        alice.send('{"bot2bot_react_v1": "true"}')
        self.assertEqual(at_bob.wait_for(2)[1].text, '{"bot2bot_react_v1": "true"}')
        self.assertEqual([m.text for m in bob.history()], ["after controls", '{"bot2bot_react_v1": "true"}'])
        self.assertEqual([m.text for m in bob.poll(after=0, timeout=1)], ["after controls", '{"bot2bot_react_v1": "true"}'])

    def test_poll_returns_at_once_or_after_a_post(self) -> None:
        alice, bob = self.room("alice"), self.room("bob")
        self.assertEqual(bob.poll(after=0, timeout=1), [])  # room does not exist yet: immediate empty
        first = alice.send("one")
        got = bob.poll(after=0, timeout=5)
        self.assertEqual([(m.text, m.seq) for m in got], [("one", first["seq"])])
        self.assertEqual(alice.poll(after=0, timeout=1), [])  # own messages filtered
        self.assertEqual([m.text for m in alice.poll(after=0, timeout=1, include_self=True)], ["one"])
        started = time.monotonic()
        import threading
        threading.Timer(0.5, lambda: alice.send("two")).start()
        got = bob.poll(after=first["seq"], timeout=10)
        self.assertEqual([m.text for m in got], ["two"])
        self.assertLess(time.monotonic() - started, 8)

    def test_history_and_status(self) -> None:
        alice = self.room("alice")
        self.assertEqual(alice.history(), [])
        self.assertFalse(alice.status()["exists"])
        seqs = [alice.send(t)["seq"] for t in ("a", "b", "c")]
        hist = alice.history()
        self.assertEqual([(m.text, m.seq, m.is_self) for m in hist], [("a", seqs[0], True), ("b", seqs[1], True), ("c", seqs[2], True)])
        self.assertEqual([m.text for m in alice.history(after=seqs[0], limit=1)], ["b"])
        st = alice.status()
        self.assertTrue(st["exists"])
        self.assertEqual(st["roomId"], alice.room_id)
        self.assertEqual(st["last_seq"], seqs[-1])
        self.assertEqual(st["recent_count"], 3)
        self.assertFalse(st["signed_only"])

    def test_close_ends_a_running_stream_promptly(self) -> None:
        alice = self.room("alice")
        alice.send("x")
        c = Collector(alice, include_self=True)
        c.wait_for(1)
        started = time.monotonic()
        alice.close()
        self.assertTrue(wait_until(lambda: not c.alive(), 5))
        self.assertLess(time.monotonic() - started, 5)
        self.assertIsNone(c.error)

    def test_undecryptable_message_has_text_none(self) -> None:
        alice = self.room("alice")
        other_key = bot2bot.create_room_url(BASE).split("#k=")[1]
        stranger = bot2bot.Room(f"{BASE}/room/{alice.room_id}#k={other_key}", name="stranger", heartbeat=False)
        self.rooms.append(stranger)
        stranger.send("you cannot read this")
        hist = alice.history()
        self.assertEqual(len(hist), 1)
        self.assertIsNone(hist[0].text)
        self.assertEqual(hist[0].sender, "stranger")

    def test_heartbeat_shows_presence_without_a_stream(self) -> None:
        poster = self.room("poster")
        poster.send("create the room")
        self.room("listener-hb")  # heartbeat thread posts /listening at once
        # Presence of heartbeat-only agents is visible to stream subscribers.
        r = bot2bot.requests.get(f"{BASE}/api/rooms/{poster.room_id}/events", stream=True, timeout=(5, 5))
        try:
            seen = ""
            for chunk in r.iter_content(chunk_size=None):
                seen += chunk.decode("utf-8", "replace")
                if "listener-hb" in seen:
                    break
            self.assertIn("listener-hb", seen)
        finally:
            r.close()

    def test_send_rejection_raises_bot2bot_error(self) -> None:
        alice = self.room("alice")
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            alice.send("x", ttl_ms=5)  # below the relay's 30 s floor
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("bad message", str(cm.exception))


class RoomUrlTest(unittest.TestCase):
    KEY = bot2bot._b64u(bytes(range(32)))

    def test_parses_origin_id_key_with_padding_restored(self) -> None:
        origin, rid, key, params = bot2bot.parse_room_url(f"https://example.test:8443/room/Ab_-9/#k={self.KEY}&m=xyz")
        self.assertEqual((origin, rid, key, params["m"]), ("https://example.test:8443", "Ab_-9", bytes(range(32)), "xyz"))
        self.assertEqual(len(self.KEY), 43)  # unpadded on the wire

    def test_rejects_bad_links_with_clear_errors(self) -> None:
        cases = {
            "not a url": "expected",
            f"https://x.test/rooms/ABCD#k={self.KEY}": "path must be /room/<id>",
            f"https://x.test/room/AB#k={self.KEY}": "path must be /room/<id>",
            f"https://x.test/room/AB.CD#k={self.KEY}": "path must be /room/<id>",
            "https://x.test/room/ABCD": "missing room key",
            "https://x.test/room/ABCD#k=" + bot2bot._b64u(bytes(16)): "need 32",
            "https://x.test/room/ABCD#k=@@@@": "room key",
        }
        for url, needle in cases.items():
            with self.subTest(url=url), self.assertRaises(ValueError) as cm:
                bot2bot.Room(url, name="t", heartbeat=False)
            self.assertIn(needle, str(cm.exception))

    def test_signed_link_requires_identity(self) -> None:
        with self.assertRaisesRegex(ValueError, "signed=1"):
            bot2bot.Room(f"https://x.test/room/ABCD#k={self.KEY}&signed=1", name="t", heartbeat=False)
        with self.assertRaisesRegex(ValueError, "requires an Identity"):
            bot2bot.Room(f"https://x.test/room/ABCD#k={self.KEY}", name="t", heartbeat=False, signed_only=True)

    def test_box_pub_is_unpadded_base64url_of_32_bytes(self) -> None:
        r = bot2bot.Room(f"https://x.test/room/ABCD#k={self.KEY}", name="t", heartbeat=False)
        self.assertEqual(len(r.box_pub_b64u), 43)
        self.assertNotIn("=", r.box_pub_b64u)
        self.assertEqual(len(bot2bot._b64_loose(r.box_pub_b64u)), 32)

    def test_control_marker_classification(self) -> None:
        self.assertEqual(bot2bot.control_marker(REACTION), "bot2bot_react_v1")
        self.assertEqual(bot2bot.control_marker(LEGACY), "safebot_delete_v1")
        self.assertEqual(bot2bot.control_marker(FUTURE), "bot2bot_poll_vote_v7")
        self.assertEqual(bot2bot.control_marker('{"bot2bot_adopt_v1":true,"bot2bot_delete_v1":true}'), "bot2bot_adopt_v1")
        # Files and edits carry the adopt marker so reference clients hide them; they win here.
        self.assertEqual(bot2bot.control_marker('{"bot2bot_adopt_v1":true,"bot2bot_file_v1":true}'), "bot2bot_file_v1")
        self.assertEqual(bot2bot.control_marker('{"bot2bot_edit_v1":true,"bot2bot_adopt_v1":true}'), "bot2bot_edit_v1")
        for chat in ("hello", '{"bot2bot_react_v1": 1}', "{not json", "[1,2]", '{"other_v1": true}', ""):
            self.assertIsNone(bot2bot.control_marker(chat), chat)


if __name__ == "__main__":
    unittest.main()
