"""A fake Hugging Face Hub serving the real cards in /work/shared/cards, for offline tests.

A stdlib `ThreadingHTTPServer` on 127.0.0.1 (a free port); point huggingface_hub at it with
`endpoint=server.url`. Routes, as the real Hub and huggingface_hub use them:

- `GET /api/models/{id}` and `GET /api/models/{id}/revision/{rev}` (rev URL-encoded): the
  captured `model.json`, with `sha` set to the commit of `rev`;
- `HEAD`/`GET /{id}/resolve/{rev}/{file}`: file bytes with `ETag`, `X-Repo-Commit` and
  `Content-Length` (what `hf_hub_download` needs).

Switches for faults: `gated_readme` (README answers 401 `X-Error-Code: GatedRepo`),
`not_found` (404 `RepoNotFound`), unknown revisions (404 `RevisionNotFound`), `rate_limit_after`
(429 with `Retry-After` once that many API requests were served), `bad_token` (401 "Invalid
credentials" for that bearer token); `aliases` map legacy ids to canonical ones. Every request
is logged in `requests` (method, path, headers).

    with FakeHubServer() as hub:
        hub.gated_readme.add("google/gemma-3-270m-it")
        ...
        assert hub.count("/api/models/") == 1
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CARDS_DIR = Path("/work/shared/cards")
CARD_FILES = ("README.md", "config.json", "generation_config.json")


@dataclass
class FakeRepo:
    info: dict[str, Any]
    files: dict[str, bytes]
    # Extra revisions (branch, tag or `refs/pr/N`) -> commit sha; the info's own sha is `main`.
    revisions: dict[str, str] = field(default_factory=dict)

    @property
    def sha(self) -> str:
        return str(self.info.get("sha", ""))

    def commit_of(self, revision: str | None) -> str | None:
        if revision in (None, "main", self.sha):
            return self.sha
        if revision in self.revisions:
            return self.revisions[revision]
        return revision if revision in self.revisions.values() else None


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]


def load_card_repos(cards_dir: Path = CARDS_DIR) -> dict[str, FakeRepo]:
    """Every card folder as a repo keyed by its canonical id (from model.json)."""
    repos = {}
    for folder in sorted(p for p in cards_dir.iterdir() if (p / "model.json").is_file()):
        info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        files = {name: (folder / name).read_bytes() for name in CARD_FILES if (folder / name).is_file()}
        repos[info.get("id") or info["modelId"]] = FakeRepo(info, files)
    return repos


class FakeHubServer:
    def __init__(self, repos: dict[str, FakeRepo] | None = None) -> None:
        self.repos: dict[str, FakeRepo] = repos if repos is not None else load_card_repos()
        self.aliases: dict[str, str] = {}
        self.gated_readme: set[str] = set()
        self.not_found: set[str] = set()
        self.rate_limit_after: int | None = None
        self.retry_after = "30"
        self.bad_token = ""
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeHubServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- inspection ----------------------------------------------------------------------------

    def count(self, path_prefix: str = "", method: str = "") -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.path.startswith(path_prefix) and (not method or r.method == method.upper())
            )

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, method: str, path: str, headers: dict[str, str]) -> int:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers))
            return sum(1 for r in self.requests if r.path.startswith("/api/"))


def _handler_for(hub: FakeHubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # One request per connection: a stopped server must really be unreachable (no kept-alive sockets).
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output quiet

        def do_GET(self) -> None:
            self._route(head=False)

        def do_HEAD(self) -> None:
            self._route(head=True)

        def _route(self, *, head: bool) -> None:
            path = urlsplit(self.path).path
            api_count = hub._record(self.command, path, {k.lower(): v for k, v in self.headers.items()})
            if hub.bad_token and self.headers.get("Authorization") == f"Bearer {hub.bad_token}":
                return self._error(401, "", "Invalid credentials in Authorization header", head)
            if path.startswith("/api/models/"):
                if hub.rate_limit_after is not None and api_count > hub.rate_limit_after:
                    return self._error(429, "", "Too many requests", head, {"Retry-After": hub.retry_after})
                return self._model_info(path[len("/api/models/") :], head)
            if "/resolve/" in path:
                return self._resolve(path, head)
            return self._error(404, "", "Not found", head)

        def _model_info(self, rest: str, head: bool) -> None:
            repo_part, _, revision = rest.partition("/revision/")
            repo_id = unquote(repo_part)
            repo = self._repo(repo_id, head)
            if repo is None:
                return
            sha = repo.commit_of(unquote(revision) if revision else None)
            if sha is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}", head)
            self._send(200, json.dumps({**repo.info, "sha": sha}).encode(), "application/json", head)

        def _resolve(self, path: str, head: bool) -> None:
            repo_part, _, rest = path.lstrip("/").partition("/resolve/")
            revision, _, filename = rest.partition("/")
            repo_id, revision, filename = unquote(repo_part), unquote(revision), unquote(filename)
            repo = self._repo(repo_id, head)
            if repo is None:
                return
            canonical = hub.aliases.get(repo_id, repo_id)
            sha = repo.commit_of(revision)
            if sha is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head)
            if filename == "README.md" and canonical in hub.gated_readme:
                message = f"Access to model {canonical} is restricted. You must have access to it."
                return self._error(401, "GatedRepo", message, head)
            data = repo.files.get(filename)
            if data is None:
                return self._error(404, "EntryNotFound", "Entry not found", head, {"X-Repo-Commit": sha})
            etag = hashlib.sha1(data).hexdigest()
            self._send(200, data, "text/plain; charset=utf-8", head, {"ETag": f'"{etag}"', "X-Repo-Commit": sha})

        def _repo(self, repo_id: str, head: bool) -> FakeRepo | None:
            canonical = hub.aliases.get(repo_id, repo_id)
            repo = hub.repos.get(canonical)
            if repo is None or canonical in hub.not_found:
                self._error(401, "RepoNotFound", "Repository not found", head)
                return None
            return repo

        def _error(
            self, status: int, code: str, message: str, head: bool, headers: dict[str, str] | None = None
        ) -> None:
            extra = {"X-Error-Message": message, **(headers or {})}
            if code:
                extra["X-Error-Code"] = code
            body = json.dumps({"error": message}).encode()
            self._send(status, body, "application/json", head, extra)

        def _send(
            self, status: int, body: bytes, content_type: str, head: bool, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

    return Handler
