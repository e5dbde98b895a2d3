"""The Ask tab: the question box first, then the conversation (newest turn first, each with its evidence)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from app.asking import Failure, ask_or_error
from app.feedback import FeedbackStore, feedback_path
from app.ui.answer_view import MAX_TURNS, Turn, render_conversation
from app.ui.context import Ctx, failure_message
from app.ui.html import esc, render_error
from app.ui.i18n import t, ui_lang

EXAMPLES = [
    "민원인 이름과 전화번호가 들어간 민원을 챗GPT로 요약해도 되나요?",
    "부산시 지침의 4대 가치는?",
    "보도자료 초안을 생성형 AI로 작성해도 되나요?",
    "May I use ChatGPT to draft a press release?",
    "Can I paste an unpublished policy draft into a public chatbot?",
]
CONV_JS = (Path(__file__).parent / "static" / "conversation.js").read_text(encoding="utf-8")
# After an answer, bring the newest verdict to the top of the screen (phones above all).
SHOW_NEWEST_JS = "() => { const t = document.querySelector('#gb-conv .gb-turn'); if (t) t.scrollIntoView({block: 'start'}); }"


def standing(ui: str) -> str:
    return f'<div class="gb-standing" role="note">{esc(t(ui, "standing"))}</div>'


def lang_choices(ui: str) -> list[tuple[str, str]]:
    return [(t(ui, "lang_auto"), "auto"), (t(ui, "lang_ko"), "ko"), (t(ui, "lang_en"), "en")]


def build_ask_tab(ctx: Ctx, ui_radio: Any) -> None:
    ui0 = ctx.default_ui
    feedback = FeedbackStore(feedback_path(ctx.settings))
    turns = gr.State([])
    question = ctx.i18n(gr.Textbox(label=t(ui0, "question"), placeholder=t(ui0, "question_ph"), lines=1, max_lines=8,
                                   autofocus=True, elem_id="gb-question"),
                        lambda ui: gr.update(label=t(ui, "question"), placeholder=t(ui, "question_ph")))
    with gr.Row(elem_id="gb-ask-row", equal_height=True):
        ask_lang = ctx.i18n(gr.Radio(lang_choices(ui0), value="auto", label=t(ui0, "ask_lang"), elem_id="gb-ask-lang",
                                     scale=3, min_width=200),
                            lambda ui: gr.update(label=t(ui, "ask_lang"), choices=lang_choices(ui)))
        ask_btn = ctx.i18n(gr.Button(t(ui0, "ask"), variant="primary", elem_id="gb-ask-btn", scale=1, min_width=110),
                           lambda ui: gr.update(value=t(ui, "ask")))
    error_box = gr.HTML("", elem_id="gb-error", js_on_load=None)
    conv = gr.HTML(render_conversation([], ui0, ctx.lookup), elem_id="gb-conv", js_on_load=CONV_JS)
    with ctx.i18n(gr.Accordion(t(ui0, "examples"), open=False, elem_id="gb-examples"),
                  lambda ui: gr.update(label=t(ui, "examples"))):
        example_btns = [gr.Button(q, size="md", elem_classes=["gb-example"]) for q in EXAMPLES]
    notice = gr.HTML(standing(ui0), elem_id="gb-standing", js_on_load=None)
    ctx.i18n(notice, lambda ui: gr.update(value=standing(ui)))

    def answer(text: Any, lang_choice: Any, history: list[Turn], ui: Any) -> dict[Any, Any]:
        ui = ui_lang(ui)
        result = ask_or_error(ctx.assistant, text, lang_choice if lang_choice in ("ko", "en") else "auto")
        if isinstance(result, Failure):  # the typed question and the conversation stay as they were
            return {error_box: render_error(failure_message(result, ui))}
        turn = Turn(uuid.uuid4().hex[:8], result, datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))
        history = [turn, *(history or [])][:MAX_TURNS]
        return {turns: history, conv: render_conversation(history, ui, ctx.lookup), question: "", error_box: ""}

    outputs = [turns, conv, question, error_box]
    inputs = [question, ask_lang, turns, ui_radio]
    for trigger in (ask_btn.click, question.submit):
        trigger(answer, inputs, outputs, api_visibility="private", show_progress="minimal").then(
            None, js=SHOW_NEWEST_JS)
    for btn in example_btns:
        btn.click(lambda q: q, btn, question, api_visibility="private", queue=False).then(
            answer, inputs, outputs, api_visibility="private", show_progress="minimal").then(None, js=SHOW_NEWEST_JS)

    def on_conv(history: list[Turn], lang_choice: Any, ui: Any, evt: gr.EventData) -> dict[Any, Any]:
        ui = ui_lang(ui)
        data = {k: str(getattr(evt, k, "") or "") for k in ("action", "turn", "comment", "question")}  # the documented access
        action = data["action"]
        if action == "ask":
            return {**answer(str(data.get("question", "")), lang_choice, history, ui), question: ""}
        turn = next((x for x in history or [] if x.id == data.get("turn")), None)
        if action not in ("up", "down") or turn is None:
            return {}
        a = turn.answer
        feedback.record(action, a.question, verdict=a.verdict, language=a.language,
                        clauses=[c.clause for c in a.citations], comment=str(data.get("comment", ""))[:2000], ui_lang=ui)
        turn.feedback = action
        return {turns: history, conv: render_conversation(history, ui, ctx.lookup)}

    conv.click(on_conv, [turns, ask_lang, ui_radio], outputs, api_visibility="private", show_progress="hidden")

    def api_ask(question: str, lang: str = "auto") -> dict:  # type: ignore[type-arg]
        """Answer one question: returns the answer contract's JSON object, or {"error": message}."""
        result = ask_or_error(ctx.assistant, question, lang)
        return {"error": result.message} if isinstance(result, Failure) else result.to_dict()

    gr.api(api_ask, api_name="ask", queue=False)
    ctx.rerenders.append(([conv, error_box], [turns], lambda ui, history: {
        conv: render_conversation(history or [], ui, ctx.lookup), error_box: ""}))
