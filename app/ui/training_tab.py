"""The Training tab: the scenario quiz (with a projector mode) and the documents side by side."""

from __future__ import annotations

import random
from typing import Any

import gradio as gr

from app import library
from app.answer import VERDICT_LABELS, VERDICTS
from app.ui.context import Ctx
from app.ui.html import esc, paragraphs, render_error, stance_tag
from app.ui.i18n import t, ui_lang
from app.ui.quiz import current, new_quiz, render_card, render_reveal, topics

PROJECTOR_JS = "(on) => { document.body.classList.toggle('gb-proj', !!on); return on; }"


def doc_choices(ctx: Ctx, ui: str) -> list[tuple[str, str]]:
    return [(d.title(ui), d.doc_id) for d in library.documents(ctx.assistant.index, ctx.settings)]


def side_by_side(ctx: Ctx, doc_id: str | None, ui: str, query: str = "") -> str:
    ui = ui_lang(ui)
    index = ctx.assistant.index
    by_lang = {lang: library.sections(index, doc_id, lang) for lang in ("ko", "en")} if doc_id else {}
    by_lang = {k: v for k, v in by_lang.items() if v}
    if not by_lang:
        return f'<div class="gb-panel"><p>{esc(t(ui, "no_docs"))}</p></div>'
    views = {lang: {v.section_id: v for v in items} for lang, items in by_lang.items()}
    q = query.strip().lower()
    rows = []
    for section_id in library.merged_order(by_lang):
        cells, found = [], not q
        for lang in ("ko", "en"):
            view = views.get(lang, {}).get(section_id)
            head = esc(t(ui, "col_" + lang))
            if view is None:
                cells.append(f'<td lang="{lang}" data-lang-label="{head}" class="gb-muted">{esc(t(ui, "missing_lang"))}</td>')
                continue
            found = found or q in view.section.lower() or q in view.text.lower()
            stance = " " + stance_tag(view.stance, ui) if view.stance != "informs" else ""
            text = ctx.lookup.linked(paragraphs(view.text), lang)
            cells.append(f'<td lang="{lang}" data-lang-label="{head}"><div class="gb-sec-head">{esc(view.section)}{stance}</div>'
                         f"<div>{text}</div></td>")
        if found:
            rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        return f'<div class="gb-panel"><p>{esc(t(ui, "no_match"))}</p></div>'
    head = f'<tr><th lang="ko">{esc(t(ui, "col_ko"))}</th><th lang="en">{esc(t(ui, "col_en"))}</th></tr>'
    return f'<div class="gb-scroll"><table class="gb-sbs"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def build_training_tab(ctx: Ctx, ui_radio: Any) -> None:
    ui0 = ctx.default_ui
    case_list, case_note = library.training_cases()
    cases = {c.id: c for c in case_list}
    topic_ids = topics(case_list)

    def topic_choices(ui: str) -> list[tuple[str, str]]:
        return [(t(ui, "topic_all"), "all")] + [(ctx.lookup.title(d, ui) or d, d) for d in topic_ids]

    def verdict_choices(ui: str) -> list[tuple[str, str]]:
        return [(VERDICT_LABELS[ui][v], v) for v in VERDICTS]

    def scen_choices(ui: str) -> list[tuple[str, str]]:
        return [(t(ui, "scen_all"), "all"), ("한국어", "ko"), ("English", "en")]

    quiz = gr.State(new_quiz(case_list, seed=0))
    with gr.Column(elem_id="gb-train-col"):
        projector = ctx.i18n(gr.Checkbox(False, label=t(ui0, "projector"), elem_id="gb-projector"),
                             lambda ui: gr.update(label=t(ui, "projector")))
        ctx.i18n(heading := gr.Markdown(f"### {t(ui0, 'scenarios')}"), lambda ui: gr.update(value=f"### {t(ui, 'scenarios')}"))
        del heading
        with gr.Row():
            scen_lang = ctx.i18n(gr.Radio(scen_choices(ui0), value="all", label=t(ui0, "scen_lang"), scale=2, min_width=220),
                                 lambda ui: gr.update(label=t(ui, "scen_lang"), choices=scen_choices(ui)))
            topic = ctx.i18n(gr.Dropdown(topic_choices(ui0), value="all", label=t(ui0, "scen_topic"), scale=3, min_width=220,
                                         elem_id="gb-topic"),
                             lambda ui: gr.update(label=t(ui, "scen_topic"), choices=topic_choices(ui)))
        card = gr.HTML(render_card(new_quiz(case_list, seed=0), cases, ui0, case_note), elem_id="gb-card", js_on_load=None)
        pick = ctx.i18n(gr.Radio(verdict_choices(ui0), label=t(ui0, "quiz_pick"), elem_id="gb-pick"),
                        lambda ui: gr.update(label=t(ui, "quiz_pick"), choices=verdict_choices(ui)))
        with gr.Row():
            check_btn = ctx.i18n(gr.Button(t(ui0, "check"), variant="primary", elem_id="gb-check", min_width=100),
                                 lambda ui: gr.update(value=t(ui, "check")))
            reveal_btn = ctx.i18n(gr.Button(t(ui0, "reveal"), elem_id="gb-reveal", min_width=100),
                                  lambda ui: gr.update(value=t(ui, "reveal")))
            next_btn = ctx.i18n(gr.Button(t(ui0, "next"), elem_id="gb-next", min_width=100),
                                lambda ui: gr.update(value=t(ui, "next")))
        score = gr.Markdown(t(ui0, "score", c=0, n=0), elem_id="gb-score")
        reveal = gr.HTML("", elem_id="gb-reveal-panel", js_on_load=None)
    with gr.Column(elem_id="gb-train-docs-box"):
        ctx.i18n(docs_md := gr.Markdown(f"### {t(ui0, 'train_docs')}"), lambda ui: gr.update(value=f"### {t(ui, 'train_docs')}"))
        del docs_md
        with gr.Row():
            train_doc = gr.Dropdown(doc_choices(ctx, ui0), label=t(ui0, "train_doc"), scale=3, min_width=220, elem_id="gb-train-doc")
            train_filter = ctx.i18n(gr.Textbox(label=t(ui0, "train_filter"), placeholder=t(ui0, "train_filter_ph"), scale=2,
                                               min_width=200, elem_id="gb-train-filter"),
                                    lambda ui: gr.update(label=t(ui, "train_filter"), placeholder=t(ui, "train_filter_ph")))
        train_view = gr.HTML("", elem_id="gb-train-view", js_on_load=None)

    def views(q: dict[str, Any], ui: str, message: str = "") -> dict[Any, Any]:
        ui = ui_lang(ui)
        return {quiz: q, card: render_card(q, cases, ui, case_note),
                reveal: render_error(message) or render_reveal(q, cases, ctx.assistant.index, ctx.lookup, ui),
                score: t(ui, "score", c=q.get("correct", 0), n=q.get("asked", 0))}

    quiz_out = [quiz, card, reveal, score]

    def on_next(q: dict[str, Any], ui: str) -> dict[Any, Any]:
        q = dict(q)
        if q.get("order"):
            q["pos"] = (int(q.get("pos", 0)) + 1) % len(q["order"])
        q.update(checked=False, revealed=False, result=None)
        return {**views(q, ui), pick: gr.update(value=None)}

    def on_check(choice: str | None, q: dict[str, Any], ui: str) -> dict[Any, Any]:
        case = current(q, cases)
        if case is None:
            return views(q, ui)
        if not choice:
            return views(q, ui, t(ui_lang(ui), "pick_first"))
        q = dict(q)
        right = choice in case.expected_verdicts
        if not q.get("checked") and not q.get("revealed"):
            q["asked"] = int(q.get("asked", 0)) + 1
            q["correct"] = int(q.get("correct", 0)) + int(right)
        q.update(checked=True, result=right)
        return views(q, ui)

    def on_filter(lang: str, top: str, ui: str) -> dict[Any, Any]:
        return {**views(new_quiz(case_list, lang or "all", top or "all", seed=random.randrange(1 << 30)), ui),
                pick: gr.update(value=None)}

    hidden: dict[str, Any] = {"api_visibility": "private"}
    next_btn.click(on_next, [quiz, ui_radio], [*quiz_out, pick], **hidden)
    check_btn.click(on_check, [pick, quiz, ui_radio], quiz_out, **hidden)
    reveal_btn.click(lambda q, ui: views({**q, "revealed": True}, ui), [quiz, ui_radio], quiz_out, **hidden)
    scen_lang.change(on_filter, [scen_lang, topic, ui_radio], [*quiz_out, pick], **hidden)
    topic.change(on_filter, [scen_lang, topic, ui_radio], [*quiz_out, pick], **hidden)
    projector.change(None, projector, None, js=PROJECTOR_JS)

    def on_doc(ui: str, doc_id: str | None, query: str) -> str:
        return side_by_side(ctx, doc_id, ui, query or "")

    for trigger in (train_doc.change, train_filter.change):
        trigger(on_doc, [ui_radio, train_doc, train_filter], train_view, show_progress="hidden", **hidden)

    def docs_out(ui: str, doc_id: str | None, query: str) -> dict[Any, Any]:
        choices = doc_choices(ctx, ui)
        ids = [c[1] for c in choices]
        doc_id = doc_id if doc_id in ids else (ids[0] if ids else None)
        return {train_doc: gr.update(choices=choices, value=doc_id, label=t(ui, "train_doc")),
                train_view: side_by_side(ctx, doc_id, ui, query or "")}

    def rerender(ui: str, q: dict[str, Any], doc_id: str | None, query: str) -> dict[Any, Any]:
        return {**views(q, ui), **docs_out(ui, doc_id, query)}

    ctx.rerenders.append(([*quiz_out, train_doc, train_view], [quiz, train_doc, train_filter], rerender))
    ctx.loaders.append(([*quiz_out, train_doc, train_view], [],
                        lambda ui: rerender(ui, new_quiz(case_list, seed=random.randrange(1 << 30)), None, "")))
