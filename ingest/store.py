"""The Chroma collection that holds guidebot's chunks, embedded or behind a ``chroma run`` server.

Our embeddings are always passed in: the collection is created without an embedding function,
and its metadata records which embedder and chunker built it, so that a query with another
embedder is refused instead of silently returning nonsense.

Two records let readers follow writers without reading every chunk:

- **The live pointer.** ``ingest --rebuild`` fills a new collection (``<collection>-rb-<stamp>``)
  while readers keep using the live one, then switches the pointer (the metadata of the small
  collection ``<collection>-live``) and drops the old collection.  Readers resolve the pointer when
  they open the store and again whenever a query finds its collection gone, so they never see a
  half-built index.  A store from before pointers has none: its collection is ``<collection>``.
- **The write generation.** Every write through :class:`Store` is bracketed by two generation
  tokens in the collection's metadata: ``w-<uuid>`` before (a write in flight) and a fresh
  ``<uuid>`` after.  ``(collection, count, generation)`` is therefore a fingerprint of the
  content that costs one metadata read: it changes with every completed write, in-place updates
  included, and a reader that sees the same token before and after reading the chunks has read
  one consistent state (see :meth:`Store.state`).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.settings import Settings

_PAGE = 2000
POINTER_SUFFIX = "-live"
REBUILD_INFIX = "-rb-"
WRITING = "w-"


class StoreError(RuntimeError):
    """The store cannot be reached or written (server down, read-only or full disk)."""


class EmbedderMismatch(StoreError):
    """The collection was built by another embedder or chunker than the one configured."""


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if settings.chroma_mode == "server":
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(describe_store_error(settings, exc)) from exc


def describe_store_error(settings: Settings, exc: BaseException) -> str:
    """A message an operator can act on, for any failure to reach or write the store."""
    text = f"{type(exc).__name__}: {exc}"
    if settings.chroma_mode == "server":
        return f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is not reachable ({text[:200]})"
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
        return f"the index folder {settings.chroma_dir} is read-only ({text[:200]})"
    if "no space" in lowered or "disk is full" in lowered or "database or disk is full" in lowered or _disk_full(settings):
        return f"no space left for the index in {settings.chroma_dir} ({text[:200]})"
    return f"index store error in {settings.chroma_dir}: {text[:300]}"


def _missing(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text or "notfound" in type(exc).__name__.lower()


@dataclass(frozen=True)
class StoreState:
    """What the store holds, cheaply: the live collection, its chunk count and write generation."""

    collection: str
    count: int
    generation: str

    @property
    def writing(self) -> bool:
        """A write is in flight (or its writer died before finishing): not a state to persist."""
        return self.generation.startswith(WRITING)

    @property
    def fingerprint(self) -> str:
        text = f"{self.collection}\0{self.count}\0{self.generation}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _disk_full(settings: Settings) -> bool:
    """Chroma reports a full disk as a generic compaction error: look at the disk itself."""
    import shutil

    try:
        return shutil.disk_usage(settings.chroma_dir).free < 8 * 1024 * 1024
    except OSError:
        return False


class Store:
    """One guidebot collection.

    Args:
        settings: where the store lives.
        embedder_id: the id of the embedder that writes or queries it.
        dimension: that embedder's vector size.
        chunker: the chunker version and budget that wrote it.
        name: a collection to open instead of the live one (a rebuild's new collection).
    """

    def __init__(self, settings: Settings, embedder_id: str, dimension: int, chunker: str, *, name: str | None = None) -> None:
        self.settings = settings
        self.embedder_id = embedder_id
        self.dimension = dimension
        self.chunker = chunker
        self.client = _client(settings)
        self.base = settings.collection
        self.name = name or self._guard(self.live_name)
        self.collection = self._guard(self._open)

    @property
    def pointer_name(self) -> str:
        return f"{self.base}{POINTER_SUFFIX}"

    def live_name(self) -> str:
        """The collection readers should use: the pointer's target, or the base name without one."""
        try:
            pointer = self.client.get_collection(self.pointer_name)
        except Exception as exc:
            if _missing(exc):
                return self.base
            raise
        return str((pointer.metadata or {}).get("live") or self.base)

    def follow(self) -> bool:
        """Move to the live collection if the pointer moved (a rebuild switched); returns whether it did."""
        live = self._guard(self.live_name)
        if live == self.name:
            return False
        collection = self._guard(self.client.get_collection, live, embedding_function=None)  # never re-create it
        self.collection, self.name = collection, live  # the collection first: a reader seeing the new name has it
        return True

    def state(self) -> StoreState:
        """The live collection's name, count and write generation, read fresh (follows the pointer)."""

        def _state() -> StoreState:
            self.follow()
            current = self.client.get_collection(self.name)
            if current.id != self.collection.id:  # dropped and recreated under the same name
                self.collection = self.client.get_collection(self.name, embedding_function=None)
            return StoreState(self.name, int(current.count()), str((current.metadata or {}).get("generation", "")))

        return self._guard(_state)

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(describe_store_error(self.settings, exc)) from exc

    def _open(self) -> Any:
        return self.client.get_or_create_collection(
            name=self.name,
            embedding_function=None,
            metadata={
                "hnsw:space": "cosine",
                "embedder": self.embedder_id,
                "dimension": self.dimension,
                "chunker": self.chunker,
            },
        )

    @property
    def built_with(self) -> dict[str, Any]:
        return dict(self.collection.metadata or {})

    def check(self, *, chunker: bool = False) -> None:
        """Refuse to work against a collection built by another embedder (or chunker)."""
        meta = self.built_with
        built = meta.get("embedder")
        if built and built != self.embedder_id:
            raise EmbedderMismatch(
                f"the index was built with embedder '{built}' but '{self.embedder_id}' is configured; "
                f"set GUIDEBOT_EMBEDDER={built} or rebuild the index with 'guidebot ingest --rebuild'"
            )
        if built and int(meta.get("dimension", self.dimension)) != self.dimension:
            raise EmbedderMismatch(f"the index holds {meta.get('dimension')}-d vectors, the embedder makes {self.dimension}-d")
        if chunker and meta.get("chunker") != self.chunker:
            raise EmbedderMismatch(f"the index was chunked with '{meta.get('chunker')}', now '{self.chunker}'")

    def mark_built(self) -> None:
        """Record that the collection now holds this embedder's vectors and this chunker's chunks."""
        self._set_meta(embedder=self.embedder_id, dimension=self.dimension, chunker=self.chunker)

    def _set_meta(self, **values: Any) -> None:
        current = self.client.get_collection(self.name).metadata or {}  # fresh: another process may have written
        meta = {k: v for k, v in current.items() if not k.startswith("hnsw:")}  # the space is fixed at creation
        meta.update(values)
        self._guard(self.collection.modify, metadata=meta)

    def _write(self, fn: Any, **kwargs: Any) -> None:
        """One write, bracketed by generation tokens (a write in flight, then a fresh generation)."""
        self._guard(self._set_meta, generation=f"{WRITING}{uuid.uuid4().hex}")
        self._guard(fn, **kwargs)
        self._guard(self._set_meta, generation=uuid.uuid4().hex)

    def reset(self) -> None:
        """Drop the collection and create it anew for this embedder and chunker."""

        def _reset() -> None:
            self._drop(self.name)
            self.collection = self._open()
            self._set_meta(generation=uuid.uuid4().hex)

        self._guard(_reset)

    def _drop(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # absent already
            if not _missing(exc):
                raise

    # -- rebuilds into a new collection ---------------------------------------------------------

    def fresh(self) -> Store:
        """A new, empty collection for a rebuild, beside the live one (which readers keep using).

        Collections left by rebuilds that never switched (a killed run) are dropped first.
        """
        live = self.name
        for name in self._guard(self._collection_names):
            if name.startswith(f"{self.base}{REBUILD_INFIX}") and name != live:
                self._guard(self._drop, name)
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        name = f"{self.base}{REBUILD_INFIX}{stamp}-{uuid.uuid4().hex[:6]}"
        return Store(self.settings, self.embedder_id, self.dimension, self.chunker, name=name)

    def _collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def publish(self) -> str | None:
        """Make this collection the live one: switch the pointer, then drop the collection it named.

        Returns the name of the dropped collection (None when this one was live already).
        """

        def _publish() -> str | None:
            previous = self.live_name()
            if previous == self.name:
                return None
            meta = {"live": self.name, "switched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            try:
                pointer = self.client.get_collection(self.pointer_name)
            except Exception as exc:
                if not _missing(exc):
                    raise
                self.client.create_collection(self.pointer_name, embedding_function=None, metadata=meta)
            else:
                pointer.modify(metadata=meta)
            self._drop(previous)
            return previous

        return self._guard(_publish)

    def discard(self) -> None:
        """Drop this collection (a rebuild that will not be published)."""
        self._guard(self._drop, self.name)

    def count(self) -> int:
        return int(self._guard(self.collection.count))

    def iter_all(
        self, include: Sequence[str] = ("metadatas",), where: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record (matching ``where``) as {'id', 'metadata', 'document'?, 'embedding'?}, in pages."""
        offset = 0
        while True:
            page = self._guard(self.collection.get, include=list(include), where=where, limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            for i, chunk_id in enumerate(ids):
                record: dict[str, Any] = {"id": chunk_id}
                if "metadatas" in include:
                    record["metadata"] = page["metadatas"][i]
                if "documents" in include:
                    record["document"] = page["documents"][i]
                if "embeddings" in include:
                    record["embedding"] = page["embeddings"][i]
                yield record
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def upsert(self, ids: list[str], vectors: list[list[float]], documents: list[str], metadatas: list[dict[str, Any]]) -> None:
        if ids:
            self._write(self.collection.upsert, ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Rewrite metadata in place, keeping the stored vectors and documents."""
        if ids:
            self._write(self.collection.update, ids=ids, metadatas=metadatas)

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            self._write(self.collection.delete, ids=ids[start : start + _PAGE])

    def query(self, vector: list[float], n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids with cosine similarity.

        When the collection is gone because a rebuild switched the pointer, the query moves to
        the live collection and is asked again (chunk ids are deterministic, so the caller's
        index still knows most of them until it reloads).
        """
        collection = self.collection
        try:
            result = self._guard(collection.query, query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        except StoreError:
            try:
                self.follow()  # another thread may have followed already: compare the collections
            except StoreError:
                pass
            if self.collection is collection:
                raise
            result = self._guard(self.collection.query, query_embeddings=[vector], n_results=n, where=where,
                                 include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]
