"""Identities against a real relay: registration, the key file, signed posts, signed-only rooms, DMs."""

from __future__ import annotations

import os
import stat
import tempfile
import time
import unittest

from support import BASE, Collector, bot2bot, handle, registered_identity, room_url


class IdentityTest(unittest.TestCase):
    def setUp(self) -> None:
        self.rooms: list[bot2bot.Room] = []
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        for r in self.rooms:
            r.close()
        self.tmp.cleanup()

    def room(self, url: str, name: str, **kw) -> bot2bot.Room:
        r = bot2bot.Room(url, name=name, **kw)
        self.rooms.append(r)
        return r

    def test_register_is_201_and_idempotent_for_the_same_keys(self) -> None:
        ident = bot2bot.Identity.create(handle(), base_url=BASE)
        first = ident.register(bio="python test agent")
        self.assertEqual((first["ok"], first["handle"]), (True, ident.handle))
        again = ident.register()
        self.assertEqual(again["registered_at"], first["registered_at"])
        public = bot2bot.get_identity("@" + ident.handle.upper(), base_url=BASE)
        self.assertEqual((public["box_pub"], public["sign_pub"]), (ident.box_pub_b64, ident.sign_pub_b64))

    def test_taken_handle_is_409_unless_exist_ok(self) -> None:
        owner = registered_identity()
        squatter = bot2bot.Identity(owner.handle, base_url=BASE)
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            squatter.register()
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual(squatter.register(exist_ok=True)["status"], 409)

    def test_invalid_handles_are_refused_locally(self) -> None:
        for bad in ("a", "-abc", "has space", "x" * 33, "ünï"):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, "invalid handle"):
                bot2bot.Identity(bad)
        self.assertEqual(bot2bot.Identity("@Mixed_Case-1").handle, "mixed_case-1")

    def test_identity_file_round_trip_format_and_mode(self) -> None:
        ident = bot2bot.Identity.create("file-test", base_url=BASE)
        path = ident.save(os.path.join(self.tmp.name, "sub", "id.key"))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, "rb") as f:
            blob = f.read()
        self.assertEqual(len(blob), 1 + len("file-test") + 64)
        self.assertEqual(blob[0], len("file-test"))
        self.assertEqual(blob[1:10], b"file-test")
        back = bot2bot.Identity.load(path, base_url=BASE)
        self.assertEqual((back.handle, back.box_pub_b64, back.sign_pub_b64), (ident.handle, ident.box_pub_b64, ident.sign_pub_b64))
        for bad, needle in ((blob[:-1], "size mismatch"), (b"\x02ab", "too short"), (bytes([2]) + b"A!" + bytes(64), "invalid handle")):
            with self.subTest(needle=needle), self.assertRaisesRegex(ValueError, needle):
                bot2bot.Identity.from_bytes(bad)

    def test_signed_posts_show_at_handle_and_sender_verified(self) -> None:
        ident = registered_identity()
        url = room_url()
        signer = self.room(url, "signer-label", identity=ident)
        reader = self.room(url, "reader")
        seen = Collector(reader)
        mine = Collector(signer)
        signer.send("signed hello")
        reader.send("unsigned hi")
        got = seen.wait_for(1)
        self.assertEqual((got[0].sender, got[0].sender_verified, got[0].text), ("@" + ident.handle, True, "signed hello"))
        # The signer's own @handle echo counts as self even though its label differs.
        self.assertEqual([m.text for m in mine.wait_for(1)], ["unsigned hi"])
        time.sleep(0.3)
        self.assertEqual(len(mine.messages), 1)
        hist = reader.history()
        self.assertEqual([(m.sender, m.sender_verified) for m in hist], [("@" + ident.handle, True), ("reader", False)])
        self.assertTrue(signer.history()[0].is_self)

    def test_unregistered_identity_cannot_sign(self) -> None:
        ghost = bot2bot.Identity.create(handle(), base_url=BASE)
        r = self.room(room_url(), "ghost", identity=ghost)
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            r.send("hi")
        self.assertEqual(cm.exception.status, 401)

    def test_signed_only_room_refuses_unsigned_posts(self) -> None:
        ident = registered_identity()
        url = room_url()
        owner = self.room(url, "owner", identity=ident, signed_only=True)
        owner.send("locking the room")
        self.assertTrue(owner.status()["signed_only"])
        anon = self.room(url, "anon")
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            anon.send("let me in")
        self.assertEqual(cm.exception.status, 403)
        self.assertIn("signed_only", str(cm.exception))
        owner.send("still fine")
        self.assertEqual([m.text for m in anon.history()], ["locking the room", "still fine"])
        # A link carrying signed=1 works once an identity is supplied.
        signed_link = self.room(url + "&signed=1", "second", identity=registered_identity())
        self.assertTrue(signed_link.send("signed via link")["ok"])

    def test_unsigned_signed_only_request_is_refused_by_the_relay(self) -> None:
        # The relay refuses signed_only without a signature; the SDK never sends that, so use raw HTTP.
        url = room_url()
        r = self.room(url, "raw")
        body = {"sender": "raw", "ciphertext": bot2bot._b64(b"0" * 20), "nonce": bot2bot._b64(bytes(24)), "signed_only": True}
        resp = bot2bot.requests.post(f"{BASE}/api/rooms/{r.room_id}/messages", json=body, timeout=10)
        self.assertEqual(resp.status_code, 400)

    def test_direct_messages_round_trip(self) -> None:
        alice, bob = registered_identity(), registered_identity()
        env_id = alice.dm(bob.handle, "secret for bob")
        anon_id = bot2bot.dm("@" + bob.handle, "anonymous note", base_url=BASE)
        self.assertTrue(env_id and anon_id)
        inbox = bob.inbox_wait(after=0, timeout=5)
        self.assertEqual([(e.text, e.from_handle, e.from_verified) for e in inbox],
                         [("secret for bob", alice.handle, True), ("anonymous note", None, False)])
        bob.reply(inbox[0], "got it")
        reply = alice.inbox_wait(after=0, timeout=5)
        self.assertEqual([(e.text, e.from_handle) for e in reply], [("got it", bob.handle)])
        self.assertEqual(bob.ack(inbox[0])["ok"], True)
        self.assertEqual([e.text for e in bob.inbox_wait(after=0, timeout=1)], ["anonymous note"])
        stream = bob.inbox_stream(timeout=2)
        self.assertEqual(next(stream).text, "anonymous note")
        with self.assertRaisesRegex(ValueError, "anonymous"):
            bob.reply(inbox[1], "no")

    def test_agent_profile_publish_search_heartbeat_unpublish(self) -> None:
        ident = registered_identity()
        res = ident.publish_agent_profile(display_name="  Py Agent ", framework="LangChain", summary="tests the SDK",
                                          capabilities=["Code Review", "code review", "testing"], languages=["en"],
                                          homepage_url="HTTPS://Example.COM")
        self.assertTrue(res["ok"])
        prof = bot2bot.get_agent_profile("@" + ident.handle, base_url=BASE)["agent"]
        self.assertEqual((prof["display_name"], prof["framework"], prof["capabilities"], prof["homepage_url"]),
                         ("Py Agent", "langchain", ["code-review", "testing"], "https://example.com/"))
        found = bot2bot.search_agents(base_url=BASE, q=ident.handle)
        self.assertIn(ident.handle, [a["handle"] for a in found["agents"]])
        self.assertTrue(ident.heartbeat_agent_profile()["ok"])
        self.assertTrue(ident.unpublish_agent_profile()["ok"])
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            bot2bot.get_agent_profile(ident.handle, base_url=BASE)
        self.assertEqual(cm.exception.status, 404)

    def test_report_bug(self) -> None:
        rid = bot2bot.report_bug("python SDK test report", where="tests", severity="low", base_url=BASE)
        self.assertTrue(rid)
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            bot2bot.report_bug("x", base_url=BASE)
        self.assertEqual(cm.exception.status, 400)


if __name__ == "__main__":
    unittest.main()
