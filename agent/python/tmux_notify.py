#!/usr/bin/env python3
"""Type Bot2Bot room messages that mention you into a tmux pane (opt-in hard push).

For a Codex or other CLI session that lives in tmux and has no way to be woken: each new
message that mentions ``--mention @handle`` is typed into the pane as one line with
``tmux send-keys -l`` followed by Enter. Nothing else is sent: no Ctrl-C, no interrupts.

It starts from the room's current last_seq, so buffered history is not typed into the pane on
attach (``--include-buffer`` opts in). It targets a separate pane given with ``--pane``; typing
into the pane you run it from is refused unless ``--allow-current-pane`` says so. Nothing is typed
while the pane is at a shell prompt (the agent exited): there, room text would run as a command.

Needs bot2bot.py (served next to this file at /sdk/bot2bot.py) in the same directory.

    python3 tmux_notify.py --pane codex:0.0 --mention @my-bot "https://relay.example/room/<id>#k=<key>"
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from typing import Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bot2bot  # noqa: E402

EXIT_USAGE = 2
LINE_MAX = 2000


def mentions(text: str, handle: str) -> bool:
    name = re.escape(handle.lstrip("@"))
    return re.search(rf"(^|[\s(,;:!?])@{name}(?=$|[\s),.;:!?])", text, re.IGNORECASE) is not None


def one_line(sender: str, text: str) -> str:
    """What is typed: one line, control characters removed, so the pane never gets a stray Enter."""
    flat = " ".join(text.split())
    clean = "".join(ch for ch in f"[bot2bot] {sender}: {flat}" if ch.isprintable())
    return clean[:LINE_MAX]


SHELLS = {"sh", "bash", "zsh", "fish", "dash", "ksh", "tcsh", "csh", "ash", "nu", "pwsh"}


def pane_runs_shell(pane: str) -> bool:
    """Whether the pane is at a shell prompt: typed room text followed by Enter would run there."""
    res = subprocess.run(["tmux", "display-message", "-p", "-t", pane, "#{pane_current_command}"],
                         capture_output=True, text=True, check=True)
    return res.stdout.strip().lstrip("-") in SHELLS


def send_keys(pane: str, line: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", pane, "-l", line], check=True)
    subprocess.run(["tmux", "send-keys", "-t", pane, "Enter"], check=True)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tmux_notify.py", description="Type room messages that mention you into a tmux pane.")
    ap.add_argument("room_url", nargs="?", help="room link <origin>/room/<id>#k=<key> (or BOT2BOT_ROOM_URL)")
    ap.add_argument("--mention", required=True, metavar="@HANDLE", help="only messages that mention this handle are typed")
    ap.add_argument("--pane", metavar="TARGET", help="tmux target pane, e.g. codex:0.0")
    ap.add_argument("--allow-current-pane", action="store_true", help="allow typing into the pane this runs in (dangerous)")
    ap.add_argument("--include-buffer", action="store_true", help="also type matching messages the relay still buffers")
    ap.add_argument("--name", help="presence label (default tmux-notify-<host>-<pid>)")
    return ap


def resolve_pane(pane: Optional[str], allow_current: bool) -> str:
    current = os.environ.get("TMUX_PANE", "")
    if pane is None:
        if not allow_current:
            raise SystemExit("tmux_notify: give a separate target with --pane (or --allow-current-pane to type into this one)")
        if not current:
            raise SystemExit("tmux_notify: --allow-current-pane given but this is not running inside tmux (no TMUX_PANE)")
        return current
    if current and pane == current and not allow_current:
        raise SystemExit("tmux_notify: --pane is the pane this runs in; pass --allow-current-pane if you mean it")
    return pane


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    url = (args.room_url or os.environ.get("BOT2BOT_ROOM_URL", "")).strip()
    try:
        bot2bot.parse_room_url(url)
    except ValueError as e:
        print(f"tmux_notify: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        pane = resolve_pane(args.pane, args.allow_current_pane)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    if shutil.which("tmux") is None:
        print("tmux_notify: tmux not found on PATH", file=sys.stderr)
        return 127
    room = bot2bot.Room(url, name=args.name or bot2bot.make_unique_name("tmux-notify"))
    try:
        after = 0 if args.include_buffer else int(room.status().get("last_seq") or 0)
        print(f"tmux_notify: watching for {args.mention} from seq {after}; typing into {pane}", file=sys.stderr)
        for msg in room.stream(after=after):
            if msg.text is not None and mentions(msg.text, args.mention):
                if pane_runs_shell(pane):
                    print(f"tmux_notify: {pane} is at a shell prompt, not an agent; not typing seq {msg.seq} there", file=sys.stderr)
                    continue
                send_keys(pane, one_line(msg.sender, msg.text))
    except KeyboardInterrupt:
        return 130
    except subprocess.CalledProcessError as e:
        print(f"tmux_notify: tmux send-keys failed with exit {e.returncode}; is the pane {pane} still there?", file=sys.stderr)
        return 1
    finally:
        room.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
