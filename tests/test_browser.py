"""The UI in a real browser: Debian's chromium driven by Playwright (sync API), headless, at a desktop
size (1366x900) and a phone size (390x844).  One server with an admin token; each test checks one
point of issue 13 at both sizes and saves screenshots to test-artifacts/screenshots/ (git-ignored).
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
TIMEOUT_MS = 60_000
TOKEN = "browser-admin-token-51c2"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
NOT_ALLOWED_Q = "민원인 홍길동 010-2345-6789 민원을 챗GPT로 요약해도 되나요?"

# Every visible text: (font size, contrast against the first opaque background behind it).
TEXT_AUDIT_JS = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('[aria-hidden="true"], textarea[hidden], script, style, svg')) continue;
    const rect = el.getBoundingClientRect(); const style = getComputedStyle(el);
    if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden' || style.display === 'none' || +style.opacity === 0) continue;
    const fg = parse(style.color); const bg = background(el);
    const l1 = lum(fg), l2 = lum(bg); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    out.push({text: node.textContent.trim().slice(0, 40), size: parseFloat(style.fontSize), ratio: Math.round(ratio * 100) / 100});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    srv = start_server(corpus_settings, tmp_path_factory.mktemp("browser-data"), admin_token=TOKEN)
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


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def ui_page(request: pytest.FixtureRequest, chromium_browser: Any, server: SimpleNamespace) -> Iterator[Any]:
    width, height = SIZES[request.param]
    context = chromium_browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server.url)
    pg.wait_for_selector("#gb-question textarea")
    pg.wait_for_selector("#gb-conv .gb-conv")
    pg.size = request.param  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, errors


def shot(pg: Any, name: str, full: bool = False) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}-{pg.size}.png"), full_page=full)


def ask(pg: Any, question: str, enter: bool = False) -> Any:
    before = pg.locator("#gb-conv .gb-turn").count()
    pg.fill("#gb-question textarea", question)
    if enter:
        pg.press("#gb-question textarea", "Enter")
    else:
        pg.click("#gb-ask-btn")
    pg.wait_for_function(f"() => document.querySelectorAll('#gb-conv .gb-turn').length > {before}")
    pg.wait_for_timeout(400)  # the scroll to the new verdict runs right after the answer
    return pg.locator("#gb-conv .gb-turn").first


def tab(pg: Any, name: str) -> None:
    """Open a tab as a user would: from the tab bar, or, when a narrow screen has moved it into the
    bar's overflow menu (a long page's scrollbar can take the width it needed), from that menu."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    target = pg.get_by_role("tab", name=name)
    try:
        target.wait_for(state="visible", timeout=5000)
    except PlaywrightTimeoutError:
        bar = pg.locator("#gb-tabs").first  # the main tab bar (nested tab groups have menus of their own)
        bar.locator(".overflow-menu button").first.click()
        bar.locator(".overflow-dropdown button", has_text=name).first.click()
        return
    target.click()


def audit_text(pg: Any) -> None:
    """No visible text under 14 px; every visible text at least 4.5:1 against its background."""
    texts = pg.evaluate(TEXT_AUDIT_JS)
    assert texts
    small = [t for t in texts if t["size"] < 14]
    faint = [t for t in texts if t["ratio"] < 4.5]
    assert not small, small[:10]
    assert not faint, faint[:10]


def test_ask_verdict_first_alternatives_sources_and_way_back(ui_page: Any) -> None:
    pg = ui_page
    shot(pg, "01-ask-empty")
    turn = ask(pg, NOT_ALLOWED_Q)
    badge = turn.locator(".gb-badge")
    assert badge.get_attribute("data-verdict") == "not_allowed" and "허용되지 않음" in badge.inner_text()
    box = badge.bounding_box()
    viewport = pg.viewport_size
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], "the verdict is on screen after Ask"
    assert pg.locator("#gb-question textarea").input_value() == ""
    text = turn.inner_text()
    assert "010-2345-6789" not in text and "[전화번호]" in text
    assert "지켜야 할 조건" not in text and "허용될 수 있" not in text
    if turn.locator(".gb-alternatives").count():
        assert turn.locator(".gb-alternatives h3").inner_text() == "대신 할 수 있는 일"
    assert "(를)" not in pg.locator("body").inner_text()
    shot(pg, "02-ask-not-allowed")

    link = turn.locator(".gb-answer-text a.gb-cite").first
    link.focus()
    assert link.get_attribute("data-tip"), "a preview of the quote on hover and focus"
    assert "none" not in link.evaluate("el => getComputedStyle(el, '::after').content")
    target = link.get_attribute("href")
    link.click()
    source = pg.locator(target)
    source.wait_for()
    assert source.is_visible() and "gb-current" in (source.get_attribute("class") or "")
    assert source.locator("mark").count() == 1
    card = source.inner_text()
    assert "corpus/" not in card and "/tmp/" not in card and "#" not in card, "no server path or anchor in a card"
    shot(pg, "03-citation-opened")
    source.locator("a.gb-back").click()
    back = pg.locator(target.replace("-s", "-r"))
    assert back.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")


def test_history_keeps_evidence_feedback_and_export(ui_page: Any, server: SimpleNamespace) -> None:
    pg = ui_page
    ask(pg, NOT_ALLOWED_Q)
    ask(pg, "부산시 지침의 4대 가치는?", enter=True)
    turns = pg.locator("#gb-conv .gb-turn")
    assert turns.count() == 2
    assert turns.nth(0).locator(".gb-badge").get_attribute("data-verdict") == "info"
    older = turns.nth(1)
    assert older.locator(".gb-badge").get_attribute("data-verdict") == "not_allowed", "history keeps the earlier verdict"
    assert older.locator(".gb-source").count() >= 1, "and its evidence"
    assert pg.locator("#gb-answer, #gb-panel").count() == 0, "no second copy of the answer"

    with pg.expect_download() as download_info:
        older.locator("a[download]").click()
    markdown = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "[전화번호]" in markdown and "010-2345-6789" not in markdown
    assert "허용되지 않음" in markdown and "질문 일시" in markdown and "공식 원문" in markdown
    with pg.context.expect_page() as popup_info:
        older.locator("[data-gb-action=print]").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert "허용되지 않음" in popup.locator("body").inner_text() and popup.locator("button").count() == 1
    popup.close()

    older.locator("textarea[data-turn]").fill("제 번호 010-2345-6789 로 연락 주세요")
    older.locator("[data-gb-action=down]").click()
    pg.wait_for_selector("#gb-conv .gb-turn:nth-child(2) .gb-feedback.gb-result-ok")
    with sqlite3.connect(server.settings.data_dir / "feedback.sqlite") as conn:
        rows = conn.execute("SELECT rating, question, comment, verdict FROM feedback").fetchall()
    assert rows and rows[-1][0] == "down" and rows[-1][3] == "not_allowed"
    assert "010-2345-6789" not in json.dumps(rows, ensure_ascii=False)
    shot(pg, "04-ask-history", full=True)


def test_errors_keep_the_question_and_clear_after_success(ui_page: Any) -> None:
    pg = ui_page
    long_question = "생성형 AI 사용 " * 700
    pg.fill("#gb-question textarea", long_question)
    pg.click("#gb-ask-btn")
    error = pg.locator("#gb-error .gb-error")
    error.wait_for()
    assert "너무 깁니다" in error.inner_text()
    assert pg.locator("#gb-question textarea").input_value() == long_question
    ask(pg, "부산시 지침의 4대 가치는?")
    assert pg.locator("#gb-error .gb-error").count() == 0, "the stale error goes away after a success"


def test_keyboard_skip_link_autofocus_contrast_and_type_size(ui_page: Any) -> None:
    pg = ui_page
    assert pg.evaluate("document.activeElement.closest('#gb-question') !== null"), "autofocus on the question box"
    pg.mouse.click(1, 1)  # start keyboard navigation from the top of the page
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.classList.contains('gb-skip')")
    pg.keyboard.press("Enter")
    assert pg.evaluate("document.activeElement.closest('#gb-question') !== null")
    audit_text(pg)
    ask(pg, NOT_ALLOWED_Q)
    audit_text(pg)


def test_english_mode_everything_in_english(ui_page: Any) -> None:
    pg = ui_page
    pg.click("#gb-ui-lang label:has-text('English')")
    pg.get_by_role("tab", name="Library").wait_for()
    assert "Do not enter personal data" in pg.locator("#gb-standing").inner_text()
    turn = ask(pg, "May I use ChatGPT to draft a press release?")
    assert turn.locator(".gb-badge").get_attribute("data-verdict") in {"conditional", "allowed", "not_allowed", "info"}
    assert "cited clauses" in turn.inner_text()
    shot(pg, "05-ask-en")
    tab(pg, "Evals")
    pg.wait_for_selector("#gb-eval-view .gb-panel")
    assert "평가" not in pg.locator("#gb-eval-view").inner_text()
    pg.click("#gb-ui-lang label:has-text('한국어')")
    pg.get_by_role("tab", name="자료실").wait_for()


def test_training_quiz_is_fair_and_projector_is_large(ui_page: Any) -> None:
    from app.answer import VERDICT_LABELS
    from app.library import training_cases

    cases = {c.id: c for c in training_cases()[0]}
    pg = ui_page
    tab(pg, "교육")
    card = pg.locator("#gb-card .gb-card")
    card.wait_for()
    if not cases:
        pytest.skip("no training cases")
    for _ in range(6):
        case = cases[card.get_attribute("data-case")]
        text = card.inner_text().lower()
        for v in case.expected_verdicts:
            assert VERDICT_LABELS["ko"][v].lower() not in text and VERDICT_LABELS["en"][v].lower() not in text
        pg.click("#gb-next")
        pg.wait_for_function(f"() => document.querySelector('#gb-card .gb-card').dataset.case !== '{case.id}'")
    pg.locator("#gb-pick label").first.click()
    pg.click("#gb-check")
    pg.wait_for_selector("#gb-reveal-panel .gb-panel")
    explanation = pg.locator("#gb-reveal-panel").inner_text()
    assert "해설" in explanation and "지시 주입" not in explanation and "(를)" not in explanation
    shot(pg, "06-training-quiz")
    pg.click("#gb-projector input")
    pg.wait_for_function("() => document.body.classList.contains('gb-proj')")
    assert not pg.locator("#gb-tabs [role=tablist]").is_visible()
    sizes = pg.evaluate("""() => [...document.querySelectorAll('#gb-train-col *')].filter(e => e.offsetParent && e.textContent.trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes and min(sizes) >= 24
    shot(pg, "07-training-projector")
    pg.click("#gb-projector input")
    pg.locator("#gb-train-view").scroll_into_view_if_needed()
    shot(pg, "08-training-side-by-side")


def test_library_cards_labels_and_guarded_delete(ui_page: Any, server: SimpleNamespace, tmp_path: Path) -> None:
    from app import library

    note = tmp_path / f"browser-note-{ui_page.size}.md"
    note.write_text(UPLOAD_DOC.replace("ui-test-upload-note", note.stem).replace("issuer: guidebot UI tests", "issuer: 부산광역시")
                    .replace("basis: official-summary", "basis: official-text"), encoding="utf-8")
    library.ingest_uploads([note], server.settings, actor="setup")
    library.refresh_assistant(server.assistant, server.settings)
    pg = ui_page
    pg.reload()
    pg.wait_for_selector("#gb-question textarea")
    tab(pg, "자료실")
    uploaded = pg.locator(f".gb-doccard[data-doc='{note.stem}']")
    uploaded.wait_for()
    assert "기관 업로드 문서" in uploaded.inner_text() and "공식 원문 기반" not in uploaded.inner_text()
    cards = pg.locator("#gb-docs").inner_text()
    assert "/tmp/" not in cards and "corpus/" not in cards and "data/uploads" not in cards
    assert "law.go.kr" in cards, "documents link to their official source"
    shot(pg, "09-library", full=True)

    pg.click("#gb-admin button, #gb-admin .label-wrap")
    pg.click("#gb-delete-dd input")
    pg.get_by_role("option", name=note.name).click()
    pg.click("#gb-delete-btn")
    pg.wait_for_selector("#gb-confirm-text .gb-note")
    assert note.name in pg.locator("#gb-confirm-text").inner_text(), "delete asks first"
    pg.click("#gb-confirm-btn")  # no token typed
    pg.wait_for_selector("#gb-lib-result .gb-error")
    assert "관리자 토큰" in pg.locator("#gb-lib-result").inner_text()
    assert (server.settings.uploads_dir / note.name).is_file(), "refused without the token"
    audit_text(pg)
    shot(pg, "10-library-delete-refused")
    pg.fill("#gb-admin-token input", TOKEN)
    pg.click("#gb-confirm-btn")
    pg.wait_for_selector("#gb-lib-result .gb-result-ok")
    assert not (server.settings.uploads_dir / note.name).exists()


def test_evals_tab_reads_the_report_files(ui_page: Any, server: SimpleNamespace) -> None:
    from app.library import report_dir

    folder = report_dir(server.settings, "test")
    folder.mkdir(parents=True, exist_ok=True)
    systems = {"guidebot": {"verdict_accuracy": 0.93, "hit@5": 0.9, "latency_p50_ms": 35.0},
               "bm25": {"verdict_accuracy": 0.61, "hit@5": 0.7, "latency_p50_ms": 9.0}}
    (folder / "report.json").write_text(json.dumps({"dataset": "v2", "split": "test", "systems": systems, "passed": True,
                                                    "thresholds": {}, "confusion": {}}), encoding="utf-8")
    pg = ui_page
    tab(pg, "평가")
    pg.click("#gb-open-eval")
    pg.wait_for_selector("#gb-eval-view .gb-metrics")
    text = pg.locator("#gb-eval-view").inner_text()
    assert "판단 정확도" in text and "bm25" in text and "답변 품질 지표" in text
    assert pg.locator("#gb-eval-view .gb-chart").count() == 2
    audit_text(pg)
    shot(pg, "11-evals", full=True)
