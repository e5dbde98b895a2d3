"""The Evals tab: the last report, read from the files the evals write; an admin may start a run,
which goes to another process (``python -m evals``): ``app`` never imports ``evals``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from app import library
from app.roles import AdminError, admin_enabled, check_token, record_change
from app.ui.context import Ctx
from app.ui.html import render_error
from app.ui.i18n import t, ui_lang
from app.ui.report_view import render_report
from ingest.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)
EVAL_TIMEOUT_S = 3600
_LOCK = threading.Lock()
_COPIES: dict[tuple[str, float], str] = {}


def report_copy(html_file: Path) -> str:
    """A temporary copy of report.html to download (the data folder itself is never served)."""
    key = (str(html_file), html_file.stat().st_mtime)
    if key not in _COPIES or not Path(_COPIES[key]).is_file():
        folder = Path(tempfile.mkdtemp(prefix="guidebot-report-")) / uuid.uuid4().hex[:8]
        folder.mkdir()
        target = folder / "guidebot-eval-report.html"
        target.write_text(html_file.read_text(encoding="utf-8"), encoding="utf-8")
        _COPIES[key] = str(target)
    return _COPIES[key]


def run_eval_process(settings: Settings, out: Path) -> tuple[int, str]:
    """Run the suite in its own process over this server's index; (exit code, the last lines it printed)."""
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(settings.data_dir), "GUIDEBOT_CORPUS_DIR": str(settings.corpus_dir),
           "GUIDEBOT_CHROMA_PATH": str(settings.chroma_dir), "GUIDEBOT_COLLECTION": settings.collection,
           "GUIDEBOT_CHROMA_MODE": settings.chroma_mode}
    proc = subprocess.run([sys.executable, "-m", "evals", "--split", "test", "--out", str(out)], capture_output=True,
                          text=True, timeout=EVAL_TIMEOUT_S, check=False, env=env, cwd=str(REPO_ROOT))
    return proc.returncode, "\n".join((proc.stdout or proc.stderr).strip().splitlines()[-3:])


def build_evals_tab(ctx: Ctx, ui_radio: Any) -> None:
    ui0 = ctx.default_ui
    folder = library.report_dir(ctx.settings, "test")
    cases = {c.id: c for c in library.training_cases()[0]}
    ctx.i18n(gr.Markdown(t(ui0, "eval_intro")), lambda ui: gr.update(value=t(ui, "eval_intro")))
    with gr.Row():
        open_btn = ctx.i18n(gr.Button(t(ui0, "open_eval"), elem_id="gb-open-eval", min_width=160),
                            lambda ui: gr.update(value=t(ui, "open_eval")))
        download = ctx.i18n(gr.DownloadButton(t(ui0, "report_file"), value=None, visible=False, elem_id="gb-report-dl",
                                              min_width=160), lambda ui: gr.update(label=t(ui, "report_file")))
    view = gr.HTML("", elem_id="gb-eval-view", js_on_load=None)

    def report_out(ui: str) -> dict[Any, Any]:
        ui = ui_lang(ui)
        html_file = folder / "report.html"
        update = gr.update(value=report_copy(html_file), visible=True, label=t(ui, "report_file")) if html_file.is_file() \
            else gr.update(visible=False)
        return {view: render_report(folder, ui, cases), download: update}

    open_btn.click(report_out, [ui_radio], [view, download], api_visibility="private")
    ctx.rerenders.append(([view, download], [], report_out))
    ctx.loaders.append(([view, download], [], report_out))
    if not admin_enabled(ctx.settings):
        return
    with gr.Row():
        token = ctx.i18n(gr.Textbox(label=t(ui0, "admin_token"), type="password", elem_id="gb-eval-token", scale=2, min_width=200),
                         lambda ui: gr.update(label=t(ui, "admin_token")))
        run_btn = ctx.i18n(gr.Button(t(ui0, "run_eval"), variant="primary", elem_id="gb-run-eval", scale=1, min_width=140),
                           lambda ui: gr.update(value=t(ui, "run_eval")))

    def on_run(secret: str, ui: str) -> dict[Any, Any]:
        ui = ui_lang(ui)
        try:
            actor = check_token(ctx.settings, secret)
        except AdminError:
            return {view: render_error(t(ui, "admin_refused"))}
        if not _LOCK.acquire(blocking=False):
            return {view: render_error(t(ui, "eval_running") + "…")}
        try:
            code, tail = run_eval_process(ctx.settings, folder)
            record_change(ctx.settings, actor, "eval", "test", {"exit": code})
        except Exception as exc:
            log.exception("evaluation run failed")
            return {view: render_error(t(ui, "eval_error", msg=type(exc).__name__))}
        finally:
            _LOCK.release()
        if code not in (0, 1):
            log.error("evaluation exited with %s: %s", code, tail)
            return {view: render_error(t(ui, "eval_error", msg=f"exit {code}"))}
        return report_out(ui)

    run_btn.click(on_run, [token, ui_radio], [view, download], api_visibility="private")
