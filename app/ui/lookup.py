"""What the UI needs to name things the way officials read them: clause titles for cross-references
(``doc_id#anchor`` in a quote becomes the other section's title) and each document's official source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.ui.html import esc

# A clause key in running text: ASCII only around it (never \b next to Hangul).
XREF = re.compile(r"(?<![A-Za-z0-9_/.#-])([a-z][a-z0-9]*(?:-[a-z0-9]+)+)#([A-Za-z][A-Za-z0-9_-]*)(?![A-Za-z0-9_-])")


@dataclass
class Lookup:
    """Titles and sources by clause key and document, in every language the index holds."""

    sections: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, lang) -> heading
    titles: dict[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, lang) -> document title
    official: dict[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, lang) -> official source

    @classmethod
    def from_index(cls, index: Any) -> Lookup:
        out = cls()
        for chunk in getattr(index, "chunks", []):
            meta = chunk.meta
            doc, lang = str(meta.get("doc_id", "")), str(meta.get("lang", ""))
            key = f"{doc}#{meta.get('section_id', '')}"
            heading = str(meta.get("heading") or str(meta.get("section", "")).split(" > ")[-1])
            out.sections.setdefault((key, lang), heading)
            out.titles.setdefault((doc, lang), str(meta.get("title", doc)))
            out.official.setdefault((doc, lang), str(meta.get("official_source", "") or ""))
        return out

    def _pick(self, table: dict[tuple[str, str], str], key: str, lang: str) -> str:
        return table.get((key, lang)) or table.get((key, "en" if lang == "ko" else "ko")) or ""

    def title(self, doc_id: str, lang: str) -> str:
        return self._pick(self.titles, doc_id, lang)

    def section(self, key: str, lang: str) -> str:
        return self._pick(self.sections, key, lang)

    def source_of(self, doc_id: str, lang: str) -> str:
        return self._pick(self.official, doc_id, lang)

    def xref_text(self, doc_id: str, anchor: str, lang: str) -> str:
        """A cross-reference in words: 「document」 section (or the document alone when the section is unknown)."""
        title = self.title(doc_id, lang)
        section = self.section(f"{doc_id}#{anchor}", lang)
        if title and section:
            return f"「{title}」 {section}"
        return f"「{title}」" if title else ("관련 조항" if lang == "ko" else "a related clause")

    def plain(self, text: str, lang: str) -> str:
        """``text`` with every clause key replaced by its title (plain text, for Markdown)."""
        return XREF.sub(lambda m: self.xref_text(m.group(1), m.group(2), lang), text)

    def linked(self, escaped_html: str, lang: str) -> str:
        """Escaped HTML with every clause key shown as the section's title."""
        return XREF.sub(lambda m: f'<cite class="gb-xref">{esc(self.xref_text(m.group(1), m.group(2), lang))}</cite>',
                        escaped_html)


_CACHE: dict[int, tuple[Any, Lookup]] = {}


def lookup_for(index: Any) -> Lookup:
    """The lookup of ``index`` (built once per loaded index)."""
    held = _CACHE.get(id(index))
    if held is None or held[0] is not index:
        _CACHE.clear()
        held = (index, Lookup.from_index(index))
        _CACHE[id(index)] = held
    return held[1]
