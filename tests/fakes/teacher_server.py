"""One fake OpenAI-compatible teacher server for every HTTP test and benchmark.

A stdlib `ThreadingHTTPServer` on 127.0.0.1 (a free port) that answers
`POST /v1/chat/completions` and `GET /v1/models` like an OpenAI-compatible server, with
switches for the faults a real teacher shows:

    with FakeTeacherServer(latency=0.01) as server:
        server.enqueue(Reply.error(429, headers={"Retry-After": "2"}), Reply('{"ok": true}'))
        ...call server.base_url...
        assert server.chat_requests[0].json["model"] == "m"

- a script of replies, used in order (`enqueue`); each can set the content, finish_reason,
  status, headers, a delay, `drop` (close the connection without answering) or
  `malformed_body` (HTTP 200 with a body that is not JSON);
- `responder(request_json) -> content` answers when the script is empty;
- `latency` seconds added to every call;
- `fail_status` (e.g. 503): while set, every chat request gets that HTTP error (an outage);
- `reject_json_schema=True` answers `response_format.type == "json_schema"` the way stock
  llama-cpp-python 0.3.x does: HTTP 500 with a pydantic "Input should be ..." message;
- `require_api_key="..."` answers 401 to requests without that bearer token;
- a log of every request (body and headers) and the highest number of requests served at once.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_CONTENT = '{"ok": true}'

# What stock llama-cpp-python 0.3.36 sends for `response_format: {"type": "json_schema", ...}`
# (checked against the real server; the traceback part is shortened).
LLAMA_CPP_JSON_SCHEMA_ERROR = {
    "error": {
        "message": (
            "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
            "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
            "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n"
            '  File "llama_cpp/server/app.py", line 376, in create_chat_completion\n'
            "    POST /v1/chat/completions"
        ),
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


@dataclass
class Reply:
    """One scripted answer to a chat-completions request."""

    content: str | None = DEFAULT_CONTENT
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Close the connection without sending anything.
    drop: bool = False
    # Send HTTP `status` with a body that is not JSON.
    malformed_body: bool = False
    # A whole body to send instead of a chat completion (dict -> JSON, str -> as is).
    body: dict[str, Any] | str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def error(cls, status: int, message: str = "", **kwargs: Any) -> Reply:
        """An OpenAI-style error reply."""
        text = message or HTTPStatus(status).phrase
        return cls(status=status, body={"error": {"message": text, "type": "fake_error", "code": status}}, **kwargs)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.json.get("response_format") if isinstance(self.json, dict) else None


Responder = Callable[[dict[str, Any]], str]


class FakeTeacherServer:
    """A fake OpenAI-compatible server; a context manager (`with FakeTeacherServer() as s`)."""

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        latency: float = 0.0,
        reject_json_schema: bool = False,
        require_api_key: str | None = None,
        models: tuple[str, ...] = ("fake-teacher",),
    ) -> None:
        self.responder: Responder = responder or (lambda request_json: DEFAULT_CONTENT)
        self.latency = latency
        # While set, every chat-completions request is answered with this HTTP error status.
        self.fail_status: int | None = None
        self.reject_json_schema = reject_json_schema
        self.require_api_key = require_api_key
        self.models = models
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._log: list[ReceivedRequest] = []
        self._ids = itertools.count(1)
        self.in_flight = 0
        self.max_concurrent = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Kept after stop(): tests use the address of a stopped server as an unreachable one.
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTeacherServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        # Faults we cause on purpose (clients that hang up) are not worth a traceback.
        httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-teacher", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTeacherServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake teacher server was never started")
        return self._port

    @property
    def base_url(self) -> str:
        """What a provider takes as base_url (OpenAI style, ending in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection ------------------------------------------------------------

    def enqueue(self, *replies: Reply | str) -> None:
        """Add replies to the script; a plain string is a 200 reply with that content."""
        with self._lock:
            self._script.extend(Reply(content=r) if isinstance(r, str) else r for r in replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._log)

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._log.clear()
            self.max_concurrent = 0

    # -- used by the handler -----------------------------------------------------------------

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next_reply(self, request_json: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return Reply(content=self.responder(request_json))

    def _completion_body(self, request_json: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant"}
        if reply.content is not None:
            message["content"] = reply.content
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in request_json.get("messages") or [])
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request_json.get("model") or self.models[0],
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {
                "prompt_tokens": reply.prompt_tokens if reply.prompt_tokens is not None else prompt_words,
                "completion_tokens": (
                    reply.completion_tokens
                    if reply.completion_tokens is not None
                    else len((reply.content or "").split())
                ),
            },
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers; every reply has a length
    timeout = 10  # idle keep-alive connections end instead of holding a thread forever
    server_version = "FakeTeacher/1"
    # TCP_NODELAY, as real servers (uvicorn, vLLM, llama.cpp) set it. Without it the body, sent
    # after the headers, waited for the client's delayed ACK: about 40 ms added to some replies,
    # which the benchmarks then counted as ALAIN's own time.
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeTeacherServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read `fake.requests` instead

    def do_GET(self) -> None:
        self._handle(method="GET")

    def do_POST(self) -> None:
        self._handle(method="POST")

    def _handle(self, *, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fake = self.fake
        fake._record(ReceivedRequest(method=method, path=self.path, headers=dict(self.headers.items()), json=body))
        fake._enter()
        try:
            self._answer(fake, method, body if isinstance(body, dict) else {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout was shorter than our delay)
        finally:
            fake._leave()

    def _answer(self, fake: FakeTeacherServer, method: str, body: dict[str, Any]) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if fake.latency:
            time.sleep(fake.latency)
        if fake.require_api_key and self.headers.get("Authorization") != f"Bearer {fake.require_api_key}":
            self._send_json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
            return
        if method == "GET" and path.endswith("/models"):
            data = [{"id": model, "object": "model", "owned_by": "fake"} for model in fake.models]
            self._send_json(200, {"object": "list", "data": data})
            return
        if method != "POST" or not path.endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {method} {path}"}})
            return
        response_format = body.get("response_format")
        # Stock llama-cpp-python validates the request before generating: no scripted reply used.
        if (
            fake.reject_json_schema
            and isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
        ):
            self._send_json(500, LLAMA_CPP_JSON_SCHEMA_ERROR)
            return
        # An outage (`fail_status`) answers before the script and the responder are consulted.
        reply = Reply.error(fake.fail_status) if fake.fail_status is not None else fake._next_reply(body)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            # Hang up without a status line: the client sees the connection dropped.
            self.close_connection = True
            return
        if reply.malformed_body:
            self._send(reply.status, b"<html><body>502 Bad Gateway</body></html>", "application/json", reply.headers)
            return
        if reply.body is not None:
            payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            self._send(reply.status, payload.encode(), "application/json", reply.headers)
            return
        self._send_json(reply.status, fake._completion_body(body, reply), reply.headers)

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers or {})

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
