"""``Assistant``: the one answering entry point shared by the CLI, the UI and the evals."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

from app import derived
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
from ingest.store import StoreError, StoreState
from ingest.tokens import warm_up

REFRESH_EVERY_S = 5.0  # how often answers compare the store's state with the served index's
RETRY_FIRST_S, RETRY_MAX_S = 2.0, 60.0  # a failed reload is retried after 2 s, 4 s, ... at most 60 s
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
        started = time.perf_counter()
        self.store, self.embedder = open_store(self.settings)
        self._cache = derived.cache_dir(self.store)
        self.index = ClauseIndex.open(self.store, self.embedder, self.config, cache=self._cache)
        kiwi.join()
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._reloader: threading.Thread | None = None
        self._closed = threading.Event()
        self._tickets = self._swapped = 0
        self._failures, self._retry_at = 0, 0.0
        self._last_error: str | None = None
        self._behind_since: float | None = None
        self._last_reload: dict[str, Any] | None = {
            "seconds": round(time.perf_counter() - started, 3), "source": self.index.source,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "chunks": self.index.count}
        self.backend_name = backend or ("extractive" if self.settings.llm_backend == "none" else self.settings.llm_backend)
        self._llm: Any = None
        if self.backend_name != "extractive":
            from app.llm import make_backend

            self._llm = make_backend(self.settings, self.backend_name)
        from app.audit import AuditLog

        self.audit = AuditLog(self.settings) if self.settings.audit_log else None

    # -- index freshness -------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Catch up with the store when it changed (another process ingested or rebuilt).

        ``force`` reloads now, in this thread (raising :class:`StoreError` if that fails).
        Otherwise the store's state (live collection, count, write generation) is compared with
        the served index's at most every ``REFRESH_EVERY_S`` seconds; a difference starts a
        background thread that builds the new index beside the served one and then switches
        one reference, so answers never wait for a reload nor see half of one.  A failed
        reload is retried by that thread after ``RETRY_FIRST_S`` seconds, doubling up to
        ``RETRY_MAX_S``; meanwhile :meth:`health` says 'degraded' with the lag.
        Returns whether a reload was done or started.
        """
        if force:
            self._reload()
            return True
        now = time.monotonic()
        if now - self._checked < REFRESH_EVERY_S:
            return False
        self._checked = now
        if self._reloader is not None and self._reloader.is_alive():
            return False
        try:
            state = self.store.state()
        except StoreError:
            return False  # the store is down: answers and health report it
        if not self._observe(state):
            return False
        self._reloader = threading.Thread(target=self._catch_up, name="guidebot-refresh", daemon=True)
        self._reloader.start()
        return True

    def _observe(self, state: StoreState, index: ClauseIndex | None = None) -> bool:
        """Note whether the store is ahead of the served index (and since when); returns it.

        ``index`` is the index a caller reports on (health takes one snapshot: comparing the
        store with an index swapped in meanwhile could say 'ok' beside the old one's count)."""
        behind = state != (index or self.index).state
        with self._lock:
            if behind and self._behind_since is None:
                self._behind_since = time.monotonic()
            elif not behind:
                self._behind_since = None
        return behind

    def _reload(self) -> None:
        """Build (or load) the index for the store's current state beside the served one, then switch."""
        with self._lock:
            self._tickets += 1
            ticket = self._tickets
        started = time.perf_counter()
        index = ClauseIndex.open(self.store, self.embedder, self.config, cache=self._cache)
        with self._lock:
            if ticket > self._swapped:  # a reload started later may have finished first: keep the newer
                self.index, self._swapped = index, ticket
                self._last_reload = {"seconds": round(time.perf_counter() - started, 3), "source": index.source,
                                     "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "chunks": index.count}
            self._failures, self._last_error, self._retry_at = 0, None, 0.0
        try:
            self._observe(self.store.state())
        except StoreError:
            pass

    def _catch_up(self) -> None:
        """The background reloader: reload until the served index matches the store, retrying
        failures with backoff.  While an ingest is writing, the store moves on during each build;
        the loop then pauses as long as the build took, so a replica never spends more than about
        half its CPU on reloads."""
        while not self._closed.is_set():
            started = time.monotonic()
            try:
                self._reload()
            except Exception as exc:  # any failure: keep serving the old index, say so, retry later
                with self._lock:
                    self._failures += 1
                    delay = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (self._failures - 1))
                    self._retry_at = time.monotonic() + delay
                    self._last_error = _describe(exc)
                log.warning("index reload failed (attempt %d, retrying in %.0f s): %s", self._failures, delay, self._last_error)
                if self._closed.wait(delay):
                    return
                continue
            try:
                if not self._observe(self.store.state()):
                    return
            except StoreError:
                return
            if self._closed.wait(min(10.0, max(0.5, time.monotonic() - started))):
                return

    def close(self) -> None:
        """Stop the background reloader (answers keep working on the served index)."""
        self._closed.set()
        if self._reloader is not None:
            self._reloader.join(timeout=30)

    def health(self) -> dict[str, Any]:
        """Whether this replica serves what the store holds.

        Returns a dict:

        - ``status``: 'ok' when the served index is the store's current state; 'degraded' while
          the store is ahead of it (an outside ingest or a rebuild not yet loaded, or a reload
          that failed and is being retried); 'down' when the store cannot be reached (answers
          fail too). Never 'ok' while behind.
        - ``chunks``: chunks in the served index; ``store_chunks``: chunks in the store's live
          collection (None when down).
        - ``lag_chunks``: ``|store_chunks - chunks|`` (0 while behind by in-place updates or a
          rebuild of the same size: ``status`` still says 'degraded'); None when down.
        - ``lag_seconds``: how long this replica has seen the store ahead of its index (0 when
          not behind; measured from the first check that saw it, checks run at least every
          ``REFRESH_EVERY_S`` seconds and on every health call).
        - ``collection``: the live collection; ``embedder``; ``index_source``: 'saved' (loaded
          from the derived index beside the collection) or 'store' (built from the chunks);
          ``reloading``: a reload is running; ``reload_failures``: consecutive failed reloads;
          ``retry_in_s``: seconds to the next retry; ``error``: the last failure (no paths);
          ``last_reload``: when the served index was loaded, how long it took and from where.

        A call also starts a reload when one is due, so a load balancer's health checks keep an
        idle replica fresh.
        """
        index = self.index
        with self._lock:
            failures, error, retry_at, last = self._failures, self._last_error, self._retry_at, self._last_reload
        out: dict[str, Any] = {
            "chunks": index.count, "collection": index.state.collection if index.state else None,
            "embedder": self.store.embedder_id, "index_source": index.source,
            "reloading": self._reloader is not None and self._reloader.is_alive(), "reload_failures": failures,
            "retry_in_s": round(max(0.0, retry_at - time.monotonic()), 1) if failures else None,
            "error": error, "last_reload": last,
        }
        try:
            state = self.store.state()
        except StoreError as exc:
            return {"status": "down", **out, "store_chunks": None, "lag_chunks": None, "lag_seconds": None,
                    "error": _describe(exc)}
        behind = self._observe(state, index)
        if behind:
            self._checked = min(self._checked, time.monotonic() - REFRESH_EVERY_S)  # due now
            self.refresh()
        since = self._behind_since
        lag_seconds = round(time.monotonic() - since, 1) if behind and since is not None else 0.0
        return {"status": "degraded" if behind else "ok", **out, "collection": state.collection,
                "store_chunks": state.count, "lag_chunks": abs(state.count - index.count), "lag_seconds": lag_seconds}

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


def _describe(exc: BaseException) -> str:
    """A failure in a line for health and logs, without server paths."""
    import re

    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, StoreError) else str(exc)
    return re.sub(r"(?:[A-Za-z]:)?/[^\s'\"(),]+", "<path>", text)[:300]


def _last_sentence(text: str) -> str:
    from ingest.documents import split_sentences

    sentences = [x for x in split_sentences(text) if len(x) > 8]
    return sentences[-1] if len(sentences) > 1 else ""
