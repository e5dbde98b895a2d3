"""Thumbs up / down on answers, with an optional comment, kept in SQLite.

The question and the comment are masked with :func:`app.pii.mask` before they are written, so the
feedback table never holds personal data the official typed by mistake (the other text fields are
masked too, since any caller can fill them).  The file is ``<data_dir>/feedback.sqlite``, created
0600 in a 0700 directory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.audit import private_dir
from app.pii import mask
from ingest.documents import detect_lang
from ingest.settings import Settings, get_settings

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     TEXT NOT NULL,
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question    TEXT NOT NULL,
    language    TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    clauses     TEXT NOT NULL,
    comment     TEXT NOT NULL,
    pii_masked  TEXT NOT NULL,
    ui_lang     TEXT NOT NULL
)
"""


def feedback_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / "feedback.sqlite"


class FeedbackStore:
    """Append-only feedback records (one SQLite file; safe to share between threads)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        private_dir(self.path.parent)
        # SQLite gives its journal files the database file's mode, so creating it 0600 covers them.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        if self.path.stat().st_mode & 0o777 != 0o600:
            self.path.chmod(0o600)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(
        self,
        rating: str,
        question: str,
        verdict: str = "",
        language: str = "",
        clauses: Iterable[str] = (),
        comment: str = "",
        ui_lang: str = "",
    ) -> int:
        """Store one rating; returns its row id. The question and comment are masked first."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        lang = language if language in ("ko", "en") else detect_lang(question or comment or "")
        q = mask(question or "", lang)
        c = mask((comment or "")[:MAX_COMMENT_CHARS], detect_lang(comment) if comment else lang)
        kinds = sorted(set(q.kinds) | set(c.kinds))
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"), rating, q.text, lang, mask(verdict or "", lang).text,
            json.dumps([mask(str(k), lang).text for k in clauses], ensure_ascii=False), c.text, json.dumps(kinds),
            mask(ui_lang or "", lang).text,
        )
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (created, rating, question, language, verdict, clauses, comment, pii_masked, ui_lang)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock, self._connect() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", (int(limit),)).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["clauses"] = json.loads(item["clauses"])
            item["pii_masked"] = json.loads(item["pii_masked"])
            out.append(item)
        return out

    def counts(self) -> dict[str, int]:
        with self._lock, self._connect() as conn:
            rows = conn.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall()
        return {rating: 0 for rating in RATINGS} | {str(r): int(n) for r, n in rows}
