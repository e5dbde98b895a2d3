"""Cut a loaded document into clause-level chunks.

A section is the text under one heading (Markdown heading, DOCX/HWPX heading style, or a legal
structure line such as 제29조 or Article 31).  Each section becomes one chunk, or several when it
exceeds the token budget (split at sentence ends, Korean "다." included, with a small overlap).
Chunk ids are deterministic, ``doc_id:lang:section_id:n``, so re-ingest replaces rather than adds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.documents import BASES, STANCES, Chunk, LoadedDocument, slugify, split_sentences
from ingest.features import features_of
from ingest.stance import detect_stance
from ingest.tokens import tokenize_many

CHUNKER_VERSION = "7"

_WORD = re.compile(r"\w+|[^\w\s]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|`)")


@dataclass
class Section:
    """The text under one heading, with where it sits in the document."""

    section_id: str
    path: list[str]
    text: str
    page: int | None
    stance: str
    basis: str = ""
    stance_source: str = "authored"  # "authored" in the markup, or "inferred" by the stance tagger


def estimate_tokens(text: str) -> int:
    """A cheap, model-independent token count: words and marks, long Hangul words counting more."""
    total = 0
    for word in _WORD.findall(text):
        total += 1 + (len(word) // 3 if _HANGUL.search(word) else len(word) // 8)
    return total


def clean_markdown(text: str) -> str:
    """Drop inline Markdown markup so that quotes read as plain sentences."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPH.sub("", text)
    return "\n".join(line[2:] if line.startswith("> ") else line for line in text.splitlines())


def build_sections(doc: LoadedDocument) -> list[Section]:
    """Group a document's blocks into sections under their heading path."""
    sections: list[Section] = []
    stack: list[tuple[int, str, str | None, dict[str, str]]] = []
    texts: list[str] = []
    page: int | None = None
    used: set[str] = set()

    def flush() -> None:
        body = "\n".join(t for t in texts if t.strip()).strip()
        texts.clear()
        if not body:
            return
        titles = [title for _, title, _, _ in stack]
        anchor = stack[-1][2] if stack else None
        attrs = stack[-1][3] if stack else {}
        section_id = anchor or slugify("-".join(titles) or "intro")
        base, n = section_id, 2
        while section_id in used:
            section_id, n = f"{base}-{n}", n + 1
        used.add(section_id)
        override = attrs.get("stance")
        stance = override if override in STANCES else detect_stance(body)
        basis = attrs.get("basis", "") if doc.trusted else ""
        sections.append(Section(section_id, titles, body, page, stance, basis if basis in BASES else doc.basis,
                                "authored" if override in STANCES else "inferred"))

    for block in doc.blocks:
        if block.kind == "heading":
            flush()
            if block.level == 1 and doc.fmt == "md" and not stack and block.text.strip() == doc.title.strip():
                continue  # the document title, already carried by every chunk
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text.strip(), block.anchor, block.attrs))
            page = block.page if block.page is not None else page
        else:
            if not texts and block.page is not None:
                page = block.page
            texts.append(clean_markdown(block.text) if doc.fmt == "md" else block.text)
    flush()
    return sections


def _split_budget(sentences: list[str], budget: int, overlap: int) -> list[list[str]]:
    parts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        cost = estimate_tokens(sentence)
        if current and size + cost > budget:
            parts.append(current)
            current = current[-overlap:] if overlap else []
            size = sum(estimate_tokens(s) for s in current)
            if current and size + cost > budget:  # the overlap alone would not leave room
                current, size = [], 0
        if cost > budget:  # one enormous "sentence" (a table row, a long URL): cut by words, then characters
            words = [w[i : i + budget * 2] for w in sentence.split(" ") for i in range(0, max(len(w), 1), budget * 2)]
            piece: list[str] = []
            for word in words:
                piece.append(word)
                if estimate_tokens(" ".join(piece)) >= budget:
                    parts.append([" ".join(piece)])
                    piece = []
            sentence = " ".join(piece)
            cost = estimate_tokens(sentence)
            if not sentence:
                continue
        current.append(sentence)
        size += cost
    if current:
        parts.append(current)
    return parts


def chunk_document(doc: LoadedDocument, budget: int = 300, overlap: int = 1, file_digest: str = "") -> list[Chunk]:
    """All chunks of ``doc``, each with its heading path, section id, stance and BM25 tokens."""
    chunks: list[Chunk] = []
    lexical: list[str] = []
    headings: list[str] = []
    for section in build_sections(doc):
        text = section.text
        if estimate_tokens(text) <= budget:
            parts = [text]
        else:
            parts = [" ".join(p) for p in _split_budget(split_sentences(text), budget, overlap)]
        path = " > ".join(section.path) or doc.title
        for n, part in enumerate(parts):
            embed_text = f"{doc.title} > {path}\n{part}"
            # The digest names the vector (what was embedded); tags such as stance and features are
            # metadata, refreshed in place when the taggers change.
            digest = hashlib.sha256(f"{CHUNKER_VERSION}\x00{embed_text}".encode()).hexdigest()
            metadata: dict[str, str | int | float | bool] = {
                "doc_id": doc.doc_id,
                "lang": doc.lang,
                "title": doc.title,
                "issuer": doc.issuer,
                "issued": doc.issued,
                "kind": doc.kind,
                "basis": section.basis or doc.basis,
                "source": doc.path,
                "official_source": doc.source,
                "role": doc.role,
                "section_id": section.section_id,
                "section": path,
                "heading": section.path[-1] if section.path else doc.title,
                "page": section.page if section.page is not None else -1,
                "part": n,
                "n_parts": len(parts),
                "stance": section.stance,
                "stance_source": section.stance_source,
                "features": " ".join(sorted(features_of(f"{path} {part}"))),
                "digest": digest,
                "file_digest": file_digest,
            }
            chunk_id = f"{doc.doc_id}:{doc.lang}:{section.section_id}:{n}"
            chunks.append(Chunk(chunk_id, part, embed_text, metadata))
            lexical.append(f"{doc.title} {path} {part}")
            headings.append(section.path[-1] if section.path else doc.title)
    # One batch per document, tokenized on Kiwi's worker threads.
    for chunk, tokens, heading in zip(chunks, tokenize_many(lexical, doc.lang), tokenize_many(headings, doc.lang), strict=True):
        chunk.metadata["bm25_tokens"] = " ".join(tokens)
        chunk.metadata["heading_tokens"] = " ".join(heading)
    return chunks
