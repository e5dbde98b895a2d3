"""The audit log: every question and answer, masked, as rotating JSON Lines under the data dir.

Each line holds the time, the masked question, verdict, cited clauses, backend and latency.
Files rotate at ``audit_max_bytes``; rotated files older than ``audit_retention_days`` are deleted.
The question is masked again before it is written (whatever path built the answer), and the files
are created 0600 in a 0700 directory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from app.pii import mask
from ingest.settings import Settings

if TYPE_CHECKING:
    from app.answer import Answer


class AuditLog:
    def __init__(self, settings: Settings) -> None:
        self.dir = settings.data_dir / "audit"
        self.max_bytes = settings.audit_max_bytes
        self.retention_s = settings.audit_retention_days * 86400
        self._lock = threading.Lock()
        self.enabled = True

    @property
    def path(self) -> Path:
        return self.dir / "audit.jsonl"

    def record(self, answer: Answer) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": mask(answer.question, answer.language).text,
            "language": answer.language,
            "verdict": answer.verdict,
            "citations": [c.clause for c in answer.citations],
            "pii_masked": answer.pii_masked,
            "backend": answer.backend,
            "latency_ms": round(answer.timings_ms.get("total", 0.0), 2),
            "injection_detected": answer.injection_detected,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            if not self.enabled:
                return
            try:
                private_dir(self.dir)
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    self._rotate()
                with open_private(self.path) as handle:
                    handle.write(line)
            except OSError as exc:
                # A read-only or full data dir must not stop answers: warn once, then stop logging.
                self.enabled = False
                logging.getLogger(__name__).warning("audit log disabled: cannot write %s (%s)", self.path, exc.strerror or exc)

    def _rotate(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.path.rename(self.dir / f"audit-{stamp}.jsonl")
        cutoff = time.time() - self.retention_s
        for old in self.dir.glob("audit-*.jsonl"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) if needed and make it 0700: only the service's user reads it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)


def open_private(path: Path) -> TextIO:
    """Open a text file for appending, created 0600 (and tightened to 0600 if it was not)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if os.fstat(fd).st_mode & 0o777 != 0o600:
        os.fchmod(fd, 0o600)
    return open(fd, "a", encoding="utf-8")
