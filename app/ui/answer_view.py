"""One chat turn rendered from the typed :class:`app.answer.Answer`: verdict card, conditions or
alternatives, the answer with [n] links (preview on hover/focus, a way back), collapsible sources,
follow-ups, export and feedback.  Every turn keeps its own evidence, so history never loses it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote as urlquote

from app.answer import Answer, Citation
from app.compose import PII_KIND_NAMES
from app.ui.export import export_markdown, markdown_name, print_html
from app.ui.html import basis_tag, esc, official_source, stance_tag, verdict_badge
from app.ui.i18n import fix_particles, t, ui_lang
from app.ui.lookup import Lookup

MARKER = re.compile(r"\[(\d{1,3})\]")
MAX_TURNS = 20


@dataclass
class Turn:
    """One question and its answer, as this session saw them."""

    id: str
    answer: Answer
    asked_at: str  # local date and time, "2026-05-03 14:05"
    feedback: str = ""  # "", "up" or "down"


def _tip(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_markers(escaped: str, turn: Turn, seen: set[int]) -> str:
    """Turn the [n] markers of already-escaped text into links to the turn's source entries."""
    quotes = {c.n: c.quote for c in turn.answer.citations}

    def repl(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in quotes:
            return match.group(0)
        ref = f' id="gb-{turn.id}-r{n}"' if n not in seen else ""
        seen.add(n)
        return (f'<a class="gb-cite" href="#gb-{turn.id}-s{n}"{ref} data-tip="{esc(_tip(quotes[n]))}"'
                f' aria-label="[{n}] {esc(_tip(quotes[n], 90))}">[{n}]</a>')

    return MARKER.sub(repl, escaped)


def _text(text: str, turn: Turn, lookup: Lookup, seen: set[int]) -> str:
    lang = turn.answer.language
    shown = fix_particles(text) if lang == "ko" else text
    return link_markers(lookup.linked(esc(shown), lang), turn, seen)


def render_answer_text(turn: Turn, lookup: Lookup, seen: set[int]) -> str:
    """Paragraphs and lists ("- " lines are quoted clauses) with linked markers."""
    out: list[str] = []
    items: list[str] = []
    for line in turn.answer.answer.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{_text(line[2:], turn, lookup, seen)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            out.append(f"<p>{_text(line, turn, lookup, seen)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def highlight(chunk_text: str, quote: str) -> tuple[str, str, str]:
    """(before, quoted passage, after) of ``chunk_text`` (exact match, then whitespace-insensitive)."""
    quote = (quote or "").strip()
    if not chunk_text or not quote:
        return "", quote or chunk_text, ""
    start = chunk_text.find(quote)
    if start >= 0:
        return chunk_text[:start], quote, chunk_text[start + len(quote):]
    match = re.search(r"\s+".join(re.escape(part) for part in quote.split()), chunk_text)
    if match:
        return chunk_text[:match.start()], match.group(0), chunk_text[match.end():]
    return "", quote, ""


def render_source(c: Citation, turn: Turn, lookup: Lookup, ui: str) -> str:
    before, passage, after = highlight(c.chunk_text, c.quote)
    quoted = "".join((lookup.linked(esc(before), c.lang), f"<mark>{lookup.linked(esc(passage), c.lang)}</mark>",
                      lookup.linked(esc(after), c.lang)))
    issued = f'<span class="gb-tag">{esc(t(ui, "issued"))} {esc(c.issued)}</span>' if c.issued else ""
    other = ""
    if c.other_lang:
        o = c.other_lang
        toggle = t(ui, "other_lang") if o.get("lang") == "en" else t(ui, "other_lang_en")
        other = (f'<details class="gb-other"><summary>{esc(toggle)}</summary><div lang="{esc(o.get("lang"))}">'
                 f'<b>{esc(o.get("title"))}</b> · {esc(o.get("section"))}<p>{lookup.linked(esc(o.get("text", "")), str(o.get("lang")))}</p>'
                 "</div></details>")
    if c.basis == "organisation-upload":
        origin = (f'<div class="gb-official">{esc(t(ui, "doc_file"))}: {esc(Path(c.source).name)} · '
                  f'{esc(t(ui, "doc_id"))}: {esc(c.doc_id)}</div>')
    else:
        note = lookup.source_of(c.doc_id, c.lang)
        origin = f'<div class="gb-official"><b>{esc(t(ui, "official_source"))}:</b> {official_source(note)}</div>' if note else ""
    return (
        f'<section class="gb-source" id="gb-{turn.id}-s{c.n}" tabindex="-1">'
        f'<header><span class="gb-n">[{c.n}]</span> {esc(c.title)}</header>'
        f'<div class="gb-path">{esc(c.section)}</div>'
        f'<div class="gb-tags">{basis_tag(c.basis, ui)}{issued}{stance_tag(c.stance, ui)}</div>'
        f'<blockquote class="gb-chunk" lang="{esc(c.lang)}">{quoted}</blockquote>{other}{origin}'
        f'<a class="gb-back" href="#gb-{turn.id}-r{c.n}">↩ {esc(t(ui, "back"))}</a></section>'
    )


def _block(title: str, items: list[str], cls: str, turn: Turn, lookup: Lookup, seen: set[int]) -> str:
    lis = "".join(f"<li>{_text(item, turn, lookup, seen)}</li>" for item in items)
    return f'<section class="gb-block {cls}"><h3>{esc(title)}</h3><ul>{lis}</ul></section>'


def render_turn(turn: Turn, ui: str, lookup: Lookup) -> str:
    ui = ui_lang(ui)
    a = turn.answer
    seen: set[int] = set()
    parts = [f'<article class="gb-turn" id="gb-{turn.id}" data-turn="{turn.id}" lang="{esc(a.language)}">',
             f'<p class="gb-q"><span class="gb-k">{esc(t(ui, "question"))}</span> {esc(a.question)}'
             f' <time class="gb-time">{esc(turn.asked_at)}</time></p>', verdict_badge(a.verdict, ui)]
    if a.pii_masked:
        kinds = ", ".join(PII_KIND_NAMES[ui].get(k, k) for k in a.pii_masked)
        parts.append(f'<div class="gb-note gb-pii"><b>{esc(t(ui, "pii"))}:</b> {esc(t(ui, "pii_text", kinds=kinds))}</div>')
    if a.injection_detected:
        parts.append(f'<div class="gb-note gb-inject">{esc(t(ui, "injection"))}</div>')
    if a.verdict != "not_allowed" and a.conditions:
        parts.append(_block(t(ui, "conditions"), a.conditions, "gb-conditions", turn, lookup, seen))
    parts.append(f'<div class="gb-answer-text">{render_answer_text(turn, lookup, seen)}</div>')
    if a.verdict == "not_allowed" and a.alternatives:
        parts.append(_block(t(ui, "alternatives"), a.alternatives, "gb-alternatives", turn, lookup, seen))
    if a.citations:
        sources = "".join(render_source(c, turn, lookup, ui) for c in a.citations)
        parts.append(f'<details class="gb-sources"><summary>{esc(t(ui, "sources_show", n=len(a.citations)))}</summary>'
                     f"{sources}</details>")
    if a.follow_ups:
        buttons = "".join(f'<button type="button" class="gb-followup" data-gb-action="ask" data-q="{esc(q)}">{esc(q)}</button>'
                          for q in a.follow_ups[:3])
        parts.append(f'<div class="gb-followups"><span class="gb-k">{esc(t(ui, "followups"))}</span>{buttons}</div>')
    if a.notice:
        parts.append(f'<p class="gb-note gb-notice">{esc(fix_particles(a.notice) if a.language == "ko" else a.notice)}</p>')
    parts.append(render_actions(turn, ui, lookup))
    parts.append("</article>")
    return "".join(parts)


def render_actions(turn: Turn, ui: str, lookup: Lookup) -> str:
    md = export_markdown(turn.answer, turn.asked_at, ui, lookup)
    export = (f'<div class="gb-actions"><a class="gb-btn" download="{esc(markdown_name(turn.asked_at))}" '
              f'href="data:text/markdown;charset=utf-8,{urlquote(md)}">{esc(t(ui, "export_md"))}</a>'
              f'<button type="button" class="gb-btn" data-gb-action="print" data-turn="{turn.id}">{esc(t(ui, "export_print"))}</button>'
              f'<textarea hidden aria-hidden="true" data-print="{turn.id}">{esc(print_html(turn.answer, turn.asked_at, ui, lookup))}'
              "</textarea></div>")
    if turn.feedback:
        return export + f'<div class="gb-feedback gb-result-ok" role="status">{esc(t(ui, "fb_thanks"))}</div>'
    return export + (
        f'<div class="gb-feedback"><span>{esc(t(ui, "feedback"))}</span>'
        f'<button type="button" class="gb-btn" data-gb-action="up" data-turn="{turn.id}">✓ {esc(t(ui, "up"))}</button>'
        f'<button type="button" class="gb-btn" data-gb-action="down" data-turn="{turn.id}">✗ {esc(t(ui, "down"))}</button>'
        f'<label class="gb-comment">{esc(t(ui, "comment"))}<textarea rows="1" data-turn="{turn.id}"></textarea></label></div>'
    )


def render_conversation(turns: list[Turn], ui: str, lookup: Lookup) -> str:
    """Every turn, newest first (so on a phone the new verdict sits right under the question box)."""
    if not turns:
        return f'<div class="gb-conv"><p class="gb-empty">{esc(t(ui, "conv_empty"))}</p></div>'
    return '<div class="gb-conv">' + "".join(render_turn(turn, ui, lookup) for turn in turns) + "</div>"
