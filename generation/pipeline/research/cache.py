"""A JSON file cache of what the Hub returned, so research works offline and spares the Hub.

Two kinds of entry, each one file named by a hash of its key:

- `revisions/`: (endpoint, requested repo id, requested revision) -> (canonical id, sha);
  branches move, so this mapping expires after the TTL;
- `payloads/`: (endpoint, canonical id, sha) -> model info JSON, README text and extra files.

Entries carry the time they were stored; `fresh=False` reads return them even when expired
(offline use). Writes go to a temporary file in the same folder and are renamed into place, so a
reader never sees half a file, even with several workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


@dataclass(frozen=True)
class CacheEntry:
    data: dict[str, Any]
    stored_at: float

    def is_fresh(self, now: float, ttl_seconds: int) -> bool:
        return 0 <= now - self.stored_at < ttl_seconds


class ResearchCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "research"

    def get_revision(self, endpoint: str, repo_id: str, revision: str) -> CacheEntry | None:
        return self._read("revisions", (endpoint, repo_id, revision))

    def put_revision(
        self, endpoint: str, repo_id: str, revision: str, *, canonical_id: str, sha: str, now: float
    ) -> None:
        self._write("revisions", (endpoint, repo_id, revision), {"repo_id": canonical_id, "sha": sha}, now)

    def get_payload(self, endpoint: str, repo_id: str, sha: str) -> CacheEntry | None:
        return self._read("payloads", (endpoint, repo_id, sha))

    def put_payload(self, endpoint: str, repo_id: str, sha: str, payload: dict[str, Any], *, now: float) -> None:
        self._write("payloads", (endpoint, repo_id, sha), payload, now)

    def _path(self, kind: str, key: tuple[str, ...]) -> Path:
        digest = hashlib.sha256("\n".join(key).encode("utf-8")).hexdigest()
        return self.root / kind / f"{digest}.json"

    def _read(self, kind: str, key: tuple[str, ...]) -> CacheEntry | None:
        path = self._path(kind, key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or unreadable: the same as not cached
        if (
            not isinstance(record, dict)
            or record.get("format") != CACHE_FORMAT
            or record.get("key") != list(key)
            or not isinstance(record.get("data"), dict)
        ):
            return None
        return CacheEntry(record["data"], float(record.get("stored_at", 0)))

    def _write(self, kind: str, key: tuple[str, ...], data: dict[str, Any], now: float) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"format": CACHE_FORMAT, "key": list(key), "stored_at": now, "data": data}
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False, sort_keys=True)
            Path(tmp).replace(path)  # os.replace: atomic on POSIX and Windows
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
