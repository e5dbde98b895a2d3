"""``Assistant``: the one answering entry point shared by the CLI, the UI and the evals."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from app.answer import Answer
from app.compose import INJECTION_NOTE, NOTICE, PII_KIND_NAMES, PII_MASKED_NOTE, Composer
from app.config import AnswerConfig, get_config
from app.evidence import gather
from app.pii import mask
from app.retrieval import ClauseIndex
from app.understand import default_model, retrieval_query, understand
from app.verdict import Verdict, decide
from ingest.documents import detect_lang
from ingest.pipeline import open_store
from ingest.settings import Settings, get_settings
from ingest.store import StoreError
from ingest.tokens import warm_up

REFRESH_EVERY_S = 30.0
log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """A question that cannot be answered as given (empty, too long, not text)."""


class Assistant:
    """Answers officials' questions with a verdict and cited clauses.

    Args:
        settings: defaults to :func:`ingest.settings.get_settings`.
        k: how many clauses to cite at most (default: settings.top_k).
        backend: 'extractive' (default) or an LLM backend name from settings.

    Example:
        >>> Assistant().ask("부산시 지침의 4대 가치는?").verdict
        'info'
    """

    def __init__(
        self, settings: Settings | None = None, k: int | None = None, backend: str | None = None, retrieval: str = "hybrid",
        config: AnswerConfig | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.config = config or get_config()
        self.model = default_model()
        self.retrieval = retrieval
        self.k = k or self.settings.top_k
        # Kiwi takes seconds to load: it warms up in a thread while the store and index load.
        kiwi = threading.Thread(target=warm_up, name="guidebot-kiwi", daemon=True)
        kiwi.start()
        self.store, self.embedder = open_store(self.settings)
        self.index = ClauseIndex(self.store, self.embedder, self.config)
        kiwi.join()
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._reloader: threading.Thread | None = None
        self.backend_name = backend or ("extractive" if self.settings.llm_backend == "none" else self.settings.llm_backend)
        self._llm: Any = None
        if self.backend_name != "extractive":
            from app.llm import make_backend

            self._llm = make_backend(self.settings, self.backend_name)
        from app.audit import AuditLog

        self.audit = AuditLog(self.settings) if self.settings.audit_log else None

    # -- index freshness -------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Reload the in-memory index when the store changed (another process ingested).

        ``force`` reloads now, in this thread.  Otherwise the store is checked every
        ``REFRESH_EVERY_S`` seconds and a change is loaded in a background thread while answers
        keep using the current index (at 100x the corpus a load takes most of a minute).
        Returns whether a reload was done or started.
        """
        if force:
            self._reload()
            return True
        if time.monotonic() - self._checked < REFRESH_EVERY_S:
            return False
        self._checked = time.monotonic()
        try:
            if self.store.count() == self.index.count:
                return False
        except StoreError:
            pass  # the collection may have been rebuilt under us: the reload reopens it
        if self._reloader is not None and self._reloader.is_alive():
            return False
        self._reloader = threading.Thread(target=self._reload_quietly, name="guidebot-refresh", daemon=True)
        self._reloader.start()
        return True

    def _reload(self) -> None:
        try:
            index = ClauseIndex(self.store, self.embedder, self.config)
        except StoreError:
            # An ingest --rebuild drops and recreates the collection: reopen the store by name.
            self.store, _ = open_store(self.settings)
            index = ClauseIndex(self.store, self.embedder, self.config)
        with self._lock:
            self.index = index

    def _reload_quietly(self) -> None:
        try:
            self._reload()
        except StoreError as exc:  # answers report the store's state themselves
            log.warning("index reload failed: %s", exc)

    # -- answering -------------------------------------------------------------------------------

    def validate(self, question: object) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        # Lone surrogates (from a broken paste) cannot be encoded for the embedder: replace them.
        text = question.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", " ").strip()
        if not text:
            raise QuestionError("the question is empty")
        if len(text) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(text):,} characters long; the limit is {self.settings.max_question_chars:,}. "
                "Shorten it to the part you want answered."
            )
        return text

    def ask(self, question: str, lang: str | None = None, *, retrieval: str | None = None) -> Answer:
        """Answer one question; raises :class:`QuestionError` for empty or oversized input.

        ``retrieval`` ('hybrid', 'bm25' or 'dense') overrides the retrieval mode for this call.
        """
        started = time.perf_counter()
        raw = self.validate(question)
        lang = lang if lang in ("ko", "en") else detect_lang(raw)
        masked = mask(raw, lang)  # before anything is logged, embedded or shown
        del raw, question
        self.refresh()
        index = self.index
        mode = retrieval or self.retrieval
        t0 = time.perf_counter()
        query = retrieval_query(masked.text)
        vector = self.embedder.embed_query(query)
        u = understand(masked.text, lang, vector, pii_found=bool(masked.found), model=self.model, thresholds=self.config)
        evidence = gather(index, u, vector, self.config, self.k, mode=mode)
        t1 = time.perf_counter()
        decision = decide(u, evidence, self.config)
        if decision.verdict is Verdict.NOT_COVERED and decision.rule == "no_evidence":
            # "I am an official at OO office. What is the fine cap?": the preamble can drown the
            # question, so the last sentence gets a second look on its own.
            last = _last_sentence(u.query)
            if last and last != u.query:
                vector = self.embedder.embed_query(last)
                evidence = gather(index, replace(u, query=last), vector, self.config, self.k, mode=mode)
                decision = decide(u, evidence, self.config)
        composer = Composer(u, u.query, index)
        text, conditions, alternatives = composer.compose(decision, masked.kinds)
        answer = Answer(
            question=masked.text, language=composer.lang, verdict=decision.verdict.value, answer=text, conditions=conditions,
            citations=composer.citations, alternatives=alternatives, understanding=u.to_dict(), rule=decision.rule,
            pii_masked=masked.kinds, backend="extractive", intent=u.intent.value,
            features=sorted(u.features), injection_detected=u.injection,
            notice=self._notice(composer.lang, masked.kinds, u.injection),
            follow_ups=self._follow_ups(composer),
            # The clauses the answer rests on come first, then the rest of the evidence in retrieved order.
            retrieved=list(dict.fromkeys([c.clause for c in composer.citations] + evidence.keys)),
        )
        if self._llm is not None and decision.verdict != "not_covered":
            from app.llm import rewrite_with_llm

            answer = rewrite_with_llm(self._llm, answer, self.embedder)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - started) * 1000}
        if self.audit is not None:
            self.audit.record(answer)
        return answer

    @staticmethod
    def _notice(lang: str, pii: list[str], injection: bool) -> str:
        """System notes shown beside the answer (they are not claims from the guidelines)."""
        parts = [NOTICE[lang]]
        if pii:
            parts.insert(0, PII_MASKED_NOTE[lang].format(kinds=", ".join(PII_KIND_NAMES[lang][k] for k in pii)))
        if injection:
            parts.insert(0, INJECTION_NOTE[lang])
        return " ".join(parts)

    def _follow_ups(self, composer: Composer) -> list[str]:
        """Questions that continue the topic, built from the cited clauses' headings (no user text)."""
        out = []
        for citation in composer.citations[:3]:
            heading = citation.section.split(" > ")[-1]
            if composer.lang == "ko":
                out.append(f"{citation.title}의 '{heading}'에 대해 더 알려주세요")
            else:
                out.append(f"Tell me more about '{heading}' in {citation.title}")
        return out


def _last_sentence(text: str) -> str:
    from ingest.documents import split_sentences

    sentences = [x for x in split_sentences(text) if len(x) > 8]
    return sentences[-1] if len(sentences) > 1 else ""
