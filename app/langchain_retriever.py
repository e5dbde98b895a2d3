"""guidebot's clause retrieval as a langchain retriever (imported on demand: langchain_core's
retriever module costs about a second, which a replica's start does not need)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


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
            meta.update(clause=hit.clause.key, score=round(hit.score, 6), dense=round(hit.dense, 4),
                        bm25=round(hit.bm25, 4), stance=hit.clause.stance)
            docs.append(Document(page_content=" ".join(c.text for c in chunks), metadata=meta, id=hit.clause.key))
        return docs
