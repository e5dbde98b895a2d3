"""Hybrid clause retrieval: dense (the collection's embedder, through Chroma) plus BM25 (Kiwi
morphemes for Korean, plain words for English), fused with reciprocal-rank fusion at the clause
level.  A clause is ``doc_id#section_id``; its Korean and English chunks are one clause, so a
Korean question can find an English-only passage and the reverse.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.config import AnswerConfig, get_config
from app.lexical import Lexicon, top_rows
from ingest.documents import STANCES
from ingest.features import FEATURES, features_of
from ingest.store import Store, StoreState
from ingest.tokens import tokenize

# Metadata the index keeps per chunk; the rest (digests, tokens, tags) is read once and dropped.
FILTER_OVERFETCH = 4  # a filtered dense search looks at this many times the candidates, unfiltered
_KEEP_META = ("doc_id", "lang", "title", "issuer", "issued", "kind", "basis", "source", "official_source", "role",
              "section_id", "section", "heading", "page", "part", "n_parts", "stance")
_SHARED_VALUES = {"doc_id", "lang", "title", "issuer", "issued", "kind", "basis", "source", "official_source", "role", "stance"}


class ChunkRecord:
    """One chunk: its id, the metadata retrieval keeps, its row in the lexicon, and its text.

    A chunk of an index loaded from disk reads its text from the memory-mapped text table on
    demand, so the texts of a large corpus cost page cache, not heap.
    """

    __slots__ = ("id", "meta", "row", "_text", "_texts")

    def __init__(self, id: str, text: str | None, meta: dict[str, Any], row: int = -1, texts: Any = None) -> None:
        self.id = id
        self.meta = meta
        self.row = row  # the chunk's row in the index's lexicon
        self._text = text
        self._texts = texts

    @property
    def text(self) -> str:
        return self._text if self._text is not None else self._texts[self.row]

    @property
    def lang(self) -> str:
        return str(self.meta.get("lang", ""))

    def __repr__(self) -> str:
        return f"ChunkRecord({self.id!r}, row={self.row})"


@dataclass(eq=False, slots=True)
class Clause:
    """One citable unit, in every language the index holds it."""

    key: str
    doc_id: str
    section_id: str
    kind: str
    stance: str
    role: str = "guideline"
    chunks: dict[str, list[ChunkRecord]] = field(default_factory=dict)
    features: frozenset[str] = frozenset()

    def chunks_in(self, lang: str) -> list[ChunkRecord]:
        """The clause's chunks in ``lang``, or in another language when it has none in ``lang``."""
        if lang in self.chunks:
            return self.chunks[lang]
        return next(iter(self.chunks.values()))

    def text_in(self, lang: str) -> str:
        return " ".join(c.text for c in self.chunks_in(lang))

    @property
    def rows(self) -> list[int]:
        return [c.row for chunks in self.chunks.values() for c in chunks]


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


def clause_key(meta: dict[str, Any]) -> str:
    """A clause's key, ``doc_id#section_id``, from its chunk's metadata."""
    return f"{meta.get('doc_id')}#{meta.get('section_id')}"


def _slim(meta: dict[str, Any]) -> dict[str, Any]:
    # Interned values are shared by the chunks (and stored once when the table is saved).
    return {sys.intern(k): sys.intern(meta[k]) if isinstance(meta[k], str) and (k in _SHARED_VALUES or len(meta[k]) < 120)
            else meta[k] for k in _KEEP_META if k in meta}


def _return_freed_memory() -> None:
    """Hand the heap pages freed by the build (Chroma's pages, token lists) back to the system;
    glibc keeps them otherwise (at 100x the corpus this lowers the resident size by about 100 MB)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class ClauseIndex:
    """Everything retrieval needs in memory: chunk texts, clause grouping, the lexicon (BM25,
    coverage, headings) and the vectors of the clauses that decide verdicts.

    ``ClauseIndex(store, embedder)`` builds it from the store's chunks;
    :meth:`open` loads the copy saved beside the collection when the store still holds what it
    was built from (see :mod:`app.derived`), and builds and saves it otherwise.

    Attributes:
        state: the store state (collection, count, write generation) the index was built from.
        settled: whether that state held from the start to the end of the build (only a settled
            index is saved: one built while a write was in flight may mix two states).
        source: 'store' (built from the chunks) or 'saved' (loaded from the derived files).
    """

    state: StoreState | None = None
    settled: bool = False
    source: str = "store"

    @classmethod
    def open(cls, store: Store, embedder: Any, config: AnswerConfig | None = None, cache: Path | None = None) -> ClauseIndex:
        """The index for the store's current state: loaded from ``cache`` when saved there for
        this state, else built from the store (and saved there when the build settled)."""
        from app import derived

        if cache is not None:
            loaded = derived.load_current(cache, store, embedder, config or get_config())
            if loaded is not None:
                return loaded
        index = cls(store, embedder, config)
        if cache is not None and index.settled:
            saved = derived.save(index, cache)
            if saved is not None:  # serve the memory-mapped copy: the built texts and arrays are freed
                reloaded = derived.load(saved, store, embedder, index.config)
                reloaded.source = "store"
                return reloaded
        return index

    def __init__(self, store: Store, embedder: Any, config: AnswerConfig | None = None) -> None:
        self.config = config or get_config()
        self.store = store
        self.embedder = embedder
        before = store.state()
        self.lexicon = Lexicon()
        loaded: list[ChunkRecord] = []
        heading_tokens: list[list[int]] = []
        features: list[set[str]] = []
        seen: set[str] = set()
        for record in store.iter_all(include=("metadatas", "documents")):
            if record["id"] in seen:  # paged reads during a write can repeat a record
                continue
            seen.add(record["id"])
            meta = record["metadata"] or {}
            chunk = ChunkRecord(record["id"], record["document"] or "", _slim(meta))
            chunk.row = self.lexicon.add(str(meta.get("bm25_tokens", "")).split())
            heading_tokens.append(self.lexicon.token_ids(str(meta.get("heading_tokens", "")).split()))
            if "features" in meta:  # tagged at ingest
                features.append(set(str(meta["features"]).split()))
            else:  # a store from before features were stored
                features.append(features_of(f"{meta.get('section', '')} {chunk.text}"))
            loaded.append(chunk)
        sort_keys = [(str(c.meta.get("doc_id")), c.lang, str(c.meta.get("section_id")), int(c.meta.get("part", 0))) for c in loaded]
        order = sorted(range(len(loaded)), key=sort_keys.__getitem__)
        del sort_keys
        self.lexicon.freeze([loaded[i].row for i in order])
        self.chunks: list[ChunkRecord] = []
        self.clauses: dict[str, Clause] = {}
        self.chunk_clause: list[str] = []
        clause_headings: dict[str, set[int]] = {}
        clause_features: dict[str, set[str]] = {}
        for row, i in enumerate(order):
            chunk = loaded[i]
            chunk.row = row
            self.chunks.append(chunk)
            key = sys.intern(clause_key(chunk.meta))
            clause = self.clauses.get(key)
            if clause is None:
                clause = self.clauses[key] = Clause(
                    key, str(chunk.meta.get("doc_id")), str(chunk.meta.get("section_id")),
                    str(chunk.meta.get("kind", "")), str(chunk.meta.get("stance", "informs")),
                    str(chunk.meta.get("role", "guideline")),
                )
            chunks = clause.chunks.setdefault(chunk.lang, [])
            if not chunks:  # a clause's heading is its first chunk's, in each language
                clause_headings.setdefault(key, set()).update(heading_tokens[i])
            chunks.append(chunk)
            clause_features.setdefault(key, set()).update(features[i])
            self.chunk_clause.append(key)
        del loaded, heading_tokens, features
        shared: dict[frozenset[str], frozenset[str]] = {}  # a few dozen distinct sets among all clauses
        for key, names in clause_features.items():
            fs = frozenset(names)
            self.clauses[key].features = shared.setdefault(fs, fs)
        self._index_chunks()
        self._build_headings(clause_headings)
        self._build_policy(store)
        after = store.state()
        self.state, self.settled = before, before == after and not before.writing
        _return_freed_memory()

    def _index_chunks(self) -> None:
        """The lookups derived from ``chunks`` and ``clauses`` (built or loaded)."""
        self.by_id = {c.id: c for c in self.chunks}
        self.count = len(self.chunks)
        self._clause_list = list(self.clauses.values())
        self._clause_pos = {c.key: n for n, c in enumerate(self._clause_list)}
        self._feature_bit = {name: 1 << n for n, name in enumerate(FEATURES)}

    def _build_headings(self, clause_headings: dict[str, set[int]]) -> None:
        """The third leg: a clause's own heading ("Legal basis", "제2조제4호 고영향 인공지능") named
        by the question.  Parent sections otherwise lose to their shorter sub-items, which repeat
        the parent's heading path."""
        lex = self.lexicon
        names = {i: t for t, i in lex.vocab.items()}
        pairs: list[tuple[int, int]] = []
        self._heading_weight = np.zeros(len(self._clause_list), dtype=np.float64)
        for key, ids in clause_headings.items():
            clause = self.clauses[key]
            ids = {i for i in ids if len(names[i]) > 1 or not names[i].isascii()}
            if not ids or clause.section_id == "about":
                continue
            pos = self._clause_pos[key]
            self._heading_weight[pos] = sum(float(lex.idf[i]) for i in ids) / max(1, len(clause.chunks))
            pairs.extend((i, pos) for i in ids)
        pairs.sort()
        tokens = np.asarray([t for t, _ in pairs], dtype=np.int64)
        self._heading_clauses = np.asarray([c for _, c in pairs], dtype=np.int32)
        self._heading_ptr = np.searchsorted(tokens, np.arange(len(lex.vocab) + 1))
        # Ties between equal scores fall to the clause key, highest first (as a sorted tuple would).
        self._key_rank = np.empty(len(self._clause_list), dtype=np.int64)
        self._key_rank[np.argsort(np.asarray([c.key for c in self._clause_list]))] = np.arange(len(self._clause_list))

    def _build_policy(self, store: Store) -> None:
        """Vectors of the clauses that decide verdicts (everything but 'informs'), kept in memory so
        a question's risk features can be matched against every prohibition, not only the top hits."""
        clause_bits = np.asarray([self._bits(c.features) for c in self._clause_list], dtype=np.int64)
        rows: list[int] = []
        vectors: list[np.ndarray] = []
        seen: set[str] = set()
        for record in store.iter_all(include=("metadatas", "embeddings"), where={"stance": {"$ne": "informs"}}):
            pos = self._clause_pos.get(clause_key(record["metadata"] or {}))
            if pos is not None and record["id"] not in seen:
                seen.add(record["id"])
                rows.append(pos)
                vectors.append(np.asarray(record["embedding"], dtype=np.float32))
        self.policy_vectors = np.vstack(vectors) if vectors else np.zeros((0, 1), np.float32)
        self._policy_clause = np.asarray(rows, dtype=np.int32)
        clauses = self._clause_list
        self._policy_stance = np.asarray([STANCES.index(clauses[p].stance if clauses[p].stance in STANCES else "informs") for p in rows],
                                         dtype=np.int8)
        self._policy_comparator = np.asarray([clauses[p].role == "comparator" for p in rows], dtype=bool)
        self._policy_bits = clause_bits[self._policy_clause] if rows else np.zeros(0, np.int64)

    def _bits(self, features: Iterable[str]) -> int:
        return sum(self._feature_bit.get(f, 0) for f in set(features))

    def coverage(self, query_tokens: list[str], key: str) -> float:
        """The idf-weighted share of the question's tokens that the clause contains (0..1).

        A question about something the corpus never mentions ("annual leave") keeps its rare
        tokens unmatched, whatever its dense similarity to a generic clause.
        """
        tokens = set(query_tokens)
        if not tokens:
            return 0.0
        lex = self.lexicon
        total = sum(lex.weight(t) for t in tokens)
        known = [t for t in tokens if t in lex.vocab]
        held = lex.holds(self.clauses[key].rows, lex.known(known))
        return sum(lex.weight(t) for t, h in zip(known, held, strict=True) if h) / total

    def token_overlap(self, chunk: ChunkRecord, query_tokens: Iterable[str]) -> int:
        """How many distinct question tokens the chunk holds."""
        return self.lexicon.overlap(chunk.row, self.lexicon.known(query_tokens))

    def heading_ranks(self, query_tokens: list[str]) -> dict[str, int]:
        """Clauses whose own heading the question names (most of its idf weight), best first."""
        lex = self.lexicon
        ids = sorted(set(lex.known(query_tokens)))
        if not ids:
            return {}
        parts = [self._heading_clauses[self._heading_ptr[i] : self._heading_ptr[i + 1]] for i in ids]
        clauses = np.concatenate(parts)
        if not len(clauses):
            return {}
        weights = np.concatenate([np.full(len(p), lex.idf[i]) for i, p in zip(ids, parts, strict=True)])
        acc = np.bincount(clauses, weights=weights, minlength=len(self._clause_list))
        named = np.unique(clauses)
        ratio = acc[named] / self._heading_weight[named]
        keep = ratio >= self.config.heading_min
        named, ratio = named[keep], ratio[keep]
        best = np.lexsort((-self._key_rank[named], -acc[named], -ratio))[: self.config.heading_candidates]
        return {self._clause_list[named[j]].key: rank for rank, j in enumerate(best, start=1)}

    # -- the two legs --------------------------------------------------------------------------

    def bm25_scores(self, query: str, lang: str, query_tokens: list[str] | None = None) -> np.ndarray:
        query_tokens = tokenize(query, lang) if query_tokens is None else query_tokens
        ids = self.lexicon.known(query_tokens)
        if not ids or not self.chunks:
            return np.zeros(len(self.chunks))
        return self.lexicon.scores(ids).astype(float)

    def dense_hits(self, vector: list[float], n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        return self.store.query(vector, n, where=where)

    def policy_sims(self, vector: list[float]) -> np.ndarray:
        """Cosine of ``vector`` with every policy clause chunk (what :meth:`policy_clauses` ranks by)."""
        return self.policy_vectors @ np.asarray(vector, dtype=np.float32)

    def policy_clauses(
        self,
        vector: list[float],
        stances: set[str],
        features: set[str] | None = None,
        doc_ids: set[str] | None = None,
        *,
        rank_by: set[str] | None = None,
        limit: int | None = None,
        sims: np.ndarray | None = None,
    ) -> list[tuple[Clause, float]]:
        """Clauses of the given stances (sharing one of ``features``), most similar first, or, with
        ``rank_by``, those sharing most of ``rank_by`` first and then the most similar.

        Comparator documents (foreign guidance) never decide a verdict for Korean officials.
        ``sims`` (from :meth:`policy_sims`) saves recomputing the similarities for the same vector.
        """
        if not len(self._policy_clause):
            return []
        sims = self.policy_sims(vector) if sims is None else sims
        mask = np.isin(self._policy_stance, [STANCES.index(s) for s in stances if s in STANCES]) & ~self._policy_comparator
        if features is not None:
            mask &= (self._policy_bits & self._bits(features)) != 0
        if doc_ids is not None:
            mask &= np.asarray([self._clause_list[p].doc_id in doc_ids for p in self._policy_clause], dtype=bool)
        rows = np.flatnonzero(mask)
        if not len(rows):
            return []
        rows = rows[np.argsort(-sims[rows], kind="stable")]
        _, first = np.unique(self._policy_clause[rows], return_index=True)  # each clause at its best chunk
        rows = rows[np.sort(first)]
        if rank_by:
            shared = np.bitwise_count(self._policy_bits[rows] & self._bits(rank_by))
            rows = rows[np.argsort(-shared, kind="stable")]
        rows = rows[:limit] if limit is not None else rows
        return [(self._clause_list[self._policy_clause[r]], float(sims[r])) for r in rows]

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
        if where is None:
            dense_results = self.dense_hits(vector, self.config.dense_candidates, None)
        else:
            # A filtered nearest-neighbour query makes the store scan the metadata of every chunk
            # (about 250 ms at 100x the corpus); the unfiltered one is an index lookup.  Fetch
            # more and keep the allowed ones, here, in memory.
            fetched = self.dense_hits(vector, self.config.dense_candidates * FILTER_OVERFETCH, None)
            dense_results = [(cid, sim) for cid, sim in fetched
                             if (chunk := self.by_id.get(cid)) is not None and allowed(chunk.meta)][: self.config.dense_candidates]
        for chunk_id, sim in dense_results:
            chunk = self.by_id.get(chunk_id)
            if chunk is None:
                continue  # written after this index was loaded; picked up on refresh
            key = self.chunk_clause[chunk.row]
            if key not in dense_best or sim > dense_best[key][0]:
                dense_best[key] = (sim, chunk_id)

        query_tokens = tokenize(query, lang)  # once: BM25, the heading leg and coverage share them
        scores = self.bm25_scores(query, lang, query_tokens)
        bm25_best: dict[str, tuple[float, str]] = {}
        if scores.any():
            for idx in top_rows(scores, self.config.bm25_candidates * 3):
                score = float(scores[idx])
                if score <= 0:
                    break
                chunk = self.chunks[int(idx)]
                if not allowed(chunk.meta):
                    continue
                key = self.chunk_clause[int(idx)]
                if key not in bm25_best or score > bm25_best[key][0]:
                    bm25_best[key] = (score, chunk.id)
                if len(bm25_best) >= self.config.bm25_candidates:
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
            fused = sum(1.0 / (self.config.rrf_k + ranks[key]) for ranks in legs if key in ranks)
            clause = self.clauses[key]
            if mode == "hybrid" and lang not in clause.chunks and key in dense_rank:
                # The lexical legs cannot see a clause that has no text in the question's language:
                # its dense rank speaks for them too (cross-lingual questions).
                fused = 3.0 / (self.config.rrf_k + dense_rank[key])
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
        for idx in top_rows(scores, k * 10):
            if scores[idx] <= 0:
                break
            key = self.chunk_clause[int(idx)]
            best.setdefault(key, float(scores[idx]))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [ClauseHit(self.clauses[key], s, bm25=s) for key, s in ranked]

    def dense_only(self, query: str, k: int) -> list[ClauseHit]:
        """Clauses by dense similarity alone (a baseline for the evals)."""
        best: dict[str, float] = {}
        for chunk_id, sim in self.dense_hits(self.embedder.embed_query(query), self.config.dense_candidates, None):
            chunk = self.by_id.get(chunk_id)
            if chunk is not None:
                best.setdefault(self.chunk_clause[chunk.row], sim)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [ClauseHit(self.clauses[key], s, dense=s) for key, s in ranked]


def __getattr__(name: str) -> Any:  # langchain_core's retriever module costs a second to import: only on demand
    if name == "GuidebotRetriever":
        from app.langchain_retriever import GuidebotRetriever

        return GuidebotRetriever
    raise AttributeError(name)
