"""Roles (DESIGN.md "Roles"): asking is open; changing the index and running evals need the admin token.

The token is ``GUIDEBOT_ADMIN_TOKEN`` (``Settings.admin_token``).  With none set, no admin function
is exposed on any path.  Every admin call checks the token itself, so a function reached by a raw
``POST /gradio_api/queue/join`` or over REST refuses just as the page does.  Who changed what is
written to ``<data_dir>/audit/admin.jsonl`` under a token id (the first 8 hex digits of the token's
SHA-256), never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.settings import Settings

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


class AdminError(PermissionError):
    """An admin function called without the right token (or with admin functions switched off)."""


def admin_token(settings: Settings) -> str | None:
    secret = settings.admin_token
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value or None


def admin_enabled(settings: Settings) -> bool:
    """Whether the admin functions exist at all on this server."""
    return admin_token(settings) is not None


def token_id(token: str) -> str:
    """A short, stable name for a token that does not reveal it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]


def check_token(settings: Settings, given: object) -> str:
    """The caller's token id when ``given`` is the admin token; raises :class:`AdminError` otherwise."""
    expected = admin_token(settings)
    if expected is None:
        raise AdminError("admin functions are switched off on this server (no GUIDEBOT_ADMIN_TOKEN is set)")
    offered = given.strip() if isinstance(given, str) else ""
    if not offered or not hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8")):
        raise AdminError("the admin token is missing or wrong")
    return token_id(offered)


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ('' when absent)."""
    if not header:
        return ""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def admin_log_path(settings: Settings) -> Path:
    return settings.data_dir / "audit" / "admin.jsonl"


def record_change(settings: Settings, actor: str, action: str, target: str, outcome: dict[str, Any] | None = None) -> None:
    """Append who (``actor``, a token id) did what to the admin audit log (file 0600 in a 0700 folder)."""
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "actor": actor, "action": action,
             "target": target, "outcome": outcome or {}}
    path = admin_log_path(settings)
    with _LOCK:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as exc:
            log.warning("admin audit log not written (%s)", exc.strerror or exc)
