"""Plain data passed between loaders, the chunker and the store."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

STANCES = ("prohibits", "requires", "permits", "recommends", "informs")
BASES = ("official-text", "official-summary", "press-reports", "organisation-upload")
OFFICIAL_BASES = ("official-text", "official-summary", "press-reports")
KINDS = ("strategy", "guideline", "law", "decree", "checklist", "programme", "notice")


@dataclass
class Block:
    """One structural piece of a loaded document: a heading or a run of text."""

    kind: Literal["heading", "text"]
    text: str
    level: int = 0
    anchor: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    page: int | None = None


@dataclass
class LoadedDocument:
    """A document as read from disk, before chunking."""

    doc_id: str
    lang: str
    title: str
    path: str
    blocks: list[Block]
    issuer: str = ""
    issued: str = ""
    kind: str = "guideline"
    basis: str = "official-text"
    source: str = ""
    note: str = ""
    fmt: str = "md"
    role: str = "guideline"  # "comparator": foreign or reference material that informs but never decides
    trusted: bool = True  # from corpus/ or a folder the operator trusts: its basis and issuer stand


@dataclass
class Chunk:
    """One embeddable, citable piece of a section."""

    id: str
    text: str
    embed_text: str
    metadata: dict[str, str | int | float | bool]


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LETTER = re.compile(r"[^\W\d_]")


def detect_lang(text: str) -> str:
    """'ko' when at least a fifth of the letters are Hangul, else 'en'."""
    sample = text[:20_000]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return "en"
    return "ko" if len(_HANGUL.findall(sample)) / letters >= 0.2 else "en"


def slugify(text: str, max_len: int = 60) -> str:
    """A stable, readable id fragment: lowercase words (Hangul kept) joined by hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    words = re.findall(r"[^\W_]+", text)
    slug = "-".join(words)[:max_len].strip("-")
    return slug or "section"


# A sentence ends at . ! ? (or a Korean full stop) followed by whitespace or the end of the text.
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?。](?=\s|$)|\n|$)")
_ABBREVIATIONS = re.compile(r"(?:\b(?:Art|Arts|No|Nos|para|paras|e\.g|i\.e|cf|vs|Mr|Mrs|Ms|Dr|St|Vol|p|pp|U\.S|U\.K)\.)$", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; line breaks also end a sentence (list items, table rows).

    "Art. 31", "No. 21311" and "e.g." do not end a sentence.
    """
    out: list[str] = []
    glue = False
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if not sentence:
            continue
        if glue and out:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
        glue = bool(_ABBREVIATIONS.search(out[-1])) and not match.group(0).endswith("\n")
    return out
