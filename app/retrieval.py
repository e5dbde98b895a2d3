"""Hybrid clause retrieval: dense (the collection's embedder, through Chroma) plus BM25 (Kiwi
morphemes for Korean, plain words for English), fused with reciprocal-rank fusion at the clause
level.  A clause is ``doc_id#section_id``; its Korean and English chunks are one clause, so a
Korean question can find an English-only passage and the reverse.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from app.question import features_of
from ingest.store import Store
from ingest.tokens import tokenize

# Calibrated on the dev split (evals/calibrate.py): RRF's k, and how many chunks each leg feeds in.
RRF_K = 5
DENSE_CANDIDATES = 60
BM25_CANDIDATES = 60
HEADING_MIN = 0.6  # share of a heading's idf weight the question must name
HEADING_CANDIDATES = 20


@dataclass
class ChunkRecord:
    id: str
    text: str
    meta: dict[str, Any]

    @property
    def lang(self) -> str:
        return str(self.meta.get("lang", ""))


@dataclass(eq=False)
class Clause:
    """One citable unit, in every language the index holds it."""

    key: str
    doc_id: str
    section_id: str
    kind: str
    stance: str
    role: str = "guideline"
    chunks: dict[str, list[ChunkRecord]] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)

    def chunks_in(self, lang: str) -> list[ChunkRecord]:
        """The clause's chunks in ``lang``, or in another language when it has none in ``lang``."""
        if lang in self.chunks:
            return self.chunks[lang]
        return next(iter(self.chunks.values()))

    def text_in(self, lang: str) -> str:
        return " ".join(c.text for c in self.chunks_in(lang))


@dataclass
class ClauseHit:
    clause: Clause
    score: float
    dense: float = 0.0
    bm25: float = 0.0
    dense_rank: int | None = None
    bm25_rank: int | None = None
    best_chunk: ChunkRecord | None = None
    coverage: float = 0.0


class ClauseIndex:
    """Everything retrieval needs in memory: chunk texts, clause grouping, the BM25 index."""

    def __init__(self, store: Store, embedder: Any) -> None:
        import bm25s

        self.store = store
        self.embedder = embedder
        self.chunks: list[ChunkRecord] = []
        self.clauses: dict[str, Clause] = {}
        for record in store.iter_all(include=("metadatas", "documents")):
            meta = record["metadata"] or {}
            chunk = ChunkRecord(record["id"], record["document"] or "", meta)
            self.chunks.append(chunk)
        self.chunks.sort(key=lambda c: (str(c.meta.get("doc_id")), c.lang, str(c.meta.get("section_id")), int(c.meta.get("part", 0))))
        self.by_id = {c.id: c for c in self.chunks}
        self.chunk_clause: list[str] = []
        for chunk in self.chunks:
            key = f"{chunk.meta.get('doc_id')}#{chunk.meta.get('section_id')}"
            clause = self.clauses.get(key)
            if clause is None:
                clause = self.clauses[key] = Clause(
                    key, str(chunk.meta.get("doc_id")), str(chunk.meta.get("section_id")),
                    str(chunk.meta.get("kind", "")), str(chunk.meta.get("stance", "informs")),
                    str(chunk.meta.get("role", "guideline")),
                )
            clause.chunks.setdefault(chunk.lang, []).append(chunk)
            clause.features |= features_of(f"{chunk.meta.get('section', '')} {chunk.text}")
            self.chunk_clause.append(key)
        self.count = len(self.chunks)
        # Document frequencies for the idf-weighted coverage signal (see ``coverage``).
        self.clause_tokens: dict[str, set[str]] = {}
        df: dict[str, int] = {}
        for chunk, key in zip(self.chunks, self.chunk_clause, strict=True):
            tokens = set(str(chunk.meta.get("bm25_tokens", "")).split())
            self.clause_tokens.setdefault(key, set()).update(tokens)
            for token in tokens:
                df[token] = df.get(token, 0) + 1
        n = max(1, len(self.chunks))
        self._idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1.0) for t, f in df.items()}
        self._idf_unknown = math.log((n + 0.5) / 0.5 + 1.0)
        # The third leg: a clause's own heading ("Legal basis", "제2조제4호 고영향 인공지능") named by
        # the question.  Parent sections otherwise lose to their shorter sub-items, which repeat
        # the parent's heading path.
        self._heading_index: dict[str, list[str]] = {}
        self._heading_weight: dict[str, float] = {}
        for key, clause in self.clauses.items():
            first = next(iter(clause.chunks.values()))[0]
            tokens: set[str] = set()
            for chunks in clause.chunks.values():  # tokenized at ingest, so no Kiwi is needed here
                tokens |= set(str(chunks[0].meta.get("heading_tokens", "")).split())
            tokens = {t for t in tokens if len(t) > 1 or not t.isascii()}
            if not tokens or first.meta.get("section_id") == "about":
                continue
            self._heading_weight[key] = sum(self._idf.get(t, self._idf_unknown) for t in tokens) / max(1, len(clause.chunks))
            for token in tokens:
                self._heading_index.setdefault(token, []).append(key)
        self._bm25 = bm25s.BM25()
        corpus_tokens = [str(c.meta.get("bm25_tokens", "")).split() or ["∅"] for c in self.chunks]
        if corpus_tokens:
            self._bm25.index(corpus_tokens, show_progress=False)
        self._vocab = set(getattr(self._bm25, "vocab_dict", {}) or {})
        self._lock = threading.Lock()
        # Vectors of the clauses that decide verdicts (everything but 'informs'), kept in memory so a
        # question's risk features can be matched against every prohibition, not only the top hits.
        self.policy_keys: list[str] = []
        vectors = []
        for record in store.iter_all(include=("metadatas", "embeddings"), where={"stance": {"$ne": "informs"}}):
            meta = record["metadata"] or {}
            self.policy_keys.append(f"{meta.get('doc_id')}#{meta.get('section_id')}")
            vectors.append(record["embedding"])
        self.policy_vectors = np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, 1), np.float32)

    def coverage(self, query_tokens: list[str], key: str) -> float:
        """The idf-weighted share of the question's tokens that the clause contains (0..1).

        A question about something the corpus never mentions ("annual leave") keeps its rare
        tokens unmatched, whatever its dense similarity to a generic clause.
        """
        tokens = set(query_tokens)
        if not tokens:
            return 0.0
        have = self.clause_tokens.get(key, set())
        weights = {t: self._idf.get(t, self._idf_unknown) for t in tokens}
        return sum(w for t, w in weights.items() if t in have) / sum(weights.values())

    def heading_ranks(self, query_tokens: list[str]) -> dict[str, int]:
        """Clauses whose own heading the question names (most of its idf weight), best first."""
        acc: dict[str, float] = {}
        for token in set(query_tokens):
            weight = self._idf.get(token, self._idf_unknown)
            for key in self._heading_index.get(token, ()):
                acc[key] = acc.get(key, 0.0) + weight
        scored = [(acc[k] / self._heading_weight[k], acc[k], k) for k in acc if acc[k] / self._heading_weight[k] >= HEADING_MIN]
        scored.sort(reverse=True)
        return {key: rank for rank, (_, _, key) in enumerate(scored[:HEADING_CANDIDATES], start=1)}

    # -- the two legs --------------------------------------------------------------------------

    def bm25_scores(self, query: str, lang: str, query_tokens: list[str] | None = None) -> np.ndarray:
        query_tokens = tokenize(query, lang) if query_tokens is None else query_tokens
        tokens = [t for t in query_tokens if t in self._vocab]
        if not tokens or not self.chunks:
            return np.zeros(len(self.chunks))
        with self._lock:
            return np.asarray(self._bm25.get_scores(tokens), dtype=float)

    def dense_hits(self, vector: list[float], n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        return self.store.query(vector, n, where=where)

    def policy_clauses(
        self, vector: list[float], stances: set[str], features: set[str] | None = None, doc_ids: set[str] | None = None
    ) -> list[tuple[Clause, float]]:
        """Clauses of the given stances (sharing one of ``features``), most similar first.

        Comparator documents (foreign guidance) never decide a verdict for Korean officials.
        """
        if not self.policy_keys:
            return []
        sims = self.policy_vectors @ np.asarray(vector, dtype=np.float32)
        best: dict[str, float] = {}
        for idx in np.argsort(-sims):
            key = self.policy_keys[int(idx)]
            clause = self.clauses.get(key)
            if clause is None or key in best or clause.stance not in stances or clause.role == "comparator":
                continue
            if features is not None and not (clause.features & features):
                continue
            if doc_ids is not None and clause.doc_id not in doc_ids:
                continue
            best[key] = float(sims[idx])
        return [(self.clauses[key], sim) for key, sim in best.items()]

    # -- fused search --------------------------------------------------------------------------

    def search(
        self,
        query: str,
        lang: str,
        k: int = 8,
        *,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        vector: list[float] | None = None,
        mode: str = "hybrid",
    ) -> list[ClauseHit]:
        """The ``k`` best clauses for ``query`` (RRF of the dense and BM25 clause rankings).

        ``mode`` 'bm25' or 'dense' keeps one leg only (the evals' baselines).
        """
        if not self.chunks:
            return []
        doc_filter = set(doc_ids) if doc_ids else None
        kind_filter = set(kinds) if kinds else None

        def allowed(meta: dict[str, Any]) -> bool:
            return (doc_filter is None or meta.get("doc_id") in doc_filter) and (
                kind_filter is None or meta.get("kind") in kind_filter
            )

        where: dict[str, Any] | None = None
        conditions = []
        if doc_filter:
            conditions.append({"doc_id": {"$in": sorted(doc_filter)}})
        if kind_filter:
            conditions.append({"kind": {"$in": sorted(kind_filter)}})
        if conditions:
            where = conditions[0] if len(conditions) == 1 else {"$and": conditions}

        vector = vector if vector is not None else self.embedder.embed_query(query)
        dense_best: dict[str, tuple[float, str]] = {}
        dense_results = self.dense_hits(vector, DENSE_CANDIDATES, where)
        for chunk_id, sim in dense_results:
            chunk = self.by_id.get(chunk_id)
            if chunk is None:
                continue  # written after this index was loaded; picked up on refresh
            key = f"{chunk.meta.get('doc_id')}#{chunk.meta.get('section_id')}"
            if key not in dense_best or sim > dense_best[key][0]:
                dense_best[key] = (sim, chunk_id)

        query_tokens = tokenize(query, lang)  # once: BM25, the heading leg and coverage share them
        scores = self.bm25_scores(query, lang, query_tokens)
        bm25_best: dict[str, tuple[float, str]] = {}
        if scores.any():
            top = np.argsort(-scores)[: BM25_CANDIDATES * 3]
            for idx in top:
                score = float(scores[idx])
                if score <= 0:
                    break
                chunk = self.chunks[int(idx)]
                if not allowed(chunk.meta):
                    continue
                key = self.chunk_clause[int(idx)]
                if key not in bm25_best or score > bm25_best[key][0]:
                    bm25_best[key] = (score, chunk.id)
                if len(bm25_best) >= BM25_CANDIDATES:
                    break

        if mode == "bm25":  # dense similarity stays only as the relevance signal of the BM25 hits
            dense_best = {k: v for k, v in dense_best.items() if k in bm25_best}
        elif mode == "dense":
            bm25_best = {}
        dense_rank = {key: r for r, key in enumerate(sorted(dense_best, key=lambda x: -dense_best[x][0]), start=1)}
        bm25_rank = {key: r for r, key in enumerate(sorted(bm25_best, key=lambda x: -bm25_best[x][0]), start=1)}
        top_bm25 = max((s for s, _ in bm25_best.values()), default=0.0)
        hits = []
        heading_rank = {k: r for k, r in self.heading_ranks(query_tokens).items() if allowed(self._meta_of(k))} if mode == "hybrid" else {}
        for key in heading_rank:
            if key not in dense_best and key not in bm25_best:
                chunk = self.clauses[key].chunks_in(lang)[0]
                dense_best.setdefault(key, (0.0, chunk.id))
        legs = {"hybrid": (dense_rank, bm25_rank, heading_rank), "bm25": (bm25_rank,), "dense": (dense_rank,)}[mode]
        for key in set().union(*legs):
            fused = sum(1.0 / (RRF_K + ranks[key]) for ranks in legs if key in ranks)
            clause = self.clauses[key]
            if mode == "hybrid" and lang not in clause.chunks and key in dense_rank:
                # The lexical legs cannot see a clause that has no text in the question's language:
                # its dense rank speaks for them too (cross-lingual questions).
                fused = 3.0 / (RRF_K + dense_rank[key])
            best = (dense_best.get(key) or bm25_best.get(key) or (0.0, ""))[1]
            hits.append(
                ClauseHit(
                    clause,
                    fused,
                    dense=dense_best.get(key, (0.0, ""))[0],
                    bm25=bm25_best.get(key, (0.0, ""))[0] / top_bm25 if top_bm25 else 0.0,
                    dense_rank=dense_rank.get(key),
                    bm25_rank=bm25_rank.get(key),
                    best_chunk=self.by_id.get(best),
                )
            )
        hits.sort(key=lambda h: (-h.score, -h.dense))
        hits = hits[:k]
        for hit in hits:
            hit.coverage = self.coverage(query_tokens, hit.clause.key)
        return hits

    def _meta_of(self, key: str) -> dict[str, Any]:
        return next(iter(self.clauses[key].chunks.values()))[0].meta

    def bm25_only(self, query: str, lang: str, k: int) -> list[ClauseHit]:
        """Clauses by BM25 alone (a baseline for the evals)."""
        scores = self.bm25_scores(query, lang)
        best: dict[str, float] = {}
        for idx in np.argsort(-scores)[: k * 10]:
            if scores[idx] <= 0:
                break
            key = self.chunk_clause[int(idx)]
            best.setdefault(key, float(scores[idx]))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [ClauseHit(self.clauses[key], s, bm25=s) for key, s in ranked]

    def dense_only(self, query: str, k: int) -> list[ClauseHit]:
        """Clauses by dense similarity alone (a baseline for the evals)."""
        best: dict[str, float] = {}
        for chunk_id, sim in self.dense_hits(self.embedder.embed_query(query), DENSE_CANDIDATES, None):
            chunk = self.by_id.get(chunk_id)
            if chunk is not None:
                best.setdefault(f"{chunk.meta.get('doc_id')}#{chunk.meta.get('section_id')}", sim)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [ClauseHit(self.clauses[key], s, dense=s) for key, s in ranked]


class GuidebotRetriever(BaseRetriever):
    """langchain retriever over :class:`ClauseIndex`: one Document per clause, best first.

    Each Document holds the clause's text in the query's language (or the other language when
    that is all there is); its metadata carries the clause key, scores and the chunk metadata.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    lang: str | None = None
    doc_ids: list[str] | None = None
    kinds: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        from ingest.documents import detect_lang

        lang = self.lang or detect_lang(query)
        docs = []
        for hit in self.index.search(query, lang, self.k, doc_ids=self.doc_ids, kinds=self.kinds):
            chunks = hit.clause.chunks_in(lang)
            meta = dict(chunks[0].meta)
            meta.pop("bm25_tokens", None)
            meta.update(clause=hit.clause.key, score=round(hit.score, 6), dense=round(hit.dense, 4),
                        bm25=round(hit.bm25, 4), stance=hit.clause.stance)
            docs.append(Document(page_content=" ".join(c.text for c in chunks), metadata=meta, id=hit.clause.key))
        return docs



