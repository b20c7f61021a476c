"""Shared helpers: the relay under test is at $BOT2BOT_TEST_BASE (started by python.test.ts)."""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.dirname(HERE)
SDK_PATH = os.path.join(SDK_DIR, "bot2bot.py")
if SDK_DIR not in sys.path:
    sys.path.insert(0, SDK_DIR)

import bot2bot  # noqa: E402

BASE = os.environ.get("BOT2BOT_TEST_BASE", "").rstrip("/")
if not BASE:
    raise RuntimeError("BOT2BOT_TEST_BASE is not set: start a relay and export its URL (python.test.ts does this)")


def room_url() -> str:
    """A fresh room link on the relay under test."""
    return bot2bot.create_room_url(BASE)


def handle() -> str:
    return "py" + secrets.token_hex(5)


def registered_identity() -> bot2bot.Identity:
    ident = bot2bot.Identity.create(handle(), base_url=BASE)
    ident.register()
    return ident


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Collector:
    """Runs room.stream(**kw) on a daemon thread and collects what it yields.

    Replays the backlog unless told where to start: tests post right after starting a collector,
    before its stream has connected, and a stream that starts at "now" could miss those posts.
    """

    def __init__(self, room: bot2bot.Room, **kw):
        if "after" not in kw:
            kw.setdefault("backlog", True)
        self.messages: list[bot2bot.Message] = []
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, args=(room, kw), daemon=True)
        self._thread.start()

    def _run(self, room: bot2bot.Room, kw: dict) -> None:
        try:
            for m in room.stream(**kw):
                self.messages.append(m)
        except BaseException as e:  # noqa: BLE001 - surfaced to the test through .error
            self.error = e

    def alive(self) -> bool:
        return self._thread.is_alive()

    def texts(self) -> list[Optional[str]]:
        return [m.text for m in self.messages]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[bot2bot.Message]:
        wait_until(lambda: len(self.messages) >= n, timeout)
        return list(self.messages)


def wait_subscribed(room: bot2bot.Room, count: int = 1, timeout: float = 10.0) -> None:
    """Block until the relay counts at least ``count`` live stream subscribers in the room."""
    def present() -> bool:
        st = room.status()
        return bool(st.get("exists")) and int(st.get("participants", 0)) >= count
    if not wait_until(present, timeout):
        raise AssertionError(f"fewer than {count} stream subscribers connected to {room!r}")
