"""The UI in a real browser: Debian's chromium driven by Playwright (sync API), headless.

One journey per test over one server: ask (badge, sources, a citation opened, the other language),
errors that keep the typed text, the KO/EN switch, training, an upload listed and deleted, and the
evals tab showing a report.  Screenshots go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ingest.settings import REPO_ROOT, Settings

try:
    from test_ui import UPLOAD_DOC, start_server
except ImportError:  # pytest's importlib mode
    from tests.test_ui import UPLOAD_DOC, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    srv = start_server(corpus_settings, tmp_path_factory.mktemp("browser-data"))
    yield srv
    srv.demo.close()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium fonts-nanum)")
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def ui_page(chromium_browser: Any, server: SimpleNamespace) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server.url)
    pg.wait_for_selector("#gb-question textarea")
    pg.wait_for_selector("#gb-answer .gb-panel")
    yield pg
    context.close()
    assert not errors, errors


def shot(pg: Any, name: str, full: bool = False) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def ask(pg: Any, question: str, enter: bool = False) -> None:
    pg.fill("#gb-question textarea", question)
    if enter:
        pg.press("#gb-question textarea", "Enter")
    else:
        pg.click("#gb-ask-btn")


def test_ask_badge_sources_citation_and_feedback(ui_page: Any, server: SimpleNamespace, chromium_browser: Any) -> None:
    pg = ui_page
    ask(pg, "민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?")
    badge = pg.locator("#gb-answer .gb-badge")
    badge.wait_for()
    pg.wait_for_selector("#gb-answer .gb-source")
    pg.wait_for_function("() => document.querySelector('#gb-question textarea').value === ''")  # cleared on success
    assert "허용되지 않음" in badge.inner_text()
    assert badge.get_attribute("data-verdict") == "not_allowed"
    chat = pg.locator("#gb-chat").inner_text()
    assert "010-2345-6789" not in chat and "[전화번호]" in chat, "the chat shows the masked question"
    assert pg.locator("#gb-answer .gb-pii").is_visible()
    assert "공식 원문" in pg.locator("#gb-standing").inner_text()
    sources = pg.locator("#gb-answer .gb-source")
    assert sources.count() >= 1
    assert pg.locator("#gb-answer .gb-source mark").count() == sources.count()
    assert pg.locator(".gb-followup").first.is_visible()
    pg.evaluate("window.scrollTo(0, 140)")
    shot(pg, "01-ask-ko")

    # open a citation: the [n] link jumps to its source entry, which is highlighted
    link = pg.locator("#gb-answer .gb-answer-text a.gb-cite").first
    target = link.get_attribute("href")
    link.click()
    pg.wait_for_function(f"() => location.hash === '{target}'")
    entry = pg.locator(target)
    assert entry.is_visible()
    assert entry.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    other = entry.locator("details.gb-other")
    if other.count():
        other.locator("summary").click()
        assert other.locator("div").first.is_visible()
        assert other.get_attribute("open") is not None
    shot(pg, "02-citation-opened")

    # export: the Markdown carries the sources
    pg.click("#gb-export button:has-text('Markdown')")
    markdown = pg.locator("#gb-markdown textarea").input_value()
    assert "출처" in markdown and "[1]" in markdown
    assert pg.locator("#gb-download").is_visible()

    # feedback: saved masked
    pg.fill("#gb-comment textarea", "제 번호 010-2345-6789 로 연락 주세요")
    pg.click("#gb-down")
    pg.wait_for_selector("#gb-fb-status .gb-result-ok")
    with sqlite3.connect(server.settings.data_dir / "feedback.sqlite") as conn:
        rows = conn.execute("SELECT rating, question, comment FROM feedback").fetchall()
    assert rows and rows[-1][0] == "down"
    assert "010-2345-6789" not in json.dumps(rows, ensure_ascii=False)

    # another session sees none of this
    other_ctx = chromium_browser.new_context(viewport={"width": 1280, "height": 720})
    fresh = other_ctx.new_page()
    fresh.goto(server.url)
    fresh.wait_for_selector("#gb-answer .gb-panel")
    assert fresh.locator("#gb-answer .gb-badge").count() == 0
    assert "홍길동" not in fresh.locator("body").inner_text()
    other_ctx.close()


def test_errors_keep_the_question(ui_page: Any) -> None:
    pg = ui_page
    long_question = "생성형 AI 사용 " * 700
    ask(pg, long_question, enter=True)
    error = pg.locator("#gb-error .gb-error")
    error.wait_for()
    assert "너무 깁니다" in error.inner_text()
    assert pg.locator("#gb-question textarea").input_value() == long_question
    assert "Traceback" not in pg.locator("body").inner_text()
    shot(pg, "03-error-kept-text")


def test_language_switch_and_english_answer(ui_page: Any) -> None:
    pg = ui_page
    pg.click("#gb-ui-lang label:has-text('English')")
    pg.get_by_role("tab", name="Library").wait_for()
    assert pg.get_by_role("tab", name="Ask").is_visible()
    assert pg.get_by_role("tab", name="Training").is_visible()
    assert "Do not enter personal data" in pg.locator("#gb-standing").inner_text()
    pg.click("button.gb-example:has-text('May I use ChatGPT to draft a press release?')")
    badge = pg.locator("#gb-answer .gb-badge")
    badge.wait_for()
    pg.wait_for_selector("#gb-answer .gb-source")
    assert badge.get_attribute("data-verdict") in {"conditional", "allowed"}
    assert any(word in badge.inner_text() for word in ("Allowed with conditions", "Allowed"))
    assert "Cited clauses" in pg.locator("#gb-answer").inner_text()
    pg.locator("#gb-answer").evaluate("el => el.scrollIntoView()")
    pg.evaluate("window.scrollBy(0, -90)")
    shot(pg, "04-ask-en")
    pg.click("#gb-ui-lang label:has-text('한국어')")
    pg.get_by_role("tab", name="자료실").wait_for()
    pg.wait_for_function("() => document.querySelector('#gb-answer').innerText.includes('근거 조항')")


def test_training_quiz_and_side_by_side(ui_page: Any) -> None:
    pg = ui_page
    pg.get_by_role("tab", name="교육").click()
    card = pg.locator("#gb-card .gb-card")
    card.wait_for()
    if "data-case" not in (card.evaluate("el => el.outerHTML") or ""):
        pytest.skip("no evaluation cases to train with")
    pg.locator("#gb-pick label").first.click()
    pg.click("#gb-check")
    pg.wait_for_selector("#gb-reveal-panel .gb-panel")
    assert "/ 1" in pg.locator("#gb-score").inner_text()
    assert pg.locator("#gb-reveal-panel .gb-badge").count() >= 1
    pg.locator("#gb-card").scroll_into_view_if_needed()
    shot(pg, "05-training-quiz")
    pg.click("#gb-next")
    pg.wait_for_function("() => !document.querySelector('#gb-reveal-panel .gb-panel')")
    table = pg.locator("#gb-train-view table.gb-sbs")
    table.wait_for()
    assert table.locator("th").nth(0).inner_text() == "한국어" and table.locator("th").nth(1).inner_text() == "English"
    pg.click("#gb-projector input")
    pg.wait_for_selector("#gb-card .gb-projector")
    pg.locator("#gb-card").scroll_into_view_if_needed()
    shot(pg, "06-training-projector")
    pg.locator("#gb-train-view").scroll_into_view_if_needed()
    shot(pg, "07-training-side-by-side")


def test_upload_listed_then_deleted(ui_page: Any, server: SimpleNamespace, tmp_path: Path) -> None:
    pg = ui_page
    note = tmp_path / "browser-upload-note.md"
    note.write_text(UPLOAD_DOC.replace("ui-test-upload-note", "browser-upload-note").replace(
        "UI test upload note on watermarking", "Browser upload note"), encoding="utf-8")
    pg.get_by_role("tab", name="자료실").click()
    pg.set_input_files("#gb-upload input[type=file]", str(note))
    pg.wait_for_selector("#gb-upload :text('browser-upload-note.md')")
    pg.click("#gb-upload-btn")
    pg.wait_for_selector("#gb-lib-result .gb-note")
    assert "추가 1" in pg.locator("#gb-lib-result").inner_text()
    pg.wait_for_selector("#gb-docs :text('browser-upload-note')")
    assert (server.settings.uploads_dir / "browser-upload-note.md").is_file()
    shot(pg, "08-library-uploaded", full=True)

    pg.click("#gb-delete-dd input")
    pg.get_by_role("option", name="browser-upload-note.md").click()
    pg.click("#gb-delete-btn")
    pg.wait_for_selector("#gb-lib-result :text('삭제하고')")
    pg.wait_for_function("() => !document.querySelector('#gb-docs').innerText.includes('browser-upload-note')")
    assert not (server.settings.uploads_dir / "browser-upload-note.md").exists()


def test_evals_tab_shows_a_report(ui_page: Any, server: SimpleNamespace, tmp_path: Path) -> None:
    from app.library import report_dir

    pg = ui_page
    pg.get_by_role("tab", name="평가").click()
    view = pg.locator("#gb-eval-view")
    view.wait_for()
    cases = [
        {"id": "ui-1", "lang": "ko", "question": "부산시 지침의 4대 가치는?", "category": "info", "expected_verdicts": ["info"],
         "gold_clauses": ["busan-genai-guidelines-2025#core-values"], "split": "test", "notes": "The four core values."},
        {"id": "ui-2", "lang": "en", "question": "May I paste a complaint with a citizen's phone number into ChatGPT?",
         "category": "pii", "expected_verdicts": ["not_allowed"], "split": "test",
         "gold_clauses": ["kr-nis-genai-security#rule-no-sensitive-input"]},
        {"id": "ui-3", "lang": "ko", "question": "공무원 연가 일수는 며칠인가요?", "category": "not_covered",
         "expected_verdicts": ["not_covered"], "split": "test"},
    ]
    dataset = tmp_path / "cases.jsonl"
    dataset.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    from evals.runner import run_eval

    run_eval(dataset=dataset, split="test", settings=server.settings, out=report_dir(server.settings, "test"))
    pg.click("#gb-open-eval")
    pg.wait_for_selector("#gb-eval-view .gb-metrics")
    text = view.inner_text()
    assert "verdict_accuracy" in text and "naive_rag" in text and "bm25" in text
    assert pg.locator("#gb-eval-view .gb-charts img").count() >= 1
    shot(pg, "09-evals", full=True)
