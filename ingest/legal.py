"""Legal and guideline structure found in running text (Korean and English).

Statutes and official guidelines pasted as plain text, PDF or DOCX carry their structure in the
text itself: 제3장, 제29조(...), ①, "Chapter 2", "Article 31 (Transparency)", "(1)".  These
patterns turn such lines into headings with stable ids (``ch-3``, ``art-29``, ``art-29-1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

_CHAPTER_KO = re.compile(r"^\s*제\s*(\d+)\s*장(?:\s|$)")
_SECTION_KO = re.compile(r"^\s*제\s*(\d+)\s*절(?:\s|$)")
_ARTICLE_KO = re.compile(r"^\s*제\s*(\d+)\s*조(?:의\s*(\d+))?\s*(?:\(|（|$)")
_CHAPTER_EN = re.compile(r"^\s*CHAPTER\s+([0-9IVXLC]+)\b(?!\s+of\b)", re.IGNORECASE)
_ARTICLE_EN = re.compile(r"^\s*Article\s+(\d+)(?:-(\d+))?\s*(?:\(|:|\.|—|-\s|$)")
_PARA_EN = re.compile(r"^\s*\((\d{1,2})\)\s+\S")


@dataclass(frozen=True)
class LegalHeading:
    """A structural line: its level (1 chapter, 2 section, 3 article, 4 paragraph) and id."""

    level: int
    anchor: str
    title: str


def _roman(value: str) -> str:
    if value.isdigit():
        return value
    numerals = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total, prev = 0, 0
    for char in reversed(value.upper()):
        num = numerals[char]
        total = total - num if num < prev else total + num
        prev = max(prev, num)
    return str(total)


def match_heading(line: str, article: str | None) -> LegalHeading | None:
    """The structural heading that ``line`` opens, if any.

    Args:
        line: one line of running text.
        article: the id of the article the line sits in, so paragraphs get ``art-29-1``.
    """
    stripped = line.strip()
    if not stripped or len(stripped) > 300:
        return None
    if m := _CHAPTER_KO.match(stripped):
        return LegalHeading(1, f"ch-{m.group(1)}", stripped)
    if m := _SECTION_KO.match(stripped):
        return LegalHeading(2, f"sec-{m.group(1)}", stripped)
    if m := _ARTICLE_KO.match(stripped):
        # 제17조의2 is a branch article, not paragraph 2 of Article 17: art-17_2.
        anchor = f"art-{m.group(1)}" + (f"_{m.group(2)}" if m.group(2) else "")
        return LegalHeading(3, anchor, _title_of(stripped))
    if m := _CHAPTER_EN.match(stripped):
        return LegalHeading(1, f"ch-{_roman(m.group(1))}", stripped)
    if m := _ARTICLE_EN.match(stripped):
        anchor = f"art-{m.group(1)}" + (f"-{m.group(2)}" if m.group(2) else "")
        return LegalHeading(3, anchor, _title_of(stripped))
    if article:
        if stripped[0] in _CIRCLED:
            return LegalHeading(4, f"{article}-{_CIRCLED.index(stripped[0]) + 1}", stripped[0])
        if m := _PARA_EN.match(stripped):
            return LegalHeading(4, f"{article}-{m.group(1)}", f"({m.group(1)})")
    return None


def _title_of(line: str) -> str:
    """The article's label and caption, without the body that may follow on the same line."""
    close = max(line.find(")"), line.find("）"))
    if 0 < close < 120:
        return line[: close + 1].strip()
    return line[:80].strip()
