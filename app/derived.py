"""The clause index saved beside the collection, so that a replica starts in seconds at any size.

Building :class:`app.retrieval.ClauseIndex` means reading every chunk out of Chroma (at 100x the
bundled corpus that alone takes most of a minute); loading it from here takes about a second.
A saved index lives in ``<data_dir>/derived/<collection>/<fingerprint>/``, where the fingerprint
is the store state it was built from (the live collection, its chunk count and its write
generation: see :class:`ingest.store.StoreState`), so a copy is used only while the store still
holds exactly what it was built from; any write through the store changes the generation.

Layout of one saved index (written to a temporary folder, then renamed into place, so a reader
never sees half of one):

    manifest.json      format, the store state, chunk count, content digest, build time
    lexicon/           the BM25 index in bm25s's format (CSC score matrix and vocabulary),
                       loaded memory-mapped with ``bm25s.BM25.load(mmap=True)``
    texts.bin          every chunk's text, UTF-8, end to end (memory-mapped; read on demand)
    *.npy              text offsets, heading leg, policy vectors and their clause tables, each
                       its own file so that it can be memory-mapped
    table.pickle       chunk ids and kept metadata, and the clauses (keys, kinds, stances, features)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.lexical import Lexicon

if TYPE_CHECKING:
    from app.config import AnswerConfig
    from app.retrieval import ClauseIndex
    from ingest.store import Store

FORMAT = 2
KEEP = 2  # saved states kept per collection (another replica sharing the data dir may use the older)
_ARRAYS = ("_heading_weight", "_heading_clauses", "_heading_ptr", "_key_rank", "policy_vectors", "_policy_clause",
           "_policy_stance", "_policy_comparator", "_policy_bits")
log = logging.getLogger(__name__)


class TextTable:
    """Chunk texts by row, read from one memory-mapped UTF-8 file."""

    def __init__(self, folder: Path) -> None:
        self.offsets = np.load(folder / "text_offsets.npy", mmap_mode="r")
        size = int(self.offsets[-1]) if len(self.offsets) else 0
        self.blob = np.memmap(folder / "texts.bin", dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)

    def __getitem__(self, row: int) -> str:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.blob[start:end].tobytes().decode("utf-8")

    def __len__(self) -> int:
        return max(0, len(self.offsets) - 1)


def cache_dir(store: Store) -> Path:
    """Where the saved indexes of this store's collections live."""
    return Path(store.settings.data_dir) / "derived" / store.base


def folder_for(cache: Path, store: Store) -> tuple[Path, Any]:
    state = store.state()
    return cache / state.collection / state.fingerprint, state


def content_digest(index: ClauseIndex) -> str:
    """A digest of the chunk ids and texts the index holds (recorded, for diagnosis)."""
    digest = hashlib.sha256()
    for chunk in index.chunks:
        digest.update(chunk.id.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(hashlib.sha256(chunk.text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()[:32]


def save(index: ClauseIndex, cache: Path) -> Path | None:
    """Save a settled index under its state's fingerprint; returns the folder (None on failure).

    Failure to save (a read-only or full disk) is logged and never stops answers: the index in
    memory is served either way, and the next start builds it again.
    """
    state = index.state
    if state is None:
        return None
    target = cache / state.collection / state.fingerprint
    if _format_of(target) == FORMAT:
        return target
    if target.exists():  # saved by another version of guidebot: replace it
        shutil.rmtree(target, ignore_errors=True)
    tmp = target.parent / f".{state.fingerprint}.{os.getpid()}.{time.monotonic_ns()}"
    started = time.perf_counter()
    try:
        tmp.mkdir(parents=True, mode=0o700)
        _write(index, tmp)
        manifest = {
            "format": FORMAT, "collection": state.collection, "count": state.count, "generation": state.generation,
            "fingerprint": state.fingerprint, "chunks": index.count, "content_digest": content_digest(index),
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:  # another process saved the same state first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
            if _format_of(target) != FORMAT:
                raise
    except Exception as exc:  # a full or read-only disk, most likely
        shutil.rmtree(tmp, ignore_errors=True)
        log.warning("could not save the derived index (%s); it will be rebuilt at the next start", type(exc).__name__)
        return None
    log.info("derived index saved (%d chunks, %.1f s)", index.count, time.perf_counter() - started)
    _prune(cache, keep=target)
    return target


def _format_of(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("format", 0))
    except (OSError, ValueError):
        return None


def _write(index: ClauseIndex, folder: Path) -> None:
    index.lexicon.save(folder / "lexicon")
    offsets = np.zeros(index.count + 1, dtype=np.int64)
    with open(folder / "texts.bin", "wb") as out:
        position = 0
        for row, chunk in enumerate(index.chunks):
            data = chunk.text.encode("utf-8", "surrogatepass")
            out.write(data)
            position += len(data)
            offsets[row + 1] = position
    np.save(folder / "text_offsets.npy", offsets)
    for name in _ARRAYS:
        np.save(folder / f"{name.lstrip('_')}.npy", np.ascontiguousarray(getattr(index, name)))
    pos = index._clause_pos
    runs = []
    for clause in index._clause_list:
        for lang, chunks in clause.chunks.items():
            rows = [c.row for c in chunks]
            if rows != list(range(rows[0], rows[0] + len(rows))):
                raise ValueError(f"clause {clause.key} ({lang}) is not one run of rows")
            runs.append((pos[clause.key], lang, rows[0], rows[0] + len(rows)))
    table = {
        "runs": runs,
        "ids": [c.id for c in index.chunks],
        "metas": [c.meta for c in index.chunks],
        "clause_of_row": np.asarray([pos[key] for key in index.chunk_clause], dtype=np.int32),
        "clauses": [(c.key, c.doc_id, c.section_id, c.kind, c.stance, c.role, tuple(sorted(c.features)))
                    for c in index._clause_list],
    }
    with open(folder / "table.pickle", "wb") as out:
        pickle.dump(table, out, protocol=pickle.HIGHEST_PROTOCOL)


def load_current(cache: Path, store: Store, embedder: Any, config: AnswerConfig) -> ClauseIndex | None:
    """The index saved for the store's current state, or None (not saved, unreadable, or a write
    is in flight)."""
    folder, state = folder_for(cache, store)
    if state.writing or not (folder / "manifest.json").exists():
        return None
    try:
        index = load(folder, store, embedder, config)
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError) as exc:
        log.warning("saved derived index unreadable (%s): building it from the store", type(exc).__name__)
        return None
    index.state, index.settled = state, True
    return index


def load(folder: Path, store: Store, embedder: Any, config: AnswerConfig) -> ClauseIndex:
    """Load a saved index (arrays and texts memory-mapped)."""
    from app.retrieval import ChunkRecord, Clause, ClauseIndex
    from ingest.store import StoreState

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"derived index format {manifest.get('format')}, expected {FORMAT}")
    with open(folder / "table.pickle", "rb") as handle:
        table = pickle.load(handle)
    texts = TextTable(folder)
    index = ClauseIndex.__new__(ClauseIndex)
    index.config, index.store, index.embedder = config, store, embedder
    index.lexicon = Lexicon.load(folder / "lexicon")
    shared: dict[tuple[str, ...], frozenset[str]] = {}
    clauses = [Clause(key, doc_id, section_id, kind, stance, role, features=shared.setdefault(features, frozenset(features)))
               for key, doc_id, section_id, kind, stance, role, features in table["clauses"]]
    ids = table["ids"]
    chunks = list(map(ChunkRecord, ids, repeat(None, len(ids)), table["metas"], range(len(ids)), repeat(texts, len(ids))))
    # Rows are sorted by (doc_id, lang, section_id, part): each clause's chunks in a language are one run.
    for pos, lang, start, end in table["runs"]:
        clauses[pos].chunks[lang] = chunks[start:end]
    keys = [c.key for c in clauses]
    chunk_clause = [keys[pos] for pos in table["clause_of_row"].tolist()]
    if len(chunks) != len(texts) or len(chunks) != index.lexicon.rows:
        raise ValueError("derived index files disagree on the number of chunks")
    index.chunks, index.chunk_clause = chunks, chunk_clause
    index.clauses = {c.key: c for c in clauses}
    index._index_chunks()
    for name in _ARRAYS:
        setattr(index, name, np.load(folder / f"{name.lstrip('_')}.npy", mmap_mode="r"))
    index.state = StoreState(manifest["collection"], int(manifest["count"]), str(manifest["generation"]))
    index.settled, index.source = True, "saved"
    return index


def _prune(cache: Path, keep: Path) -> None:
    """Drop saved states beyond the newest ``KEEP`` per collection, and folders of dropped collections."""
    try:
        collections = [p for p in cache.iterdir() if p.is_dir()]
        for collection in collections:
            states = sorted((p for p in collection.iterdir() if p.is_dir() and not p.name.startswith(".")),
                            key=lambda p: p.stat().st_mtime, reverse=True)
            for old in states[KEEP:]:
                if old != keep:
                    shutil.rmtree(old, ignore_errors=True)
        for collection in collections:  # collections a rebuild replaced (older than this save)
            if collection != keep.parent and collection.stat().st_mtime < keep.stat().st_mtime:
                shutil.rmtree(collection, ignore_errors=True)
    except OSError:
        pass
