"""The classroom quiz: scenario cards that never give the answer away, and explanations for trainees
written from the cited clauses in the UI's language."""

from __future__ import annotations

import random
from typing import Any

from app.answer import VERDICT_LABELS
from app.library import TrainingCase
from app.pii import mask
from app.ui.html import esc, verdict_badge
from app.ui.i18n import t, ui_lang
from app.ui.lookup import Lookup


def gives_answer_away(case: TrainingCase) -> bool:
    """Whether the question itself names its expected verdict (e.g. "...허용되나요?" when the answer is 허용)."""
    text = case.question.lower()
    return any(VERDICT_LABELS[lang][v].lower() in text for v in case.expected_verdicts for lang in ("ko", "en"))


def topics(cases: list[TrainingCase]) -> list[str]:
    return sorted({key.split("#")[0] for c in cases for key in c.gold_clauses})


def new_quiz(cases: list[TrainingCase], lang_filter: str = "all", topic: str = "all", seed: int | None = None) -> dict[str, Any]:
    ids = [c.id for c in cases if (lang_filter == "all" or c.lang == lang_filter) and not gives_answer_away(c)
           and (topic == "all" or any(k.split("#")[0] == topic for k in c.gold_clauses))]
    random.Random(seed).shuffle(ids)
    return {"order": ids, "pos": 0, "asked": 0, "correct": 0, "checked": False, "revealed": False, "result": None,
            "filter": lang_filter, "topic": topic}


def current(quiz: dict[str, Any], cases: dict[str, TrainingCase]) -> TrainingCase | None:
    order = quiz.get("order") or []
    return cases.get(order[int(quiz.get("pos", 0)) % len(order)]) if order else None


def render_card(quiz: dict[str, Any], cases: dict[str, TrainingCase], ui: str, note: str | None = None) -> str:
    ui = ui_lang(ui)
    case = current(quiz, cases)
    if case is None:
        return f'<div class="gb-card"><p>{esc(note or t(ui, "no_cases"))}</p></div>'
    order = quiz["order"]
    meta = t(ui, "case_of", i=int(quiz.get("pos", 0)) % len(order) + 1, n=len(order))
    return (f'<div class="gb-card" data-case="{esc(case.id)}"><div class="gb-card-meta">{esc(meta)}</div>'
            f'<p class="gb-card-q" lang="{esc(case.lang)}">{esc(mask(case.question, case.lang).text)}</p></div>')


def explanation(case: TrainingCase, index: Any, lookup: Lookup, ui: str) -> str:
    """Why the expected verdict holds, in the UI's language, from the case's clauses."""
    label = VERDICT_LABELS[ui][case.expected_verdicts[0]]
    if "not_covered" in case.expected_verdicts or not case.gold_clauses:
        return f"<p>{esc(t(ui, 'explain_lead', verdict=label))} {esc(t(ui, 'explain_none'))}</p>"
    parts = [f"<p>{esc(t(ui, 'explain_lead', verdict=label))}</p>"]
    for key in case.gold_clauses:
        doc_id = key.split("#")[0]
        clause = getattr(index, "clauses", {}).get(key)
        title = lookup.title(doc_id, ui) or doc_id
        section = lookup.section(key, ui)
        parts.append(f"<p>{esc(t(ui, 'explain_clause', title=title, section=section or title))}</p>")
        if clause is not None:
            parts.append(f'<blockquote class="gb-chunk" lang="{esc(ui)}">{lookup.linked(esc(clause.text_in(ui)), ui)}</blockquote>')
    return "".join(parts)


def render_reveal(quiz: dict[str, Any], cases: dict[str, TrainingCase], index: Any, lookup: Lookup, ui: str) -> str:
    ui = ui_lang(ui)
    case = current(quiz, cases)
    if case is None or not (quiz.get("revealed") or quiz.get("checked")):
        return ""
    parts = ['<div class="gb-panel">']
    if quiz.get("result") is not None:
        cls, key = ("gb-result-ok", "correct") if quiz["result"] else ("gb-result-bad", "wrong")
        parts.append(f'<div class="gb-note {cls}" role="status"><b>{esc(t(ui, key))}</b></div>')
    badges = " ".join(verdict_badge(v, ui, small=True) for v in case.expected_verdicts)
    parts.append(f'<h3>{esc(t(ui, "expected"))}</h3><div class="gb-tags">{badges}</div>')
    parts.append(f'<h3>{esc(t(ui, "why"))}</h3>{explanation(case, index, lookup, ui)}</div>')
    return "".join(parts)
