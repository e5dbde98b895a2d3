"""The Blocks of guidebot's UI: a header (skip link, language switch) and one tab per module.

Per-session state lives only in ``gr.State`` and component values, so one official's session never
shows another's answers.  No handler shows a traceback; messages are in the UI's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from app.ui.ask_tab import build_ask_tab
from app.ui.context import Ctx
from app.ui.evals_tab import build_evals_tab
from app.ui.html import esc
from app.ui.i18n import t, ui_lang
from app.ui.library_tab import build_library_tab
from app.ui.training_tab import build_training_tab
from ingest.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
CSS = (STATIC / "style.css").read_text(encoding="utf-8")
HEADER_JS = (STATIC / "header.js").read_text(encoding="utf-8")


def header(ui: str) -> str:
    return (f'<a class="gb-skip" href="#gb-question">{esc(t(ui, "skip"))}</a>'
            f'<div class="gb-header"><h1>{esc(t(ui, "app_title"))}</h1><p>{esc(t(ui, "app_sub"))}</p></div>')


def theme() -> Any:
    """Gradio's default theme, Korean fonts as fallbacks, no text size under 14 px, high-contrast buttons."""
    fonts: list[Any] = ["Pretendard", "Malgun Gothic", "Apple SD Gothic Neo", "Noto Sans KR", "NanumGothic",
                        "NanumBarunGothic", "ui-sans-serif", "system-ui", "sans-serif"]
    sizes = gr.themes.Size(xxs="14px", xs="14px", sm="14px", md="16px", lg="18px", xl="22px", xxl="26px")
    return gr.themes.Default(primary_hue="blue", font=fonts, text_size=sizes).set(
        button_primary_background_fill="#1d4ed8", button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff", button_primary_border_color="#1e3a8a",
        button_cancel_background_fill="#b91c1c", button_cancel_background_fill_hover="#991b1b",
        button_cancel_text_color="#ffffff", body_text_color_subdued="#374151", block_info_text_color="#374151", input_placeholder_color="#4b5563",
    )


def tab_label(key: str) -> Any:
    return lambda ui: gr.update(label=t(ui, key))


def build(assistant: Any = None, settings: Settings | None = None) -> gr.Blocks:
    """The Gradio Blocks of guidebot's UI (not yet launched)."""
    from app.assistant import Assistant

    settings = settings or (assistant.settings if assistant is not None else get_settings())
    ctx = Ctx(assistant=assistant or Assistant(settings), settings=settings)
    ui0 = ctx.default_ui
    with gr.Blocks(title="guidebot", fill_width=True) as demo:
        with gr.Row(elem_id="gb-top", equal_height=True):
            head = gr.HTML(header(ui0), elem_id="gb-header", js_on_load=HEADER_JS, scale=4, min_width=160)
            ui_radio = gr.Radio([("한국어", "ko"), ("English", "en")], value=ui0, show_label=False, container=False,
                                elem_id="gb-ui-lang", scale=0, min_width=150)
        index_changed: list[Any] = []
        with gr.Tabs(elem_id="gb-tabs"):
            for key, tab_id, builder in (("tab_ask", "ask", lambda: build_ask_tab(ctx, ui_radio)),
                                         ("tab_train", "train", lambda: build_training_tab(ctx, ui_radio)),
                                         ("tab_lib", "library", lambda: build_library_tab(ctx, ui_radio, index_changed)),
                                         ("tab_eval", "evals", lambda: build_evals_tab(ctx, ui_radio))):
                with ctx.i18n(gr.Tab(t(ui0, key), id=tab_id, elem_id=f"gb-tab-{tab_id}"), tab_label(key)):
                    builder()
        wire_language(ctx, demo, head, ui_radio)
    demo.guidebot_routes = routes_for(ctx)  # type: ignore[attr-defined]
    return demo


def wire_language(ctx: Ctx, demo: gr.Blocks, head: Any, ui_radio: Any) -> None:
    """The language switch re-labels every component and re-renders every view; page load fills the views."""
    inputs: list[Any] = []
    for _, ins, _ in ctx.rerenders:
        inputs += [c for c in ins if c not in inputs]
    outputs: list[Any] = [head] + [c for c, _ in ctx.relabels]
    for outs, _, _ in [*ctx.rerenders, *ctx.loaders]:
        outputs += [c for c in outs if c not in outputs]

    def on_switch(ui: str, *values: Any) -> dict[Any, Any]:
        ui = ui_lang(ui)
        given = dict(zip(inputs, values, strict=True))
        out: dict[Any, Any] = {head: header(ui), **{c: fn(ui) for c, fn in ctx.relabels}}
        for _, ins, fn in ctx.rerenders:
            out.update(fn(ui, *[given[c] for c in ins]))
        return out

    ui_radio.change(on_switch, [ui_radio, *inputs], outputs, api_visibility="private", show_progress="hidden")
    load_inputs: list[Any] = []
    for _, ins, _ in ctx.loaders:
        load_inputs += [c for c in ins if c not in load_inputs]

    def on_load(ui: str, *values: Any) -> dict[Any, Any]:
        ui = ui_lang(ui)
        given = dict(zip(load_inputs, values, strict=True))
        ctx.assistant.refresh()
        out: dict[Any, Any] = {}
        for _, ins, fn in ctx.loaders:
            out.update(fn(ui, *[given[c] for c in ins]))
        return out

    demo.load(on_load, [ui_radio, *load_inputs], [c for outs, _, _ in ctx.loaders for c in outs],
              api_visibility="private", show_progress="hidden")


def routes_for(ctx: Ctx) -> list[Any]:
    from app.api import routes

    return routes(ctx.assistant)


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None, **kwargs: Any) -> Any:
    """Queue and launch ``demo`` the way guidebot serves it (styles, no tracebacks, loopback, an upload
    size cap at the HTTP layer), with the REST API of :mod:`app.api` on the same port."""
    settings = settings or get_settings()
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    app_kwargs = {"routes": list(getattr(demo, "guidebot_routes", []))}
    return demo.launch(server_name=host, server_port=port, show_error=False, css=CSS, theme=theme(), footer_links=["api"],
                       app_kwargs=app_kwargs, max_file_size=f"{settings.max_file_mb:g}mb", **kwargs)


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """``guidebot serve``: ingest the bundled corpus when the index is empty, then serve the UI."""
    import sys

    from app.assistant import Assistant
    from ingest.store import StoreError

    settings = get_settings()
    try:
        assistant = Assistant(settings)
        if assistant.index.count == 0:
            from ingest.pipeline import ingest

            print("guidebot: the index is empty; indexing the bundled corpus first…", file=sys.stderr)
            summary = ingest(settings=settings)
            print(f"guidebot: {summary.chunks} chunks indexed", file=sys.stderr)
            assistant.refresh(force=True)
    except StoreError as exc:
        print(f"guidebot: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    launch(build(assistant, settings), host=host, port=port, settings=settings)
