"""Fake host binaries for the launcher tests: scripts on PATH that stand in for codex, claude and tmux.

Each records how it was called in $FAKE_LOG (one JSON line per call). The fake codex/claude
"exec" acts as a scripted agent: it reads the room link from its prompt, answers every new
message that mentions its handle, and prints the release sentinel when told it may leave.
"""

from __future__ import annotations

import os
import stat
import textwrap

from support import SDK_DIR

AGENT_HOST = textwrap.dedent(
    """\
    #!/usr/bin/python3
    import json, os, re, sys, time
    sys.path.insert(0, {sdk_dir!r})
    import bot2bot

    args = sys.argv[1:]
    # The launchers' presets pass the prompt on stdin (`codex exec -`, `claude -p`).
    stdin_prompt = sys.stdin.read() if args in (["exec", "-"], ["-p"]) else None
    log = os.environ.get("FAKE_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({{"bin": os.path.basename(sys.argv[0]), "argv": args, "pid": os.getpid(),
                                "handle_env": os.environ.get("BOT2BOT_MCP_HANDLE"), "prompt": stdin_prompt,
                                "agents_env": os.environ.get("BOT2BOT_AGENTS")}}) + "\\n")
    if args[:2] == ["mcp", "get"]:
        sys.exit(0 if os.path.exists(os.environ["FAKE_MCP_MARK"]) else 1)
    if args[:2] == ["mcp", "add"]:
        open(os.environ["FAKE_MCP_MARK"], "w").close()
        sys.exit(0)
    mode = os.environ.get("FAKE_MODE", "agent")
    if mode == "fail":
        sys.exit(int(os.environ.get("FAKE_RC", "3")))
    if mode == "sleep":
        print("fake host sleeping", flush=True)
        time.sleep(600)
        sys.exit(0)
    if mode == "print":
        sys.stdout.write(os.environ["FAKE_OUTPUT"])
        sys.exit(int(os.environ.get("FAKE_RC", "0")))
    prompt = stdin_prompt if stdin_prompt is not None else args[-1]
    url = re.search(r"https?://\\S+/room/\\S+", prompt).group(0)
    handle = re.search(r"You are @([a-z0-9_-]+)", prompt).group(1)
    lines = prompt.splitlines()
    sentinel = lines[next(i for i, l in enumerate(lines) if l.endswith("and stop:")) + 1]
    state = os.environ["FAKE_STATE"]
    after = int(open(state).read() or 0) if os.path.exists(state) else 0
    room = bot2bot.Room(url, name=handle, heartbeat=False)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for m in room.poll(after=after, timeout=5):
                after = m.seq
                open(state, "w").write(str(after))
                if m.text and ("@" + handle) in m.text:
                    if "you may leave" in m.text:
                        room.send("bye", reply_to=m.id)
                        print(sentinel, flush=True)
                        sys.exit(0)
                    room.send("echo: " + m.text.replace("@" + handle, "").strip(), reply_to=m.id)
                    print("answered seq", m.seq, flush=True)
                    sys.exit(0)
        sys.exit(0)
    finally:
        room.close()
    """
)

TMUX = textwrap.dedent(
    """\
    #!/usr/bin/python3
    import json, os, sys
    if sys.argv[1:2] == ["display-message"]:
        print(os.environ.get("FAKE_PANE_COMMAND", "codex"))
        sys.exit(0)
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(json.dumps({"bin": "tmux", "argv": sys.argv[1:]}) + "\\n")
    """
)


def install(bin_dir: str) -> None:
    """Write the fake codex, claude and tmux into bin_dir."""
    os.makedirs(bin_dir, exist_ok=True)
    for name, body in (("codex", AGENT_HOST.format(sdk_dir=SDK_DIR)), ("claude", AGENT_HOST.format(sdk_dir=SDK_DIR)), ("tmux", TMUX)):
        path = os.path.join(bin_dir, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
