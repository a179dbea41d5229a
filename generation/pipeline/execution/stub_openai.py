"""A stand-in OpenAI-compatible endpoint that runs *inside* the execution sandbox.

This file is never imported by ALAIN: it is copied into the throwaway run directory and
started by `kernel_launcher.py` in the sandbox's own network namespace, so a manual's
`ask()` reaches a real HTTP server without the kernel ever getting a network route out.
Standard library only (it runs with `python -I -S`). Replies are deterministic and
schema-valid, so validation checks that the code runs, never what a model would say.

Usage: python -I -S stub_openai.py <port> <model>
"""

from __future__ import annotations

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 1_000_000


def _sample(schema: Any, depth: int = 0) -> Any:
    """The smallest value that satisfies a (simple) JSON Schema: what a strict server would allow."""
    if not isinstance(schema, dict) or depth > 8:
        return {}
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _sample(schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _sample(properties.get(name, {}), depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return [_sample(schema.get("items", {}), depth + 1) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "stub" + "x" * max(0, int(schema.get("minLength", 0)) - 4)
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def _reply_text(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema", {})
        return json.dumps(_sample(schema))
    if kind == "json_object":
        return json.dumps(_sample(response_format.get("schema", {})))
    messages = body.get("messages") or []
    last = messages[-1].get("content", "") if messages and isinstance(messages[-1], dict) else ""
    if not isinstance(last, str):  # content parts: keep only the text
        last = " ".join(part.get("text", "") for part in last if isinstance(part, dict))
    digest = hashlib.sha256(last.encode("utf-8", "replace")).hexdigest()[:8]
    return f"stub reply {digest} (validation endpoint; no model was called): {' '.join(last.split())[:80]}"


class StubHandler(BaseHTTPRequestHandler):
    server_version = "alain-validation-stub/1"
    model = "stub-model"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the kernel's output is what validation reads; request logs would only be noise

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.model, "object": "model", "created": 0, "owned_by": "alain-validation"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(min(length, MAX_BODY)) or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        text = _reply_text(body)
        model = body.get("model") or self.model
        if body.get("stream"):
            self._stream(model, text)
            return
        words = len(text.split())
        self._send_json(
            200,
            {
                "id": "chatcmpl-validation-stub",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": words, "total_tokens": words + 1},
            },
        )

    def _stream(self, model: str, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for delta, finish in (({"role": "assistant", "content": text}, None), ({}, "stop")):
            chunk = {
                "id": "chatcmpl-validation-stub",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


def main() -> None:
    port, model = int(sys.argv[1]), sys.argv[2]
    StubHandler.model = model
    ThreadingHTTPServer.daemon_threads = True
    with ThreadingHTTPServer(("127.0.0.1", port), StubHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
