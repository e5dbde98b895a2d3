"""An answer as a record an official can file: Markdown and a print view with the masked question,
date and time, verdict, conditions or alternatives, and every quote with its document, section,
basis, issue date and official source."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.answer import BASIS_LABELS, VERDICT_LABELS, Answer
from app.ui.html import esc, official_source
from app.ui.i18n import fix_particles, t, ui_lang

if TYPE_CHECKING:
    from app.ui.lookup import Lookup


def markdown_name(asked_at: str) -> str:
    stamp = "".join(ch for ch in asked_at if ch.isdigit())[:12]
    return f"guidebot-{stamp or 'answer'}.md"


def _lists(answer: Answer) -> tuple[str, list[str]]:
    if answer.verdict == "not_allowed":
        return "alternatives", answer.alternatives
    return "conditions", answer.conditions


def _source_note(answer: Answer, n: int, lookup: Lookup) -> tuple[str, str]:
    c = next(c for c in answer.citations if c.n == n)
    if c.basis == "organisation-upload":
        return "file", f"{Path(c.source).name} ({c.doc_id})"
    return "official", lookup.source_of(c.doc_id, c.lang)


def export_markdown(answer: Answer, asked_at: str, ui: str, lookup: Lookup) -> str:
    ui = ui_lang(ui)
    lang = answer.language

    def clean(text: str) -> str:
        text = lookup.plain(text, lang)
        return fix_particles(text) if lang == "ko" else text

    lines = [f"# {t(ui, 'print_title')}", "", f"- {t(ui, 'asked_at')}: {asked_at}", f"- {t(ui, 'question')}: {answer.question}",
             f"- {t(ui, 'verdict')}: **{VERDICT_LABELS[ui][answer.verdict]}**", "", f"## {t(ui, 'answer')}", "", clean(answer.answer), ""]
    key, items = _lists(answer)
    if items:
        lines += [f"## {t(ui, key)}", ""] + [f"- {clean(i)}" for i in items] + [""]
    if answer.citations:
        lines += [f"## {t(ui, 'sources')}", ""]
        for c in answer.citations:
            kind, note = _source_note(answer, c.n, lookup)
            lines.append(f"[{c.n}] **{c.title}** — {c.section}")
            lines.append(f"- {t(ui, 'h_basis')}: {BASIS_LABELS[ui].get(c.basis, c.basis)}"
                         + (f" · {t(ui, 'issued')}: {c.issued}" if c.issued else ""))
            if note:
                lines.append(f"- {t(ui, 'doc_file' if kind == 'file' else 'official_source')}: {note}")
            lines += [f"> {lookup.plain(c.quote, c.lang)}", ""]
    if answer.notice:
        lines += ["", f"_{clean(answer.notice)}_"]
    return "\n".join(lines).strip() + "\n"


def print_html(answer: Answer, asked_at: str, ui: str, lookup: Lookup) -> str:
    """A self-contained page for printing (opened in its own window by the print button)."""
    ui = ui_lang(ui)
    lang = answer.language

    def clean(text: str) -> str:
        shown = fix_particles(text) if lang == "ko" else text
        return lookup.linked(esc(shown), lang)

    key, items = _lists(answer)
    block = f"<h2>{esc(t(ui, key))}</h2><ul>{''.join(f'<li>{clean(i)}</li>' for i in items)}</ul>" if items else ""
    sources = []
    for c in answer.citations:
        kind, note = _source_note(answer, c.n, lookup)
        label = t(ui, "doc_file" if kind == "file" else "official_source")
        note_html = f"<p>{esc(label)}: {official_source(note)}</p>" if note else ""
        sources.append(
            f"<section><h3>[{c.n}] {esc(c.title)} — {esc(c.section)}</h3>"
            f"<p>{esc(t(ui, 'h_basis'))}: {esc(BASIS_LABELS[ui].get(c.basis, c.basis))}"
            + (f" · {esc(t(ui, 'issued'))}: {esc(c.issued)}" if c.issued else "")
            + f"</p><blockquote>{lookup.linked(esc(c.quote), c.lang)}</blockquote>{note_html}</section>")
    body = "".join(f"<p>{clean(line)}</p>" for line in answer.answer.splitlines() if line.strip())
    return (
        f'<!doctype html><html lang="{esc(ui)}"><head><meta charset="utf-8"><title>{esc(t(ui, "print_title"))}</title>'
        "<style>body{font:16px/1.6 'Noto Sans KR','NanumGothic',sans-serif;color:#111;max-width:46rem;margin:2rem auto;padding:0 1rem}"
        "blockquote{border-left:4px solid #444;margin:.5rem 0;padding:.2rem .8rem}h1{font-size:1.5rem}"
        "@media print{button{display:none}}</style></head><body>"
        f'<button type="button" onclick="window.print()">{esc(t(ui, "print_btn"))}</button>'
        f'<h1>{esc(t(ui, "print_title"))}</h1><p>{esc(t(ui, "asked_at"))}: {esc(asked_at)}</p>'
        f'<p>{esc(t(ui, "question"))}: {esc(answer.question)}</p>'
        f'<p><strong>{esc(t(ui, "verdict"))}: {esc(VERDICT_LABELS[ui][answer.verdict])}</strong></p>'
        f'<h2>{esc(t(ui, "answer"))}</h2><div lang="{esc(lang)}">{body}</div>{block}'
        f'<h2>{esc(t(ui, "sources"))}</h2>{"".join(sources)}'
        + (f"<p><em>{clean(answer.notice)}</em></p>" if answer.notice else "") + "</body></html>"
    )
