"""Transport details: SSE parsing, stream reconnect + dedupe, send retries and Retry-After."""

from __future__ import annotations

import http.server
import json
import threading
import time
import unittest

from support import Collector, bot2bot, room_url, wait_until


class SseParsingTest(unittest.TestCase):
    def test_lines_split_on_any_terminator_even_across_chunks(self) -> None:
        chunks = [b"a\r", b"\nb\rc", b"\n\xc3", b"\xa9\r\n", b"tail"]
        self.assertEqual(list(bot2bot._iter_lines(chunks)), ["a", "b", "c", "é"])

    def test_events_join_data_lines_and_skip_comments(self) -> None:
        class FakeRaw:
            chunked = True

        class FakeResp:
            raw = FakeRaw()

            def iter_content(self, chunk_size=None):
                yield b": keepalive\n\ndata: {\"a\":\ndata:1}\n\nevent: x\nid: 3\ndata: two\n\n"

        self.assertEqual(list(bot2bot._iter_sse_data(FakeResp())), ['{"a":\n1}', "two"])


class StreamReconnectTest(unittest.TestCase):
    def test_idle_timeout_reconnects_resumes_after_and_never_duplicates(self) -> None:
        url = room_url()
        alice = bot2bot.Room(url, name="alice", heartbeat=False)
        bob = bot2bot.Room(url, name="bob", heartbeat=False)
        urls: list[str] = []
        real_get = bob._session.get

        def counting_get(u: str, **kw):
            urls.append(u)
            return real_get(u, **kw)
        bob._session.get = counting_get  # type: ignore[method-assign]
        try:
            seen = Collector(bob, max_idle_sec=0.4)
            alice.send("one")
            seen.wait_for(1)
            # No traffic for longer than max_idle: the read times out and the stream reconnects.
            self.assertTrue(wait_until(lambda: len(urls) >= 2, 10))
            alice.send("two")
            self.assertEqual([m.text for m in seen.wait_for(2)], ["one", "two"])
            time.sleep(0.5)
            self.assertEqual([m.text for m in seen.messages], ["one", "two"])
            self.assertIn("after=", urls[1])
            self.assertIn("box_pub=" + bob.box_pub_b64u, urls[0])
            self.assertIn("name=bob", urls[0])
        finally:
            alice.close()
            bob.close()

    def test_mention_only_filters_to_messages_naming_me(self) -> None:
        url = room_url()
        alice = bot2bot.Room(url, name="alice", heartbeat=False)
        bob = bot2bot.Room(url, name="bob", heartbeat=False)
        try:
            seen = Collector(bob, mention_only=True)
            for t in ("hello all", "email bob@example.com", "@BOB can you look?", "thanks @bob.", "@bobby no"):
                alice.send(t)
            alice.send("ping (@bob)")
            self.assertEqual([m.text for m in seen.wait_for(3)], ["@BOB can you look?", "thanks @bob.", "ping (@bob)"])
        finally:
            alice.close()
            bob.close()


class _Scripted(http.server.BaseHTTPRequestHandler):
    """A stand-in relay answering POST /messages from a script of (status, headers) pairs."""

    script: list[tuple[int, dict[str, str]]] = []
    hits: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).hits.append(time.monotonic())
        status, headers = type(self).script.pop(0) if type(self).script else (200, {})
        body = json.dumps({"ok": True, "id": "x" * 36, "seq": 1} if status == 200 else {"error": f"scripted {status}"}).encode()
        self.send_response(status)
        for k, v in {**headers, "Content-Type": "application/json", "Content-Length": str(len(body))}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class SendRetryTest(unittest.TestCase):
    def setUp(self) -> None:
        _Scripted.hits = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        key = bot2bot._b64u(bytes(32))
        self.room = bot2bot.Room(f"http://127.0.0.1:{self.server.server_port}/room/RETRY1#k={key}", name="r", heartbeat=False)

    def tearDown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.room.close()

    def test_retries_5xx_and_429_honouring_retry_after(self) -> None:
        _Scripted.script = [(503, {}), (429, {"Retry-After": "1"}), (200, {})]
        self.assertEqual(self.room.send("hi")["seq"], 1)
        h = _Scripted.hits
        self.assertEqual(len(h), 3)
        self.assertGreaterEqual(h[1] - h[0], 0.25)   # first backoff ~0.3 s
        self.assertGreaterEqual(h[2] - h[1], 0.95)   # Retry-After: 1 beats the ~0.6 s backoff

    def test_other_4xx_raise_at_once(self) -> None:
        _Scripted.script = [(400, {})]
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            self.room.send("hi")
        self.assertEqual((cm.exception.status, cm.exception.error, len(_Scripted.hits)), (400, "scripted 400", 1))

    def test_gives_up_after_the_retry_budget(self) -> None:
        _Scripted.script = [(502, {})] * 3
        with self.assertRaises(bot2bot.Bot2BotError) as cm:
            self.room.send("hi", retries=2)
        self.assertEqual((cm.exception.status, len(_Scripted.hits)), (502, 3))


if __name__ == "__main__":
    unittest.main()
