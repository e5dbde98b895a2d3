"""One ask-or-error path for the CLI, REST and the UI: a question in, an Answer or a Failure out.

Every front-end used to catch ``QuestionError`` and the store's errors its own way; here it happens
once.  A :class:`Failure` carries a stable ``kind`` (the UI picks its localised message by it), a
plain English ``message`` (CLI and REST print it) and the HTTP status REST answers with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingest.store import StoreError

if TYPE_CHECKING:
    from app.answer import Answer
    from app.assistant import Assistant

log = logging.getLogger(__name__)
LANGS = ("auto", "ko", "en")
BUILD_HINT = (
    "No documents are indexed yet. Build the index with `.venv/bin/guidebot ingest` (the bundled corpus), "
    "or start the server with `guidebot serve`, which builds it when it is empty."
)


@dataclass
class Failure:
    """Why a question got no answer, in words an official can act on."""

    kind: str  # empty | too_long | not_text | bad_lang | no_index | store | internal
    message: str
    status: int
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "kind": self.kind}


def check_lang(lang: object) -> str | None:
    """``None`` for auto-detection, 'ko' or 'en'; raises ValueError for anything else."""
    if lang in (None, "", "auto"):
        return None
    if lang in ("ko", "en"):
        return str(lang)
    raise ValueError(f"lang must be one of {', '.join(LANGS)}")


def ask_or_error(assistant: Assistant, question: object, lang: object = None) -> Answer | Failure:
    """``assistant.ask`` with every expected failure turned into a :class:`Failure` (never a traceback)."""
    from app.assistant import QuestionError

    try:
        language = check_lang(lang)
    except ValueError as exc:
        return Failure("bad_lang", str(exc), 422)
    limit = assistant.settings.max_question_chars
    if isinstance(question, str) and question.strip() and len(question.strip()) > limit:
        n = len(question.strip())
        return Failure("too_long", f"the question is {n:,} characters long; the limit is {limit:,}. "
                       "Shorten it to the part you want answered.", 400, {"n": n, "max": limit})
    try:
        if getattr(assistant.index, "count", 1) == 0:
            assistant.refresh(force=True)  # an ingest may have run since start-up
            if assistant.index.count == 0:
                return Failure("no_index", BUILD_HINT, 503)
        return assistant.ask(question, lang=language)  # type: ignore[arg-type]
    except QuestionError as exc:
        kind = "not_text" if not isinstance(question, str) else "empty" if not question.strip() else "invalid"
        return Failure(kind, str(exc), 400)
    except StoreError as exc:
        return Failure("store", str(exc), 503)
    except Exception as exc:  # the log has the traceback; the question itself is never logged
        log.exception("answering failed")
        return Failure("internal", f"internal error ({type(exc).__name__}); see the server log", 500,
                       {"kind": type(exc).__name__})
