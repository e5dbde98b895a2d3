"""The Chroma collection that holds guidebot's chunks, embedded or behind a ``chroma run`` server.

Our embeddings are always passed in: the collection is created without an embedding function,
and its metadata records which embedder and chunker built it, so that a query with another
embedder is refused instead of silently returning nonsense.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ingest.settings import Settings

_PAGE = 2000


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
    """

    def __init__(self, settings: Settings, embedder_id: str, dimension: int, chunker: str) -> None:
        self.settings = settings
        self.embedder_id = embedder_id
        self.dimension = dimension
        self.chunker = chunker
        self.client = _client(settings)
        self.collection = self._guard(self._open)

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(describe_store_error(self.settings, exc)) from exc

    def _open(self) -> Any:
        return self.client.get_or_create_collection(
            name=self.settings.collection,
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
        meta = {k: v for k, v in self.built_with.items() if not k.startswith("hnsw:")}  # the space is fixed at creation
        meta.update(embedder=self.embedder_id, dimension=self.dimension, chunker=self.chunker)
        self._guard(self.collection.modify, metadata=meta)

    def reset(self) -> None:
        """Drop the collection and create it anew for this embedder and chunker."""

        def _reset() -> None:
            try:
                self.client.delete_collection(self.settings.collection)
            except Exception as exc:  # absent already
                if "does not exist" not in str(exc).lower() and "not found" not in str(exc).lower():
                    raise
            self.collection = self._open()

        self._guard(_reset)

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
            self._guard(self.collection.upsert, ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Rewrite metadata in place, keeping the stored vectors and documents."""
        if ids:
            self._guard(self.collection.update, ids=ids, metadatas=metadatas)

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            self._guard(self.collection.delete, ids=ids[start : start + _PAGE])

    def query(self, vector: list[float], n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids with cosine similarity."""
        result = self._guard(self.collection.query, query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]
