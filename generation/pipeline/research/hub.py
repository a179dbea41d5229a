"""Fetch a model's description, card and config files from the Hugging Face Hub, with a cache.

Everything goes through huggingface_hub: its shared HTTP session, headers and error mapping for
`GET /api/models/{id}[/revision/{rev}]`, and `hf_hub_download` for files. The model info is
read as raw JSON rather than through `HfApi.model_info` because `ModelInfo` requires `id`
(older responses only have `modelId`) and reparses `cardData`; the raw payload is also what the
cache keeps. Files are downloaded at the returned `sha`, so the card matches the metadata.

Network failures and HTTP 429/5xx fall back to the cache even when it has expired, with a note;
"not found" answers never do, because the model or revision is really gone.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from huggingface_hub import hf_hub_download
from huggingface_hub.errors import (
    DisabledRepoError,
    FileMetadataError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from generation.pipeline.errors import SourceError, SourceUnavailable
from generation.pipeline.research.cache import ResearchCache
from generation.pipeline.research.config import ResearchConfig
from generation.pipeline.research.refs import DEFAULT_REVISION, HfReference

README = "README.md"
EXTRA_FILES = ("config.json", "generation_config.json")
_SHA = re.compile(r"^[0-9a-f]{40}$")
ReadmeStatus = Literal["ok", "gated", "missing"]


@dataclass
class HubData:
    """What the Hub said about one model at one commit."""

    repo_id: str
    sha: str
    info: dict[str, Any]
    readme: str | None
    readme_status: ReadmeStatus
    files: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"info": self.info, "readme": self.readme, "readme_status": self.readme_status, "files": self.files}


class _HubUnavailable(Exception):
    """The Hub could not answer now (network, rate limit, outage): the cache may stand in."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def fetch_model(
    ref: HfReference, *, config: ResearchConfig, extra_files: tuple[str, ...] = (), allow_network: bool = True
) -> HubData:
    """The model at `ref`, from a fresh cache entry, the Hub, or (offline) any cache entry."""
    cache = ResearchCache(config.cache_dir)
    endpoint = config.hub_endpoint
    if not allow_network or config.offline:
        cached = _from_cache(cache, endpoint, ref, now=None, ttl=0)
        why = (
            "Hugging Face offline mode (HF_HUB_OFFLINE) is on"
            if config.offline
            else "fallback mode works from the cache only, without contacting the Hub"
        )
        if cached is None:
            raise _error(
                f"Nothing is cached for {_label(ref)} and {why}; run once with network access, "
                "or paste the model card text instead."
            )
        cached.notes.append(f"Used the cached Hub data for {cached.repo_id} because {why}; it may be out of date.")
        return cached
    now = config.clock()
    cached = _from_cache(cache, endpoint, ref, now=now, ttl=config.ttl_seconds)
    try:
        if cached is not None:
            missing = tuple(name for name in extra_files if name not in cached.files)
            if missing:
                cached.files.update(_download_extra_files(cached.repo_id, cached.sha, cached.info, missing, config))
                cache.put_payload(endpoint, cached.repo_id, cached.sha, cached.payload(), now=now)
            return cached
        data = _fetch(ref, config, extra_files)
    except _HubUnavailable as exc:
        stale = _from_cache(cache, endpoint, ref, now=None, ttl=0)
        if stale is None:
            raise SourceUnavailable(exc.message, stage="research") from None
        stale.notes.append(
            f"The Hugging Face Hub could not be reached ({exc.reason}), so the cached data for {stale.repo_id} "
            "was used; it may be out of date."
        )
        return stale
    cache.put_payload(endpoint, data.repo_id, data.sha, data.payload(), now=now)
    cache.put_revision(endpoint, ref.repo_id, ref.revision, canonical_id=data.repo_id, sha=data.sha, now=now)
    return data


def _from_cache(
    cache: ResearchCache, endpoint: str, ref: HfReference, *, now: float | None, ttl: int
) -> HubData | None:
    """The cached data for `ref`; with `now`, only if both entries are younger than `ttl`."""
    mapping = cache.get_revision(endpoint, ref.repo_id, ref.revision)
    if mapping is not None:
        repo_id, sha = str(mapping.data.get("repo_id", "")), str(mapping.data.get("sha", ""))
    elif _SHA.match(ref.revision):
        repo_id, sha = ref.repo_id, ref.revision  # a commit never moves: the payload alone will do
    else:
        return None
    payload = cache.get_payload(endpoint, repo_id, sha)
    if payload is None:
        return None
    if now is not None and not (payload.is_fresh(now, ttl) and (mapping is None or mapping.is_fresh(now, ttl))):
        return None
    data = payload.data
    if not isinstance(data.get("info"), dict):
        return None
    files = data.get("files") if isinstance(data.get("files"), dict) else {}
    status = data.get("readme_status") if data.get("readme_status") in ("ok", "gated", "missing") else "missing"
    readme = data.get("readme") if isinstance(data.get("readme"), str) else None
    return HubData(repo_id, sha, data["info"], readme, status, dict(files))


def _fetch(ref: HfReference, config: ResearchConfig, extra_files: tuple[str, ...]) -> HubData:
    info = _get_model_info(ref, config)
    repo_id = str(info.get("id") or info.get("modelId") or ref.repo_id)
    sha = str(info.get("sha") or "")
    notes = []
    if not _SHA.match(sha):
        notes.append(f"The Hub did not report the commit of {repo_id}, so the card could not be pinned to one.")
        sha = ref.revision
    readme, status = None, "missing"
    try:
        readme = _download_text(repo_id, README, sha, config)
        status = "ok"
    except (GatedRepoError, RepositoryNotFoundError) as exc:
        # Gated repos answer the API but refuse file downloads without a granted token.
        if not isinstance(exc, GatedRepoError) and not info.get("gated"):
            raise _hub_error(exc, ref) from None
        status = "gated"
    except RemoteEntryNotFoundError:
        status = "missing"
    except Exception as exc:
        raise _hub_error(exc, ref) from None
    files = _download_extra_files(repo_id, sha, info, extra_files, config)
    return HubData(repo_id, sha, info, readme, status, files, notes)


def _get_model_info(ref: HfReference, config: ResearchConfig) -> dict[str, Any]:
    url = f"{config.hub_endpoint}/api/models/{ref.repo_id}"
    if ref.revision != DEFAULT_REVISION:
        # huggingface_hub encodes the whole revision, so `refs/pr/3` is one path segment.
        url += f"/revision/{quote(ref.revision, safe='')}"
    headers = build_hf_headers(token=config.token or False, library_name="alain")
    try:
        response = get_session().get(url, headers=headers, timeout=config.timeout_seconds)
        hf_raise_for_status(response)
        data = response.json()
    except Exception as exc:
        raise _hub_error(exc, ref) from None
    if not isinstance(data, dict) or not (data.get("id") or data.get("modelId")):
        raise _error(f"The Hub answered with an unexpected model description for {_label(ref)}; try again later.")
    return data


def _download_text(repo_id: str, filename: str, sha: str, config: ResearchConfig) -> str:
    path = hf_hub_download(
        repo_id,
        filename,
        revision=sha,
        endpoint=config.hub_endpoint,
        token=config.token or False,
        # A folder of our own, not HF_HOME: the research cache and these files live and go together.
        cache_dir=Path(config.cache_dir) / "hub",
        etag_timeout=config.timeout_seconds,
    )
    data = Path(str(path)).read_bytes()
    # Real cards are tens of kilobytes; a far larger file is not a card and would only slow every stage.
    if len(data) > config.max_source_bytes * 4:
        raise _error(f"{filename} of {repo_id} is {len(data):,} bytes, too large to use as a model card.")
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _download_extra_files(
    repo_id: str, sha: str, info: dict[str, Any], names: tuple[str, ...], config: ResearchConfig
) -> dict[str, dict[str, Any] | None]:
    """JSON files such as config.json at `sha`; a file the repo does not have is recorded as None."""
    listed = {s.get("rfilename") for s in info.get("siblings") or [] if isinstance(s, dict)}
    found: dict[str, dict[str, Any] | None] = {}
    for name in names:
        if listed and name not in listed:
            found[name] = None
            continue
        try:
            loaded = json.loads(_download_text(repo_id, name, sha, config))
        except (RemoteEntryNotFoundError, GatedRepoError, ValueError):
            loaded = None  # absent, gated or not JSON: thorough research simply goes without it
        except Exception as exc:
            raise _hub_error(exc, HfReference(repo_id, sha)) from None
        found[name] = loaded if isinstance(loaded, dict) else None
    return found


def _hub_error(exc: BaseException, ref: HfReference) -> Exception:
    """Turn a huggingface_hub/transport error into a SourceError or `_HubUnavailable`."""
    if isinstance(exc, (SourceError, _HubUnavailable)):
        return exc
    if isinstance(exc, LocalEntryNotFoundError) and isinstance(exc.__cause__, HfHubHTTPError):
        exc = exc.__cause__  # hf_hub_download wraps the HTTP error it could not recover from
    label = _label(ref)
    if isinstance(exc, GatedRepoError):
        return _error(f"{ref.repo_id} is gated and the configured token has no access; request access on the Hub.")
    if isinstance(exc, RevisionNotFoundError):
        return _error(f"The revision '{ref.revision}' does not exist in {ref.repo_id}; use a branch, tag or commit.")
    if isinstance(exc, RepositoryNotFoundError):
        return _error(
            f"The model '{ref.repo_id}' was not found on the Hugging Face Hub (or it is private); "
            "check the id, or set HF_TOKEN to a token that can read it."
        )
    if isinstance(exc, DisabledRepoError):
        return _error(f"Access to {ref.repo_id} has been disabled on the Hugging Face Hub; pick another model.")
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 401:
            return _error("The Hugging Face Hub rejected the token (HTTP 401); fix or remove HF_TOKEN.")
        if status == 403:
            return _error(f"The Hugging Face token may not read {ref.repo_id} (HTTP 403); use a token with access.")
        if status == 429:
            wait = _retry_after(exc.response.headers.get("Retry-After"))
            return _HubUnavailable(
                "rate limited, HTTP 429",
                f"The Hugging Face Hub is rate-limiting requests (HTTP 429) and nothing is cached for {label}; "
                f"retry {wait}.",
            )
        if status >= 500:
            return _HubUnavailable(
                f"HTTP {status}",
                f"The Hugging Face Hub failed (HTTP {status}) and nothing is cached for {label}; retry in a few minutes.",
            )
        return _error(f"The Hugging Face Hub refused the request for {label} (HTTP {status}); check the reference.")
    if isinstance(exc, _TRANSPORT_ERRORS):
        return _HubUnavailable(
            type(exc).__name__,
            f"The Hugging Face Hub cannot be reached and nothing is cached for {label}; "
            "check the network or HF_ENDPOINT, or paste the model card text instead.",
        )
    return _error(f"Reading {label} from the Hugging Face Hub failed ({type(exc).__name__}); try again later.")


def _retry_after(value: str | None) -> str:
    if value and value.strip().isdigit():
        seconds = int(value.strip())
        return f"in {seconds} seconds" if seconds < 120 else f"in about {round(seconds / 60)} minutes"
    return "in a few minutes"


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "no answer": the HTTP library's transport errors plus huggingface_hub's own."""
    errors: list[type[BaseException]] = [
        OfflineModeIsEnabled,
        LocalEntryNotFoundError,
        FileMetadataError,
        ConnectionError,
        TimeoutError,
    ]
    # huggingface_hub 2.x speaks httpx2, 1.x httpx, 0.x requests: accept whichever is installed.
    for module_name, attr in (
        ("httpx2", "TransportError"),
        ("httpx", "TransportError"),
        ("requests", "RequestException"),
    ):
        try:
            errors.append(getattr(importlib.import_module(module_name), attr))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


_TRANSPORT_ERRORS = _transport_errors()


def _label(ref: HfReference) -> str:
    return ref.repo_id if ref.revision == DEFAULT_REVISION else f"{ref.repo_id}@{ref.revision}"


def _error(message: str) -> SourceError:
    return SourceError(message, stage="research")
