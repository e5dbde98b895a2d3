"""The Library's HTML: documents as cards (no server path: a document id and a file name), one
document's text, and what an ingest run did, in plain words."""

from __future__ import annotations

from typing import Any

from app import library
from app.answer import BASIS_LABELS
from app.ui.html import basis_tag, esc, official_source, paragraphs
from app.ui.i18n import t, ui_lang
from app.ui.lookup import Lookup


def doc_cards(docs: list[library.DocInfo], ui: str) -> str:
    ui = ui_lang(ui)
    cards = []
    for d in docs:
        upload = d.origin == "upload"
        rows = [(t(ui, "doc_id"), esc(d.doc_id))]
        if upload:
            rows.append((t(ui, "doc_file"), esc(", ".join(sorted(set(d.files.values()))))))
        rows += [(t(ui, "h_issuer"), esc(d.issuer(ui))), (t(ui, "h_date"), esc(d.issued)),
                 (t(ui, "h_langs"), esc(", ".join(d.langs))), (t(ui, "h_chunks"), esc(d.chunks))]
        note = d.official.get(ui) or next(iter(d.official.values()), "")
        if note and not upload:
            rows.append((t(ui, "official_source"), official_source(note)))
        body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows if v)
        origin = t(ui, "origin_upload" if upload else "origin_corpus")
        cards.append(f'<article class="gb-doccard{" gb-upload" if upload else ""}" data-doc="{esc(d.doc_id)}">'
                     f'<h3>{esc(d.title(ui))}</h3><div class="gb-tags">{basis_tag(d.basis, ui)}'
                     f'<span class="gb-tag">{esc(origin)}</span></div><dl>{body}</dl></article>')
    return f'<div class="gb-docs">{"".join(cards)}</div>' if cards else f'<p class="gb-muted">{esc(t(ui, "no_docs"))}</p>'


def document_view(index: Any, lookup: Lookup, docs: list[library.DocInfo], doc_id: str | None, lang: str, ui: str) -> str:
    ui = ui_lang(ui)
    info = next((d for d in docs if d.doc_id == doc_id), None)
    if info is None:
        return f'<div class="gb-doc"><p>{esc(t(ui, "no_docs"))}</p></div>'
    lang = lang if lang in info.langs else info.langs[0]
    views = library.sections(index, info.doc_id, lang)
    toc = "".join(f'<a href="#gb-d-{esc(v.section_id)}">{esc(v.section)}</a>' for v in views)
    body = "".join(f'<section id="gb-d-{esc(v.section_id)}"><h3>{esc(v.section)}</h3>'
                   f"<p>{lookup.linked(paragraphs(v.text), lang)}</p></section>" for v in views)
    meta = " · ".join(esc(x) for x in (info.issuer(lang), info.issued, BASIS_LABELS[ui].get(info.basis, info.basis)) if x)
    note = info.official.get(lang, "")
    source = (f'<p class="gb-official"><b>{esc(t(ui, "official_source"))}:</b> {official_source(note)}</p>'
              if note and info.origin != "upload" else "")
    return (f'<div class="gb-doc gb-scroll" lang="{esc(lang)}"><h2>{esc(info.title(lang))}</h2>'
            f'<p class="gb-muted">{meta}</p>{source}<nav class="gb-toc" aria-label="{esc(t(ui, "toc"))}">{toc}</nav>{body}</div>')


def plain_reason(reason: str) -> str:
    """The label key for why a file failed (never a raw exception name)."""
    low = reason.lower()
    for words, key in ((("encrypt", "password"), "reason_encrypted"), (("unsupported",), "reason_unsupported"),
                       (("too large", "limit", "expan", "bomb"), "reason_too_large"), (("no text", "empty"), "reason_empty")):
        if any(w in low for w in words):
            return key
    return "reason_unreadable"


def ingest_report(summary: dict[str, Any] | None, failed: list[dict[str, str]], removed: list[str], ui: str) -> str:
    ui = ui_lang(ui)
    parts = []
    if summary:
        counts = {k: summary.get(k, 0) for k in ("added", "updated", "unchanged", "deleted", "chunks")}
        parts.append(f'<div class="gb-note gb-result-ok" role="status">{esc(t(ui, "ingest_done", **counts))}</div>')
    if failed:
        items = "".join(f"<li>{esc(f.get('path', ''))}: {esc(t(ui, plain_reason(str(f.get('reason', '')))))}</li>" for f in failed)
        parts.append(f'<div class="gb-error" role="alert"><b>{esc(t(ui, "ingest_failed"))}</b><ul>{items}</ul></div>')
    if removed:
        parts.append(f'<p class="gb-muted">{esc(t(ui, "ingest_removed", names=", ".join(removed)))}</p>')
    return "".join(parts)
