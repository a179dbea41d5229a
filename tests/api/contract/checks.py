"""schemathesis checks of ALAIN's own rules, loaded by the CLI through `SCHEMATHESIS_HOOKS`.

Runs in the schemathesis process, without Django: what it knows of the seeded users (their
tokens and the refs of their runs) comes from the JSON file named by `ALAIN_CONTRACT_FIXTURE`.

`another_users_run_is_not_found` (object-level authorization, on top of schemathesis's own
`object_level_authorization`, which only probes objects it saw a user create or list). A request
names an object by its path (`/api/runs/{ref}...`, `/api/validations/{job_id}`) or by the `run`
field of its body (`POST /api/export`, `POST /api/validate`). The oracle is an object that does
not exist: the same request with the ref replaced by one of the same shape that names nothing
(`missing_like`), so that a ref too long or malformed is refused the same way.

- a request naming another user's run is answered exactly as that request naming a missing one
  (same status, same error code), whatever else is wrong with it;
- a request on an object that the caller may see (its own, or one it created during the run) is
  sent again, unchanged, with every other user's token: each must get the missing object's
  answer too;
- a successful JSON answer never names another user's run (lists, links).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests
import schemathesis

FIXTURE_ENV = "ALAIN_CONTRACT_FIXTURE"
_OBJECT_PATH = re.compile(r"^/api/(?:runs|validations)/(?P<ref>[^/]+)(?:/|$)")
_FORM_RUN = re.compile(rb'(name="run"\r\n(?:[^\r\n]+\r\n)*\r\n)(?P<ref>.*?)(\r\n--)', re.DOTALL)


@cache
def fixture() -> dict[str, Any]:
    """{"users": {name: {"token": raw key, "runs": [tutorial ids and public ids]}}}."""
    return json.loads(Path(os.environ[FIXTURE_ENV]).read_text(encoding="utf-8"))


def caller_of(headers: Any) -> str | None:
    """The seeded user whose token a request carries, None for none or another token."""
    value = headers.get("Authorization") or ""
    for name, user in fixture()["users"].items():
        if value == f"Bearer {user['token']}":
            return name
    return None


def owner_of(ref: str) -> str | None:
    for name, user in fixture()["users"].items():
        if ref in user["runs"]:
            return name
    return None


def missing_like(ref: str) -> str:
    """A ref of the same shape as `ref` that names nothing: the nil UUID, or as many z's."""
    try:
        uuid.UUID(ref)
    except ValueError:
        return "z" * len(ref)
    return str(uuid.UUID(int=0))


def foreign_refs(caller: str) -> set[str]:
    return {ref for name, user in fixture()["users"].items() if name != caller for ref in user["runs"]}


def mentions(body: Any, refs: set[str]) -> list[str]:
    """Strings in `body` that are one of `refs`, or a URL path with one of them as a segment."""
    found: list[str] = []
    if isinstance(body, dict):
        for value in body.values():
            found += mentions(value, refs)
    elif isinstance(body, list):
        for value in body:
            found += mentions(value, refs)
    elif isinstance(body, str):
        segments = set(urlsplit(body).path.split("/")) if "/" in body else set()
        if body in refs or segments & refs:
            found.append(body)
    return found


# -- where a request names an object ---------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """The object a request names: its ref, and the request rewritten to name another."""

    request: requests.PreparedRequest
    ref: str
    where: str  # "path", "json" or "form"

    def renamed(self, ref: str) -> tuple[str, Any]:
        """(url, body) of the request naming `ref` instead."""
        url, body = str(self.request.url), self.request.body
        if self.where == "path":
            parts = urlsplit(url)
            match = _OBJECT_PATH.match(parts.path)
            assert match is not None, url
            path = parts.path[: match.start("ref")] + quote(ref, safe="") + parts.path[match.end("ref") :]
            return parts._replace(path=path).geturl(), body
        if self.where == "json":
            data = json.loads(body)
            return url, json.dumps({**data, "run": ref}).encode()
        raw = body if isinstance(body, bytes) else str(body).encode()
        return url, _FORM_RUN.sub(lambda m: m.group(1) + ref.encode() + m.group(3), raw, count=1)


def named_object(request: requests.PreparedRequest) -> Named | None:
    match = _OBJECT_PATH.match(urlsplit(str(request.url)).path)
    if match is not None:
        return Named(request, unquote(match["ref"]), "path")
    body = request.body
    if not body or request.method != "POST":
        return None
    raw = body if isinstance(body, bytes) else str(body).encode()
    content_type = request.headers.get("Content-Type") or ""
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if isinstance(data, dict) and isinstance(data.get("run"), str) and data["run"]:
            return Named(request, data["run"], "json")
        return None
    if "multipart/form-data" in content_type:
        form = _FORM_RUN.search(raw)
        if form is not None and form["ref"]:
            return Named(request, form["ref"].decode("utf-8", errors="replace"), "form")
    return None


def send(named: Named, token: str, *, ref: str | None = None) -> requests.Response:
    """The request again with `token`'s credentials only, naming `ref` instead if given."""
    request = named.request
    url, body = named.renamed(ref) if ref is not None else (str(request.url), request.body)
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in ("authorization", "cookie", "content-length")
    }
    headers["Authorization"] = f"Bearer {token}"
    return requests.request(str(request.method), url, headers=headers, data=body, timeout=60, allow_redirects=False)


def answer(status: int, content: bytes) -> tuple[int, str | None]:
    """What a client can tell apart: the status and the error code."""
    try:
        body = json.loads(content)
    except ValueError:
        return status, None
    return status, body.get("code") if isinstance(body, dict) else None


@schemathesis.check
def another_users_run_is_not_found(ctx: Any, response: Any, case: Any) -> bool | None:
    request = response.request
    caller = caller_of(request.headers)
    if caller is None:
        return None
    users = fixture()["users"]
    status = response.status_code
    if 200 <= status < 300 and "json" in (response.headers.get("content-type") or [""])[0]:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        leaked = mentions(body, foreign_refs(caller))
        if leaked:
            raise AssertionError(
                f"{caller}'s {request.method} {request.url} -> {status} names another user's runs: {leaked[:3]}"
            )
    named = named_object(request)
    if named is None:
        return None
    got = answer(status, response.content)
    owner = owner_of(named.ref)
    if owner is not None and owner != caller:
        missing = send(named, users[caller]["token"], ref=missing_like(named.ref))
        expected = answer(missing.status_code, missing.content)
        if got != expected:
            raise AssertionError(
                f"{caller} reached {owner}'s run {named.ref} ({named.where}): {request.method} {request.url} -> {got}, "
                f"but {expected} for one that does not exist"
            )
        return None
    if status == 404:
        return None
    # The caller may see this object (or the request was refused before any was looked up):
    # nobody else may tell it from a missing one.
    for name, user in users.items():
        if name == caller:
            continue
        seen = send(named, user["token"])
        missing = send(named, user["token"], ref=missing_like(named.ref))
        if answer(seen.status_code, seen.content) != answer(missing.status_code, missing.content):
            raise AssertionError(
                f"{name} reached {caller}'s object {named.ref} ({named.where}): {request.method} {request.url} -> "
                f"{answer(seen.status_code, seen.content)} as {name}, but "
                f"{answer(missing.status_code, missing.content)} for one that does not exist ({caller} got {got})"
            )
    return None
