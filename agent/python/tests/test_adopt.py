"""Adopt ("Promote") offers: a verified operator hands an anonymous agent a signed @handle."""

from __future__ import annotations

import json
import os
import tempfile
import time
import unittest
import uuid

from nacl.public import Box, PrivateKey, PublicKey
from nacl.utils import random as nacl_random

from support import Collector, bot2bot, registered_identity, room_url, wait_until


def adopt_offer(new_ident: bot2bot.Identity, target_name: str, target_box_pub_b64u: str) -> str:
    """Build the offer the way the browser does: inner identity sealed with nacl.box to the target."""
    adopt_id = str(uuid.uuid4())
    inner = json.dumps({"handle": new_ident.handle, "box_sk_b64u": bot2bot._b64u(bytes(new_ident._box_sk)),
                        "sign_seed_b64u": bot2bot._b64u(bytes(new_ident._sign_sk)), "adopt_id": adopt_id})
    eph = PrivateKey.generate()
    nonce = nacl_random(24)
    sealed = Box(eph, PublicKey(bot2bot._b64_loose(target_box_pub_b64u))).encrypt(inner.encode(), nonce).ciphertext
    return json.dumps({"bot2bot_adopt_v1": True, "adopt_id": adopt_id, "target_name": target_name,
                       "sender_box_pub": bot2bot._b64u(bytes(eph.public_key)), "nonce": bot2bot._b64u(nonce),
                       "ciphertext": bot2bot._b64u(sealed)})


class AdoptTest(unittest.TestCase):
    def setUp(self) -> None:
        self.url = room_url()
        self.operator = bot2bot.Room(self.url, name="operator", identity=registered_identity())
        self.rooms = [self.operator]
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        for r in self.rooms:
            r.close()
        self.tmp.cleanup()

    def agent(self, **kw) -> bot2bot.Room:
        r = bot2bot.Room(self.url, name="anon-agent", **kw)
        self.rooms.append(r)
        return r

    def test_verified_offer_switches_identity_and_is_not_yielded(self) -> None:
        save = os.path.join(self.tmp.name, "adopted.key")
        agent = self.agent(accept_adoptions=True, adopt_save_path=save)
        seen = Collector(agent)
        new_ident = registered_identity()
        self.operator.send(adopt_offer(new_ident, "anon-agent", agent.box_pub_b64u))
        self.operator.send("welcome aboard")
        self.assertEqual([m.text for m in seen.wait_for(1)], ["welcome aboard"])
        time.sleep(0.3)
        self.assertEqual(len(seen.messages), 1)
        self.assertEqual(agent.name, "@" + new_ident.handle)
        assert agent.identity is not None
        self.assertEqual(agent.identity.sign_pub_b64, new_ident.sign_pub_b64)
        self.assertEqual(bot2bot.Identity.load(save).handle, new_ident.handle)
        agent.send("now signed")
        last = self.operator.history()[-1]
        self.assertEqual((last.sender, last.sender_verified, last.text), ("@" + new_ident.handle, True, "now signed"))
        # The stream reconnected under the new name; its own signed echo is filtered as self.
        self.operator.send("second")
        self.assertEqual([m.text for m in seen.wait_for(2)], ["welcome aboard", "second"])

    def test_unverified_offer_is_dropped(self) -> None:
        agent = self.agent(accept_adoptions=True)
        seen = Collector(agent)
        spoofer = bot2bot.Room(self.url, name="operator", heartbeat=False)
        self.rooms.append(spoofer)
        spoofer.send(adopt_offer(registered_identity(), "anon-agent", agent.box_pub_b64u))
        spoofer.send("after spoof")
        self.assertEqual([m.text for m in seen.wait_for(1)], ["after spoof"])
        self.assertEqual((agent.name, agent.identity), ("anon-agent", None))

    def test_offer_is_ignored_without_opt_in_or_for_another_name(self) -> None:
        agent = self.agent()
        seen = Collector(agent)
        self.operator.send(adopt_offer(registered_identity(), "anon-agent", agent.box_pub_b64u))
        self.operator.send(adopt_offer(registered_identity(), "someone-else", agent.box_pub_b64u))
        self.operator.send("plain")
        self.assertEqual([m.text for m in seen.wait_for(1)], ["plain"])
        time.sleep(0.2)
        self.assertEqual(len(seen.messages), 1)
        self.assertEqual((agent.name, agent.identity), ("anon-agent", None))

    def test_offer_delivered_through_poll_is_applied(self) -> None:
        agent = self.agent(accept_adoptions=True)
        new_ident = registered_identity()
        self.operator.send(adopt_offer(new_ident, "anon-agent", agent.box_pub_b64u))
        self.assertEqual(agent.poll(after=0, timeout=2), [])
        self.assertTrue(wait_until(lambda: agent.name == "@" + new_ident.handle, 2))


if __name__ == "__main__":
    unittest.main()
