"""The Library tab: documents as cards, one document's text, and (only when an admin token is set)
upload, re-index and delete, each checking the token on every call and delete asking first."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from app import library
from app.roles import AdminError, admin_enabled, check_token
from app.ui.context import Ctx
from app.ui.html import esc, render_error, render_ok
from app.ui.i18n import t, ui_lang
from app.ui.library_view import doc_cards, document_view, ingest_report

log = logging.getLogger(__name__)


def build_library_tab(ctx: Ctx, ui_radio: Any, on_index_changed: list[Any]) -> None:
    ui0 = ctx.default_ui
    status = gr.Markdown("", elem_id="gb-lib-status")
    cards = gr.HTML("", elem_id="gb-docs", js_on_load=None)
    with gr.Row():
        doc = ctx.i18n(gr.Dropdown([], label=t(ui0, "lib_doc"), scale=3, min_width=220, elem_id="gb-lib-doc"),
                       lambda ui: gr.update(label=t(ui, "lib_doc")))
        doc_lang = ctx.i18n(gr.Radio([("한국어", "ko"), ("English", "en")], value=ui0, label=t(ui0, "lib_doc_lang"),
                                     scale=1, min_width=160, elem_id="gb-lib-doc-lang"),
                            lambda ui: gr.update(label=t(ui, "lib_doc_lang")))
    view = gr.HTML("", elem_id="gb-lib-view", js_on_load=None)

    def outputs(ui: str, doc_id: str | None, lang: str) -> dict[Any, Any]:
        ui = ui_lang(ui)
        docs = library.documents(ctx.assistant.index, ctx.settings)
        ids = [d.doc_id for d in docs]
        doc_id = doc_id if doc_id in ids else (ids[0] if ids else None)
        return {status: t(ui, "lib_status", docs=len(docs), chunks=ctx.assistant.index.count) if docs else t(ui, "no_docs"),
                cards: doc_cards(docs, ui), doc: gr.update(choices=[(d.title(ui), d.doc_id) for d in docs], value=doc_id),
                view: document_view(ctx.assistant.index, ctx.lookup, docs, doc_id, lang or ui, ui)}

    lib_out = [status, cards, doc, view]
    for trigger in (doc.change, doc_lang.change):
        trigger(lambda ui, d, lang: {view: outputs(ui, d, lang)[view]}, [ui_radio, doc, doc_lang], [view],
                api_visibility="private", show_progress="hidden")
    ctx.rerenders.append((lib_out, [doc, doc_lang], outputs))
    ctx.loaders.append((lib_out, [doc_lang], lambda ui, lang: outputs(ui, None, lang)))

    if not admin_enabled(ctx.settings):  # no token set: the admin functions do not exist on this server
        ctx.i18n(gr.Markdown(t(ui0, "admin_off"), elem_id="gb-admin-off"), lambda ui: gr.update(value=t(ui, "admin_off")))
        return
    build_admin(ctx, ui_radio, outputs, lib_out, doc, doc_lang, on_index_changed)


def build_admin(ctx: Ctx, ui_radio: Any, outputs: Any, lib_out: list[Any], doc: Any, doc_lang: Any,
                on_index_changed: list[Any]) -> None:
    ui0, settings = ctx.default_ui, ctx.settings
    from ingest.loaders import SUPPORTED

    mb = f"{settings.max_file_mb:g}"
    with ctx.i18n(gr.Accordion(t(ui0, "admin_h"), open=False, elem_id="gb-admin"), lambda ui: gr.update(label=t(ui, "admin_h"))):
        token = ctx.i18n(gr.Textbox(label=t(ui0, "admin_token"), type="password", elem_id="gb-admin-token"),
                         lambda ui: gr.update(label=t(ui, "admin_token")))
        ctx.i18n(gr.Markdown(t(ui0, "upload_h", mb=mb)), lambda ui: gr.update(value=t(ui, "upload_h", mb=mb)))
        files = ctx.i18n(gr.File(file_count="multiple", file_types=list(SUPPORTED), label=t(ui0, "upload"), elem_id="gb-upload",
                                 height=120), lambda ui: gr.update(label=t(ui, "upload")))
        upload_btn = ctx.i18n(gr.Button(t(ui0, "upload_btn"), variant="primary", elem_id="gb-upload-btn"),
                              lambda ui: gr.update(value=t(ui, "upload_btn")))
        reindex_btn = ctx.i18n(gr.Button(t(ui0, "reindex"), elem_id="gb-reindex"), lambda ui: gr.update(value=t(ui, "reindex")))
        with gr.Row():
            delete_dd = ctx.i18n(gr.Dropdown([], label=t(ui0, "delete"), elem_id="gb-delete-dd", scale=3, min_width=200),
                                 lambda ui: gr.update(label=t(ui, "delete")))
            delete_btn = ctx.i18n(gr.Button(t(ui0, "delete_btn"), variant="stop", elem_id="gb-delete-btn", scale=1, min_width=100),
                                  lambda ui: gr.update(value=t(ui, "delete_btn")))
        with gr.Row(visible=False, elem_id="gb-confirm") as confirm_row:
            confirm_text = gr.HTML("", elem_id="gb-confirm-text", js_on_load=None)
            confirm_btn = ctx.i18n(gr.Button(t(ui0, "delete_confirm"), variant="stop", elem_id="gb-confirm-btn", min_width=100),
                                   lambda ui: gr.update(value=t(ui, "delete_confirm")))
            cancel_btn = ctx.i18n(gr.Button(t(ui0, "delete_cancel"), elem_id="gb-cancel-btn", min_width=100),
                                  lambda ui: gr.update(value=t(ui, "delete_cancel")))
        result = gr.HTML("", elem_id="gb-lib-result", js_on_load=None)
    pending = gr.State(None)

    def uploads() -> list[str]:
        return [p.name for p in library.uploaded_files(settings)]

    def after(ui: str, doc_id: str | None, lang: str, html: str) -> dict[Any, Any]:
        library.refresh_assistant(ctx.assistant, settings)
        return {**outputs(ui, doc_id, lang), result: html, delete_dd: gr.update(choices=uploads(), value=None)}

    def guarded(work: Any) -> Any:
        def run(secret: str, ui: str, doc_id: str | None, lang: str, *args: Any) -> dict[Any, Any]:
            ui = ui_lang(ui)
            try:
                actor = check_token(settings, secret)
            except AdminError:
                return {result: render_error(t(ui, "admin_refused"))}
            try:
                return work(actor, ui, doc_id, lang, *args)
            except Exception as exc:  # plain words in the page; the log keeps the details
                log.exception("library change failed")
                return {result: render_error(t(ui, "err_generic", msg=type(exc).__name__))}
        return run

    def do_upload(actor: str, ui: str, doc_id: str | None, lang: str, paths: list[Any] | None) -> dict[Any, Any]:
        if not paths:
            return {result: render_error(t(ui, "upload_none"))}
        names = [p if isinstance(p, str) else getattr(p, "name", None) or p.get("path") for p in paths]
        outcome = library.ingest_uploads([Path(str(n)) for n in names], settings, actor=actor)
        return {**after(ui, doc_id, lang, ingest_report(outcome.summary, outcome.failed, outcome.removed, ui)), files: None}

    def do_reindex(actor: str, ui: str, doc_id: str | None, lang: str) -> dict[Any, Any]:
        summary = library.reindex(settings, actor=actor)
        return after(ui, doc_id, lang, ingest_report(summary, summary.get("failed", []), [], ui))

    def do_delete(actor: str, ui: str, doc_id: str | None, lang: str, name: str | None) -> dict[Any, Any]:
        if not name:
            return {result: render_error(t(ui, "delete_none")), confirm_row: gr.update(visible=False)}
        summary = library.delete_upload(name, settings, actor=actor)
        note = render_ok(t(ui, "deleted", name=name)) + ingest_report(summary, summary.get("failed", []), [], ui)
        return {**after(ui, doc_id, lang, note), confirm_row: gr.update(visible=False), pending: None}

    def ask_first(name: str | None, ui: str) -> dict[Any, Any]:
        ui = ui_lang(ui)
        if not name:
            return {result: render_error(t(ui, "delete_none"))}
        return {pending: name, confirm_row: gr.update(visible=True), result: "",
                confirm_text: f'<p class="gb-note gb-result-bad" role="alert">{esc(t(ui, "delete_confirm_q", name=name))}</p>'}

    changed = [*lib_out, result, delete_dd]
    base = [token, ui_radio, doc, doc_lang]
    hidden: dict[str, Any] = {"api_visibility": "private"}
    upload_btn.click(guarded(do_upload), [*base, files], [*changed, files], **hidden)
    reindex_btn.click(guarded(do_reindex), base, changed, **hidden)
    delete_btn.click(ask_first, [delete_dd, ui_radio], [pending, confirm_row, confirm_text, result], **hidden)
    confirm_btn.click(guarded(do_delete), [*base, pending], [*changed, confirm_row, pending], **hidden)
    cancel_btn.click(lambda: {pending: None, confirm_row: gr.update(visible=False)}, None, [pending, confirm_row], **hidden)
    ctx.loaders.append(([delete_dd], [], lambda ui: {delete_dd: gr.update(choices=uploads(), value=None)}))
    on_index_changed.extend([upload_btn, reindex_btn, confirm_btn])
