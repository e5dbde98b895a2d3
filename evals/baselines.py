"""``naive_rag``: the pipeline people build first, measured with the same metrics.

RecursiveCharacterTextSplitter (1000 characters, 200 overlap) over the raw corpus files, the same
embedder, a langchain Chroma store, top-4 chunks, the top chunk as the answer, and a verdict from
simple keywords.  Its chunks are mapped to the corpus sections they overlap so that clause-level
retrieval metrics can be computed for it too.  (The ``bm25`` and ``dense`` baselines are
guidebot's own pipeline with one retrieval leg: ``Assistant.ask(..., retrieval=...)``.)
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import yaml

from ingest.settings import Settings

_ANCHOR = re.compile(r"^#{1,6} .*\{#([A-Za-z0-9_\-]+)[^}]*\}\s*$", re.MULTILINE)
_PERMISSION = re.compile(r"may i|can i|allowed|되나요|될까요|돼요|가능|괜찮", re.IGNORECASE)
_PROHIBIT = re.compile(r"must not|may not|prohibit|forbid|안 된다|금지", re.IGNORECASE)
_REQUIRE = re.compile(r"\bmust\b|required|하여야|해야", re.IGNORECASE)


class NaiveRag:
    """The naive baseline over ``corpus_dir`` (its own Chroma collection under the data dir)."""

    def __init__(self, settings: Settings, embedder: Any) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embedder = embedder
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        documents: list[Document] = []
        self.texts: list[str] = []
        for file in sorted(Path(settings.corpus_dir).glob("*/*.md")):
            raw = file.read_text(encoding="utf-8")
            doc_id = _doc_id(raw, file)
            anchors = [(m.start(), m.group(1)) for m in _ANCHOR.finditer(raw)]
            self.texts.append(raw)
            for piece in splitter.create_documents([raw], metadatas=[{"source": file.as_posix(), "doc_id": doc_id}]):
                start = int(piece.metadata["start_index"])
                end = start + len(piece.page_content)
                covered = [a for pos, a in anchors if start <= pos < end]
                before = [a for pos, a in anchors if pos < start]
                keys = ([before[-1]] if before else []) + covered
                piece.metadata["clauses"] = " ".join(f"{doc_id}#{a}" for a in dict.fromkeys(keys))
                documents.append(piece)
        ids = [f"naive-{i}" for i in range(len(documents))]
        self.store = Chroma(
            collection_name="naive_rag", embedding_function=embedder,
            persist_directory=str(settings.data_dir / "naive_rag"),
            collection_metadata={"hnsw:space": "cosine"},
            client_settings=_chroma_settings(),
        )
        if self.store._collection.count() != len(documents):
            self.store.reset_collection()
            for start in range(0, len(documents), 256):
                self.store.add_documents(documents[start : start + 256], ids=ids[start : start + 256])

    def ask(self, question: str) -> dict[str, Any]:
        started = time.perf_counter()
        docs = self.store.similarity_search_with_relevance_scores(question, k=4)
        top = docs[0][0] if docs else None
        text = top.page_content if top else ""
        if _PERMISSION.search(question):
            verdict = "not_allowed" if _PROHIBIT.search(text) else "conditional" if _REQUIRE.search(text) else "allowed"
        else:
            verdict = "info"
        retrieved = [key for doc, _ in docs for key in doc.metadata.get("clauses", "").split()]
        citations = []
        if top is not None:
            clauses = top.metadata.get("clauses", "").split()
            citations.append({"n": 1, "clause": clauses[-1] if clauses else "", "quote": text, "chunk_text": text,
                              "stance": "informs", "lang": ""})
        elapsed = (time.perf_counter() - started) * 1000
        return {"verdict": verdict, "answer": f"{text} [1]" if text else "", "citations": citations,
                "retrieved": list(dict.fromkeys(retrieved)), "latency_ms": elapsed, "language": ""}


def _doc_id(raw: str, file: Path) -> str:
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        meta = yaml.safe_load(raw[3:end]) or {}
        if isinstance(meta, dict) and meta.get("id"):
            return str(meta["id"])
    return file.stem


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)
