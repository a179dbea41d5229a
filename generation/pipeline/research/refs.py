"""Parse the Hugging Face model references people paste into one `HfReference`.

Accepted: `org/name`, legacy `gpt2`, `org/name@rev`, `hf://org/name[@rev][/file]`, and web links
on huggingface.co, hf.co or the configured endpoint (with or without scheme, http or https,
trailing slash, query string, fragment), including `tree/`, `blob/`, `resolve/` and `raw/` links
whose revision may be `refs/pr/N`. Datasets, Spaces, other hosts and pages that are not the model
itself are refused with a message that says what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from generation.pipeline.errors import SourceError

DEFAULT_REVISION = "main"
HF_HOSTS = ("huggingface.co", "hf.co")
_EXAMPLE = "paste a model id such as 'Qwen/Qwen3-0.6B' or its huggingface.co link"

# A part of a repo id (huggingface_hub `validate_repo_id`): ASCII letters, digits, `-`, `_`, `.`,
# starting and ending with a word character.
_ID_PART = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?$")
_FILE_PAGES = ("blob", "resolve", "raw")
# Top-level pages of the Hub site that are not repositories, so `huggingface.co/docs` is never
# mistaken for a legacy single-segment model id.
_SITE_PAGES = frozenset(
    {
        "docs", "blog", "collections", "papers", "organizations", "settings", "login", "join",
        "pricing", "api", "new", "tasks", "learn", "posts", "chat", "enterprise", "search",
        "inference-endpoints", "notifications", "welcome", "privacy", "terms-of-service", "buckets",
    }
)  # fmt: skip
_REPO_TYPES = {
    "datasets": "a Hugging Face dataset",
    "spaces": "a Hugging Face Space (an app)",
    "kernels": "a Hugging Face kernel repository",
}

_REPO_PAGES = {
    "discussions": "the discussions",
    "commits": "the commit history",
    "commit": "a commit page",
    "settings": "the settings",
    "community": "the community tab",
    "edit": "an edit page",
    "compare": "a comparison page",
    "upload": "an upload page",
    "delete": "a delete page",
    "new": "a new-file page",
    "blame": "a blame page",
}


@dataclass(frozen=True)
class HfReference:
    """A model on the Hub: its id as given, the revision (branch, tag, sha) and an optional file."""

    repo_id: str
    revision: str = DEFAULT_REVISION
    filename: str = ""


def parse_hf_reference(text: str, *, endpoint: str | None = None) -> HfReference:
    """Parse a pasted model reference; raise `SourceError` saying what is wrong with it."""
    raw = (text or "").strip()
    if not raw:
        raise _error(f"The model reference is empty; {_EXAMPLE}.")
    if any(ch.isspace() for ch in raw):
        raise _error(f"'{_short(raw)}' contains spaces, so it is not a model reference; {_EXAMPLE}.")
    lowered = raw.lower()
    if lowered.startswith("hf://"):
        return _parse_hf_uri(raw, raw[5:])
    if "://" in raw:
        return _parse_url(raw, endpoint)
    first = lowered.split("/", 1)[0]
    if _is_known_host(first, endpoint) or ("/" in raw and _DOMAIN.match(first)):
        return _parse_url(raw, endpoint, assumed_scheme="https://")
    if "@" in raw:
        repo_part, revision = raw.split("@", 1)
        return HfReference(_check_repo_id(repo_part, raw), _check_revision(revision, raw))
    segments = raw.strip("/").split("/")
    if len(segments) > 2 or segments[0] in _REPO_TYPES:
        # `org/name/tree/v2` or `datasets/org/name` without a host: read it as a path on the Hub.
        return _parse_path(raw, [unquote(s) for s in segments])
    return HfReference(_check_repo_id(raw.strip("/"), raw))


def _parse_url(raw: str, endpoint: str | None, assumed_scheme: str = "") -> HfReference:
    parts = urlsplit(assumed_scheme + raw)
    if parts.scheme.lower() not in ("http", "https"):
        raise _error(f"'{_short(raw)}' is not a web link (only http and https are accepted); {_EXAMPLE}.")
    try:
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise _error(f"'{_short(raw)}' has an invalid host or port; {_EXAMPLE}.") from None
    netloc = f"{host}:{port}" if port else host
    prefix = ""
    if not _is_known_host(netloc, endpoint) or parts.username or parts.password:
        raise _error(
            f"'{_short(raw)}' is not a link to huggingface.co or hf.co"
            + (" or the configured Hub endpoint" if endpoint else "")
            + f"; {_EXAMPLE}."
        )
    if endpoint and _endpoint_netloc(endpoint) == netloc:
        prefix = urlsplit(endpoint).path.rstrip("/")
    path = parts.path
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :]
    # Split before decoding so an encoded revision such as `refs%2Fpr%2F3` stays one segment.
    segments = [unquote(s) for s in path.split("/") if s]
    return _parse_path(raw, segments)


def _parse_path(raw: str, segments: list[str]) -> HfReference:
    if not segments:
        raise _error(f"'{_short(raw)}' does not name a model; {_EXAMPLE}.")
    head = segments[0]
    if head in _REPO_TYPES:
        raise _error(f"'{_short(raw)}' is {_REPO_TYPES[head]}, not a model; paste the link of a model page instead.")
    if head == "models" or head in _SITE_PAGES:
        raise _error(f"'{_short(raw)}' is a page of the Hub site, not a model page; {_EXAMPLE}.")
    # Legacy single-segment ids (`gpt2`) are followed directly by a page keyword.
    single = len(segments) == 1 or segments[1] in (*_FILE_PAGES, "tree", *_REPO_PAGES)
    id_len = 1 if single else 2
    repo_id = _check_repo_id("/".join(segments[:id_len]), raw)
    rest = segments[id_len:]
    if not rest:
        return HfReference(repo_id)
    page, after = rest[0], rest[1:]
    if page == "tree":
        revision, _ = _split_revision(after)
        return HfReference(repo_id, _check_revision(revision or DEFAULT_REVISION, raw))
    if page in _FILE_PAGES:
        revision, file_parts = _split_revision(after)
        return HfReference(repo_id, _check_revision(revision or DEFAULT_REVISION, raw), "/".join(file_parts))
    label = _REPO_PAGES.get(page, f"the '{page}' page")
    raise _error(
        f"'{_short(raw)}' points to {label} of {repo_id}, not to the model itself; "
        f"paste the model page link or the id '{repo_id}'."
    )


def _parse_hf_uri(raw: str, rest: str) -> HfReference:
    """`hf://[models/]org/name[@revision][/path]` as used by huggingface_hub's HfFileSystem."""
    rest = rest.split("?", 1)[0].split("#", 1)[0].strip("/")
    if not rest:
        raise _error(f"'{_short(raw)}' does not name a model; {_EXAMPLE}.")
    segments = rest.split("/")
    if segments[0] in _REPO_TYPES:
        raise _error(f"'{_short(raw)}' is {_REPO_TYPES[segments[0]]}, not a model; paste the link of a model page.")
    if segments[0] == "models":
        segments = segments[1:]
    at = next((i for i, s in enumerate(segments[:2]) if "@" in s), None)
    if at is None:
        id_len = min(2, len(segments))
        return HfReference(_check_repo_id("/".join(segments[:id_len]), raw), DEFAULT_REVISION, "/".join(segments[2:]))
    name, revision_head = segments[at].split("@", 1)
    repo_id = _check_repo_id("/".join([*segments[:at], name]), raw)
    revision, file_parts = _split_revision([unquote(revision_head), *segments[at + 1 :]])
    return HfReference(repo_id, _check_revision(revision or "", raw), "/".join(file_parts))


def _split_revision(segments: list[str]) -> tuple[str, list[str]]:
    """Split `[rev..., file...]`: `refs/pr/N` (and other `refs/x/y`) revisions span three segments."""
    if not segments:
        return "", []
    if "/" in segments[0]:  # already decoded from `refs%2Fpr%2F3`
        return segments[0], segments[1:]
    if segments[0] == "refs" and len(segments) >= 3:
        return "/".join(segments[:3]), segments[3:]
    return segments[0], segments[1:]


def _check_repo_id(repo_id: str, raw: str) -> str:
    repo_id = repo_id.strip("/")
    if not repo_id:
        raise _error(f"'{_short(raw)}' does not name a model; {_EXAMPLE}.")
    why = _repo_id_problem(repo_id)
    if why:
        raise _error(f"'{_short(repo_id)}' is not a valid Hugging Face model id: {why}; {_EXAMPLE}.")
    return repo_id


def _repo_id_problem(repo_id: str) -> str:
    """The rule of huggingface_hub's `validate_repo_id` that `repo_id` breaks, or ''."""
    parts = repo_id.split("/")
    if len(parts) > 2:
        return "it has more than one '/' (ids are 'name' or 'namespace/name')"
    if len(repo_id) > 96:
        return "it is longer than 96 characters"
    if "--" in repo_id or ".." in repo_id:
        return "it may not contain '--' or '..'"
    if repo_id.endswith(".git"):
        return "it may not end with '.git'"
    for part in parts:
        if not _ID_PART.match(part):
            return "only letters, digits, '-', '_' and '.' are allowed, and a part may not start or end with '-' or '.'"
    return ""


def _check_revision(revision: str, raw: str) -> str:
    revision = revision.strip()
    if (
        not revision
        or len(revision) > 255
        or ".." in revision
        or revision.startswith("/")
        or revision.endswith("/")
        or any(ch.isspace() or ord(ch) < 32 for ch in revision)
    ):
        raise _error(
            f"'{_short(raw)}' has an invalid revision {revision!r}; use a branch, tag or commit sha such as 'main'."
        )
    return revision


def _is_known_host(netloc: str, endpoint: str | None) -> bool:
    host = netloc.removeprefix("www.")
    if host in HF_HOSTS:
        return True
    return bool(endpoint) and netloc == _endpoint_netloc(endpoint or "")


def _endpoint_netloc(endpoint: str) -> str:
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    return f"{host}:{port}" if port else host


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error(message: str) -> SourceError:
    return SourceError(message, stage="research")
