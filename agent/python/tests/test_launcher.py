"""agent_bot2bot.py and tmux_notify.py with fake host binaries on PATH against a real relay."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import fake_hosts
from support import BASE, SDK_DIR, bot2bot, room_url, wait_until

LAUNCHER = os.path.join(SDK_DIR, "agent_bot2bot.py")
TMUX_NOTIFY = os.path.join(SDK_DIR, "tmux_notify.py")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class LauncherTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = os.path.join(self.tmp.name, "bin")
        fake_hosts.install(self.bin)
        self.log = os.path.join(self.tmp.name, "calls.jsonl")
        self.env = {
            **os.environ,
            "HOME": self.tmp.name,
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKE_LOG": self.log,
            "FAKE_MCP_MARK": os.path.join(self.tmp.name, "mcp-configured"),
            "FAKE_STATE": os.path.join(self.tmp.name, "cursor"),
            "BOT2BOT_BACKOFF_BASE_SECONDS": "0.01",
        }
        self.url = room_url()
        self.room_id = self.url.split("/room/")[1].split("#")[0]
        self.lock_path = os.path.join(self.tmp.name, ".config", "bot2bot", "locks", f"{self.room_id}.lock")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def calls(self) -> list[dict]:
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def launch(self, *args: str, prog: str = LAUNCHER, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, prog, *args], capture_output=True, text=True, timeout=timeout,
                              env={**self.env, **env})

    # ------------------------------------------------------------------ no side effects

    def test_print_prompt_renders_the_contract_and_touches_nothing(self) -> None:
        res = self.launch("--print-prompt", "--host", "codex", self.url)
        self.assertEqual(res.returncode, 0, res.stderr)
        prompt = res.stdout
        for needle in (self.url, "@codex-exec-local", "claim_task", "ack_task", "send_message", "Stay silent",
                       "never instructions to you", "BOT2BOT_RELEASED_BY_ROOM", "marked as history"):
            self.assertIn(needle, prompt)
        self.assertNotIn("Monitor", prompt)
        self.assertEqual(self.calls(), [])
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, ".config")))

        claude = self.launch("--print-prompt", "--host", "claude-code", "--release-sentinel", "ALL_DONE", self.url)
        self.assertEqual(claude.returncode, 0, claude.stderr)
        self.assertIn("Monitor", claude.stdout)
        self.assertIn("ScheduleWakeup", claude.stdout)
        self.assertIn("\nALL_DONE\n", claude.stdout)
        self.assertEqual(self.calls(), [])

    def test_served_as_codex_bootstrap_it_defaults_to_codex(self) -> None:
        codex_copy = os.path.join(self.tmp.name, "codex_bot2bot.py")
        shutil.copy(LAUNCHER, codex_copy)
        res = self.launch("--print-prompt", self.url, prog=codex_copy)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("@codex-exec-local", res.stdout)
        plain = self.launch("--print-prompt", self.url)
        self.assertEqual(plain.returncode, 2)
        self.assertIn("--host", plain.stderr)

    def test_the_link_can_come_from_the_environment_or_a_file(self) -> None:
        from_env = self.launch("--print-prompt", "--host", "codex", BOT2BOT_ROOM_URL=self.url)
        self.assertEqual(from_env.returncode, 0, from_env.stderr)
        self.assertIn(self.url, from_env.stdout)
        path = os.path.join(self.tmp.name, "room.txt")
        with open(path, "w") as f:
            f.write(self.url + "\n")
        from_file = self.launch("--print-prompt", "--host", "codex", "--room-file", path)
        self.assertEqual(from_file.returncode, 0, from_file.stderr)
        self.assertIn(self.url, from_file.stdout)

    # ------------------------------------------------------------------ bad input

    def test_bad_input_exits_non_zero_with_one_line(self) -> None:
        cases = [
            (("--host", "codex", "https://example.org/not-a-room"), 2, "invalid room link"),
            (("--host", "codex", BASE + "/room/abcd#k=short"), 2, "32-byte"),
            (("--host", "codex"), 2, "no room link"),
            (("--host", "gemini", self.url), 2, "invalid choice"),
            (("--host", "custom", self.url), 2, "--cmd"),
            (("--host", "custom", "--cmd", "nosuchhost {prompt}", self.url), 127, "not found on PATH"),
        ]
        for args, code, reason in cases:
            res = self.launch(*args)
            self.assertEqual(res.returncode, code, (args, res.stderr))
            self.assertIn(reason, res.stderr)
            self.assertLessEqual(len(res.stderr.strip().splitlines()), 3, res.stderr)
        no_codex = self.launch("--host", "codex", self.url, PATH="/usr/bin:/bin")
        self.assertEqual(no_codex.returncode, 127)
        self.assertIn("'codex' not found", no_codex.stderr)
        self.assertFalse(os.path.exists(self.lock_path))

    # ------------------------------------------------------------------ the conversation

    def test_codex_converses_respawns_and_is_released_by_the_room(self) -> None:
        peer = bot2bot.Room(self.url, name="human", heartbeat=False)
        self.addCleanup(peer.close)
        proc = subprocess.Popen([sys.executable, LAUNCHER, "--host", "codex", self.url], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            peer.send("@codex-exec-local what is 2+2?")
            self.assertTrue(wait_until(lambda: any(m.text == "echo: what is 2+2?" for m in peer.history()), 30))
            peer.send("@codex-exec-local and 3+3?")
            self.assertTrue(wait_until(lambda: any(m.text == "echo: and 3+3?" for m in peer.history()), 30))
            peer.send("@codex-exec-local you may leave")
            out, err = proc.communicate(timeout=40)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("BOT2BOT_RELEASED_BY_ROOM", out)
        self.assertIn("released by the room", err)
        calls = self.calls()
        adds = [c for c in calls if c["argv"][:2] == ["mcp", "add"]]
        self.assertEqual(len(adds), 1, calls)
        self.assertEqual(adds[0]["argv"], ["mcp", "add", "bot2bot", "--env", f"BOT2BOT_BASE={BASE}", "--", "npx", "-y",
                                           f"{BASE}/sdk/bot2bot-mcp.tgz"])
        runs = [c for c in calls if c["argv"][:1] == ["exec"]]
        self.assertGreaterEqual(len(runs), 3, calls)
        # The prompt (and with it the room key) travels on stdin, never in a command line.
        self.assertTrue(all(c["argv"] == ["exec", "-"] and self.url in c["prompt"] for c in runs), runs)
        self.assertTrue(all(c["handle_env"] == "codex-exec-local" for c in runs))
        self.assertTrue(all(c["agents_env"] == "codex-exec-local" for c in runs))
        self.assertTrue(any(m.text == "bye" for m in peer.history()))
        self.assertFalse(os.path.exists(self.lock_path))

    def test_claude_code_is_configured_with_its_own_syntax(self) -> None:
        res = self.launch("--host", "claude-code", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT="done\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        calls = self.calls()
        self.assertIn(["mcp", "add", "bot2bot", "-e", f"BOT2BOT_BASE={BASE}", "--", "npx", "-y", f"{BASE}/sdk/bot2bot-mcp.tgz"],
                      [c["argv"] for c in calls])
        run = [c for c in calls if c["argv"][:1] == ["-p"]]
        self.assertEqual(len(run), 1)
        self.assertEqual(run[0]["argv"], ["-p"])
        self.assertIn("ScheduleWakeup", run[0]["prompt"])
        again = self.launch("--host", "claude-code", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT="done\n")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(len([c for c in self.calls() if c["argv"][:2] == ["mcp", "add"]]), 1)

    def test_only_an_exact_sentinel_line_releases(self) -> None:
        near_misses = "x BOT2BOT_RELEASED_BY_ROOM\n BOT2BOT_RELEASED_BY_ROOM\nBOT2BOT_RELEASED_BY_ROOM.\n"
        res = self.launch("--host", "codex", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT=near_misses, FAKE_RC="5")
        self.assertEqual(res.returncode, 5, res.stderr)
        self.assertNotIn("released", res.stderr)
        exact = self.launch("--host", "codex", self.url, FAKE_MODE="print", FAKE_OUTPUT="thinking\nBOT2BOT_RELEASED_BY_ROOM\r\n")
        self.assertEqual(exact.returncode, 0, exact.stderr)
        self.assertIn("released by the room", exact.stderr)

    def test_custom_template_substitutes_placeholders_per_word(self) -> None:
        template = "codex run --room {room_url} --stop-word={release_sentinel} --prompt {prompt}"
        res = self.launch("--host", "custom", "--cmd", template, "--custom-handle", "my-bot", "--once", self.url,
                          "--", "--model", "x y", FAKE_MODE="print", FAKE_OUTPUT="ok\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        runs = [c["argv"] for c in self.calls()]
        self.assertEqual(len(runs), 1, runs)
        argv = runs[0]
        self.assertEqual(argv[:4], ["run", "--room", self.url, "--stop-word=BOT2BOT_RELEASED_BY_ROOM"])
        self.assertEqual(argv[4], "--prompt")
        self.assertIn("You are @my-bot", argv[5])
        self.assertEqual(argv[6:], ["--model", "x y"])

    def test_custom_template_without_prompt_placeholder_gets_it_on_stdin(self) -> None:
        res = self.launch("--host", "custom", "--cmd", "codex exec -", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT="ok\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        [run] = self.calls()
        self.assertEqual(run["argv"], ["exec", "-"])
        self.assertIn(self.url, run["prompt"])

    def test_fast_fail_guard_gives_up_with_the_host_exit_code(self) -> None:
        res = self.launch("--host", "codex", self.url, FAKE_MODE="fail", FAKE_RC="7", BOT2BOT_MAX_FAST_FAILS="3")
        self.assertEqual(res.returncode, 7, res.stderr)
        self.assertIn("giving up", res.stderr)
        self.assertEqual(len([c for c in self.calls() if c["argv"][:1] == ["exec"]]), 3)
        self.assertFalse(os.path.exists(self.lock_path))

    def test_one_listener_per_room_and_nothing_left_running(self) -> None:
        first = subprocess.Popen([sys.executable, LAUNCHER, "--host", "codex", self.url], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env={**self.env, "FAKE_MODE": "sleep"})
        try:
            self.assertTrue(wait_until(lambda: any(c["argv"][:1] == ["exec"] for c in self.calls()), 20))
            second = self.launch("--host", "codex", self.url, FAKE_MODE="sleep")
            self.assertEqual(second.returncode, 3)
            self.assertIn(f"pid {first.pid}", second.stderr)
            host_pid = next(c["pid"] for c in self.calls() if c["argv"][:1] == ["exec"])
            self.assertTrue(alive(host_pid))
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=15)
        finally:
            if first.poll() is None:
                first.kill()
        self.assertNotEqual(first.returncode, 0)
        self.assertTrue(wait_until(lambda: not alive(host_pid), 10), "the host outlived its launcher")
        self.assertFalse(os.path.exists(self.lock_path))
        third = self.launch("--host", "codex", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT="ok\n")
        self.assertEqual(third.returncode, 0, third.stderr)

    def test_a_stale_lock_of_a_dead_listener_is_taken_over(self) -> None:
        gone = subprocess.Popen(["/bin/true"])
        gone.wait()
        os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
        with open(self.lock_path, "w") as f:
            f.write(f"{gone.pid}\n")
        res = self.launch("--host", "codex", "--once", self.url, FAKE_MODE="print", FAKE_OUTPUT="ok\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertFalse(os.path.exists(self.lock_path))


class TmuxNotifyTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.bin = os.path.join(self.tmp.name, "bin")
        fake_hosts.install(self.bin)
        self.log = os.path.join(self.tmp.name, "calls.jsonl")
        self.env = {**os.environ, "HOME": self.tmp.name, "PATH": f"{self.bin}:/usr/bin:/bin", "FAKE_LOG": self.log}
        self.env.pop("TMUX_PANE", None)
        self.url = room_url()
        self.peer = bot2bot.Room(self.url, name="human", heartbeat=False)

    def tearDown(self) -> None:
        self.peer.close()
        self.tmp.cleanup()

    def typed(self) -> list[list[str]]:
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line)["argv"] for line in f if line.strip()]

    def run_notify(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, TMUX_NOTIFY, *args], capture_output=True, text=True, timeout=30,
                              env={**self.env, **env})

    def test_pane_safety(self) -> None:
        res = self.run_notify("--mention", "@bot", self.url)
        self.assertEqual(res.returncode, 2)
        self.assertIn("--pane", res.stderr)
        same = self.run_notify("--mention", "@bot", "--pane", "%3", self.url, TMUX_PANE="%3")
        self.assertEqual(same.returncode, 2)
        self.assertIn("--allow-current-pane", same.stderr)
        bad = self.run_notify("--mention", "@bot", "--pane", "w:0.1", "https://example.org/x")
        self.assertEqual(bad.returncode, 2)
        self.assertEqual(self.typed(), [])

    def _watch(self, *extra: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, TMUX_NOTIFY, "--mention", "@bot", *extra, self.url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        assert proc.stderr is not None
        self.assertIn("watching for @bot", proc.stderr.readline())
        return proc

    def test_types_new_mentions_only_from_the_current_seq(self) -> None:
        self.peer.send("@bot old request from the buffer")
        proc = self._watch("--pane", "codex:0.0")
        self.peer.send("chatter for someone else")
        self.peer.send("@bot please look\nat line two")
        self.assertTrue(wait_until(lambda: len(self.typed()) >= 2, 15), self.typed())
        proc.terminate()
        proc.communicate(timeout=10)
        typed = self.typed()
        self.assertEqual(typed[0], ["send-keys", "-t", "codex:0.0", "-l", "[bot2bot] human: @bot please look at line two"])
        self.assertEqual(typed[1], ["send-keys", "-t", "codex:0.0", "Enter"])
        self.assertEqual(len(typed), 2, typed)

    def test_nothing_is_typed_into_a_pane_at_a_shell_prompt(self) -> None:
        self.env["FAKE_PANE_COMMAND"] = "bash"
        proc = self._watch("--pane", "codex:0.0")
        self.peer.send("@bot ; echo pwned")
        assert proc.stderr is not None
        self.assertIn("at a shell prompt", proc.stderr.readline())
        proc.terminate()
        proc.communicate(timeout=10)
        self.assertEqual(self.typed(), [])

    def test_include_buffer_and_current_pane_opt_ins(self) -> None:
        self.peer.send("@bot buffered")
        self.env["TMUX_PANE"] = "%7"
        proc = self._watch("--allow-current-pane", "--include-buffer")
        self.assertTrue(wait_until(lambda: len(self.typed()) >= 2, 15), self.typed())
        proc.terminate()
        proc.communicate(timeout=10)
        self.assertEqual(self.typed()[0], ["send-keys", "-t", "%7", "-l", "[bot2bot] human: @bot buffered"])


if __name__ == "__main__":
    unittest.main()
