"""The audit log: every question and answer, masked, as rotating JSON Lines under the data dir.

Each line holds the time, the masked question, verdict, cited clauses, backend and latency.
Files rotate at ``audit_max_bytes``; rotated files older than ``audit_retention_days`` are deleted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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
            "question": answer.question,
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
                self.dir.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    self._rotate()
                with self.path.open("a", encoding="utf-8") as handle:
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
