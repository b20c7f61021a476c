"""What a joining agent treats as new work, the loop guard, and optimistic posting."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import sys
import threading
import unittest

from support import BASE, SDK_PATH, Collector, room_url, wait_subscribed, wait_until
import bot2bot


class JoiningTest(unittest.TestCase):
    def setUp(self) -> None:
        self.rooms: list[bot2bot.Room] = []

    def tearDown(self) -> None:
        for r in self.rooms:
            r.close()

    def room(self, url: str, name: object = None, **kw) -> bot2bot.Room:
        r = bot2bot.Room(url, name=name, heartbeat=False, **kw)  # type: ignore[arg-type]
        self.rooms.append(r)
        return r

    def test_stream_starts_from_now_and_history_last_gives_the_context(self) -> None:
        url = room_url()
        human = self.room(url, "alice")
        bot = self.room(url, "bot")
        for t in ("old 1", "old 2", "@bot please look at the above"):
            human.send(t)
        live = Collector(bot, after=None)
        wait_subscribed(human, 1)
        human.send("new one")
        self.assertEqual([m.text for m in live.wait_for(1)], ["new one"])
        self.assertEqual([m.text for m in bot.history(last=2)], ["@bot please look at the above", "new one"])
        replay = Collector(self.room(url, "bot2"), backlog=True)
        self.assertEqual([m.text for m in replay.wait_for(4)], ["old 1", "old 2", "@bot please look at the above", "new one"])

    def test_expected_last_seq_refuses_a_stale_post(self) -> None:
        url = room_url()
        a, b = self.room(url, "a"), self.room(url, "b")
        first = a.send("question?", expected_last_seq=0)
        b.send("someone else answered first")
        with self.assertRaises(bot2bot.RoomMovedOnError) as cm:
            a.send("late answer", expected_last_seq=first["seq"])
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual(cm.exception.last_seq, first["seq"] + 1)
        self.assertEqual([m.text for m in a.history()], ["question?", "someone else answered first"])
        ok = a.send("on time", expected_last_seq=first["seq"] + 1)
        self.assertEqual(ok["seq"], first["seq"] + 2)
        with self.assertRaises(ValueError):
            a.send("x", expected_last_seq=-1)

    def test_cli_tail_starts_from_now_and_say_honours_expected_last_seq(self) -> None:
        url = room_url()
        peer = self.room(url, "peer")
        old = peer.send("old news")
        env = {**os.environ, "HOME": os.environ.get("HOME", "/tmp")}
        proc = subprocess.Popen([sys.executable, SDK_PATH, url, "--name", "fresh", "--tail"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(20, proc.kill)
        watchdog.start()
        try:
            wait_subscribed(peer, 1)
            peer.send("fresh news")
            assert proc.stdout is not None
            line = proc.stdout.readline()
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
            watchdog.cancel()
        self.assertIn('"fresh news"', line)
        stale = subprocess.run([sys.executable, SDK_PATH, url, "--name", "opt", "--say", "late",
                                "--expected-last-seq", str(old["seq"])], capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(stale.returncode, 2, stale.stderr)
        self.assertEqual(stale.stdout.strip(), '{"error": "room has moved on", "last_seq": %d}' % (old["seq"] + 1))
        self.assertEqual([m.text for m in peer.history()], ["old news", "fresh news"])


    def test_cli_first_next_leaves_earlier_messages_as_history(self) -> None:
        url = room_url()
        boss = self.room(url, "boss")
        boss.send("said before the worker joined")
        tmp = tempfile.mkdtemp(prefix="b2b-py-join-")
        env = {**os.environ, "HOME": tmp}
        idfile = os.path.join(tmp, "w.key")

        def nxt(*extra: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, SDK_PATH, url, "--next", "--handle", "pyjoin" + os.urandom(3).hex(),
                                   "--identity-file", idfile, "--claim-timeout", "1", *extra],
                                  capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(nxt().returncode, 1)
        boss.send("after joining")
        got = nxt()
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(json.loads(got.stdout)["text"], "after joining")
        other = subprocess.run([sys.executable, SDK_PATH, url, "--next", "--backlog", "--handle", "pyjoin" + os.urandom(3).hex(),
                                "--identity-file", os.path.join(tmp, "o.key"), "--claim-timeout", "1"],
                               capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(json.loads(other.stdout)["text"], "said before the worker joined")


class LoopGuardTest(unittest.TestCase):
    def test_two_agents_echoing_each_other_stop_at_the_budget_and_a_human_lifts_it(self) -> None:
        url = room_url()
        # The launcher's default names: nothing in them says "agent". Not present as web clients,
        # so neither counts as human; alice does because she is listed (as BOT2BOT_HUMANS would).
        a = bot2bot.Room(url, name="codex-exec-local", heartbeat=False, reply_budget=bot2bot.ReplyBudget(humans=["alice"]))
        b = bot2bot.Room(url, name="claude-code-local", heartbeat=False, reply_budget=bot2bot.ReplyBudget(humans=["alice"]))
        refused: dict[str, list[str]] = {a.name: [], b.name: []}

        def echo(room: bot2bot.Room) -> None:
            for m in room.stream():
                try:
                    room.send(f"echo: {(m.text or '')[:40]}")
                except bot2bot.ReplyBudgetError as e:
                    refused[room.name].append(str(e))

        threads = [threading.Thread(target=echo, args=(r,), daemon=True) for r in (a, b)]
        try:
            for t in threads:
                t.start()
            wait_subscribed(a, 2)
            a.send("ping")
            self.assertTrue(wait_until(lambda: bool(refused[b.name]), 30), "the budget never stopped the exchange")
            hist = a.history(limit=500)
            # The seed plus eight replies each; then b stays silent and a has nothing to answer.
            self.assertEqual(len(hist), 17)
            self.assertEqual(sum(m.sender == a.name for m in hist), 9)
            self.assertEqual(sum(m.sender == b.name for m in hist), 8)
            self.assertRegex(refused[b.name][0], r"^loop guard: this agent has replied 8 times in a row with no human")
            self.assertEqual(refused[a.name], [])
            other = bot2bot.Room(url, name="carol", heartbeat=False)
            other.send("not a web client, not listed: carry on")
            other.close()
            self.assertTrue(wait_until(lambda: len(refused[a.name]) == 1 and len(refused[b.name]) == 2, 10))
            human = bot2bot.Room(url, name="alice", heartbeat=False)
            human.send("a human says: carry on")
            human.close()
            self.assertTrue(wait_until(lambda: any(m.sender == b.name for m in a.history(limit=500)[19:]), 10))
        finally:
            a.close()
            b.close()

    def test_turns_not_posts_and_the_humans_and_agents_lists(self) -> None:
        def msg(seq: int, sender: str) -> bot2bot.Message:
            return bot2bot.Message(id=f"id{seq:08d}", seq=seq, sender=sender, text="hi", ts=0.0,
                                   sender_verified=False, is_self=False)
        g = bot2bot.ReplyBudget(limit=2, agents=["helper-bot"])
        g.present([{"name": "carol", "client": "web"}, {"name": "helper-bot", "client": "web"}, {"name": "dave"}])
        g.observe(msg(1, "helper-bot"))
        g.sent()
        g.sent()  # a second post with nobody in between is the same turn
        g.observe(msg(2, "helper-bot"))
        g.sent()
        g.observe(msg(3, "helper-bot"))
        self.assertRegex(g.refusal() or "", "replied 2 times")
        g.observe(msg(3, "carol"))  # the same seq again counts once
        self.assertIsNotNone(g.refusal())
        g.observe(msg(4, "carol"))
        self.assertIsNone(g.refusal())
        strict = bot2bot.ReplyBudget(limit=1, humans=["@carol"], agents=[])
        strict.observe(msg(1, "dave"))
        strict.sent()
        strict.observe(msg(2, "dave"))
        self.assertIsNotNone(strict.refusal())
        strict.observe(msg(3, "carol"))
        self.assertIsNone(strict.refusal())
        self.assertIsNone(bot2bot.ReplyBudget(limit=0).refusal())
        # A name present both as a web client and as something else counts as an agent.
        mixed = bot2bot.ReplyBudget(limit=1, humans=[], agents=[])
        mixed.present([{"name": "erin", "client": "web"}, {"name": "erin"}])
        self.assertFalse(mixed.is_human("erin"))
        mixed.present([{"name": "erin", "client": "web"}])
        self.assertTrue(mixed.is_human("@Erin"))
        self.assertFalse(bot2bot.ReplyBudget(humans=[], agents=["erin"]).is_human("erin"))


if __name__ == "__main__":
    unittest.main()
