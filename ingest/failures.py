"""Files that could not be read, remembered by content digest so an unchanged one is not read again.

A file that failed (a bomb, a hang, a corrupt export) would otherwise be parsed again on every
ingest run, at the same cost, for the same outcome.  The memory is one small JSON file in the data
dir, ``{digest: {"reason", "source", "fingerprint"}}``; an entry counts only while the reading
rules are the same (the ``fingerprint``: loader limits and budgets), so raising a budget or a new
loader retries the file, as does any change to its content (a new digest) or ``--rebuild``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from ingest import limits

log = logging.getLogger(__name__)
LOADER_VERSION = "1"
MAX_ENTRIES = 10_000
PREFIX = "unchanged since it failed: "


def fingerprint(max_file_mb: float, isolate: bool, timeout_s: float, max_mb: int) -> str:
    """What decides whether a file loads: the loaders' limits and this run's budgets."""
    rules = [LOADER_VERSION, max_file_mb, isolate, timeout_s if isolate else None, max_mb if isolate else None]
    rules += [getattr(limits, name) for name in sorted(dir(limits)) if name.startswith("MAX_")]
    return hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:16]


class FailureMemory:
    """The remembered failures of one data dir (loaded at creation, written by :meth:`save`)."""

    def __init__(self, path: Path, rules: str) -> None:
        self.path = path
        self.rules = rules
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self._sources: set[str] = set()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self._entries = {str(k): v for k, v in data.get("entries", {}).items() if isinstance(v, dict)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("ignoring unreadable failure memory %s: %s", path.name, exc)
        self._sources = {str(e.get("source")) for e in self._entries.values()}

    def reason(self, digest: str) -> str | None:
        """Why the file with this content failed under the current rules; None if it did not."""
        entry = self._entries.get(digest)
        if entry is None or entry.get("fingerprint") != self.rules:
            return None
        return str(entry.get("reason", ""))

    def remember(self, digest: str, source: str, reason: str) -> None:
        self.forget(source)
        self._entries[digest] = {"reason": reason, "source": source, "fingerprint": self.rules}
        self._sources.add(source)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))  # the oldest
        self._dirty = True

    def forget(self, source: str) -> None:
        """Drop what is remembered about a path (its content changed and loaded, or it is gone)."""
        if source not in self._sources:  # the common case, without a scan
            return
        stale = [d for d, e in self._entries.items() if e.get("source") == source]
        for digest in stale:
            del self._entries[digest]
        self._sources.discard(source)
        self._dirty = True

    def clear(self) -> None:
        self._dirty = self._dirty or bool(self._entries)
        self._entries.clear()
        self._sources.clear()

    def save(self) -> None:
        """Write the file (mode 0600) if anything changed; a failure to write is logged, not raised."""
        if not self._dirty:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"entries": self._entries}, handle, ensure_ascii=False)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError as exc:
            log.warning("could not record failed files in %s: %s", self.path.name, exc.strerror or exc)
