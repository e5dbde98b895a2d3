"""The personal-data battery (tests/data/pii_cases.jsonl): >= 300 texts with personal data written
in many styles (polite and 반말, typos, no spaces, English, long pastes, numbers split by hyphens,
dots, spaces, full-width digits, U+2010, zero-width and bidi characters) and >= 100 ordinary
officials' questions with none.  No raw value may survive masking, anywhere it could land: the
mask itself, the answer JSON, the audit log, the feedback database and the log records.

The file was generated once from a seeded script (names, numbers with valid check digits, road and
lot addresses) and then extended by hand; each case lists the raw values that must disappear.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from app.pii import mask, normalise

CASES_FILE = Path(__file__).parent / "data" / "pii_cases.jsonl"
CASES: list[dict[str, Any]] = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line]
PII = [c for c in CASES if c["values"]]
CLEAN = [c for c in CASES if not c["values"]]
MAX_OVER_MASKING = 0.01


def survivors(values: list[str], text: str) -> list[str]:
    """The values still readable in ``text``: as written, normalised, or as their digits with the
    separators taken out (a phone split by zero-width spaces is still the phone)."""
    norm = normalise(text)[0]
    squeezed = re.sub(r"[\s\-.]", "", norm)
    left = []
    for value in values:
        nv = normalise(value)[0]
        digits = re.sub(r"\D", "", nv)
        if value in text or nv in norm or (len(digits) >= 7 and digits in squeezed):
            left.append(value)
    return left


def test_battery_size_and_shape() -> None:
    assert len(PII) >= 300
    assert len(CLEAN) >= 100
    styles = {c["style"].split("/")[0] for c in PII}
    assert {"phone", "rrn", "email", "card", "account", "passport", "driver_licence", "car_plate", "address", "name",
            "long-paste", "mixed"} <= styles
    for case in PII:
        assert all(v in case["text"] for v in case["values"]), case["id"]
        assert case["lang"] in ("ko", "en")


def test_no_raw_value_survives_masking() -> None:
    leaks = [(c["id"], survivors(c["values"], mask(c["text"], c["lang"]).text)) for c in PII]
    leaks = [leak for leak in leaks if leak[1]]
    assert leaks == [], f"{len(leaks)} of {len(PII)} cases leak"


def test_kinds_are_reported() -> None:
    wrong = []
    for case in PII:
        kinds = set(mask(case["text"], case["lang"]).kinds)
        if not set(case["kinds"]) <= kinds:
            wrong.append((case["id"], case["kinds"], sorted(kinds)))
    assert wrong == []


def test_over_masking_of_clean_sentences() -> None:
    changed = [c["text"] for c in CLEAN if mask(c["text"], c["lang"]).text != c["text"]]
    assert len(changed) / len(CLEAN) <= MAX_OVER_MASKING, changed


def test_masking_is_idempotent() -> None:
    for case in PII:
        once = mask(case["text"], case["lang"]).text
        assert mask(once, case["lang"]).text == once, case["id"]


# -- through the real Assistant: answer, audit log, feedback DB, log records ---------------------

def _sample(n: int = 72) -> list[dict[str, Any]]:
    step = max(1, len(PII) // n)
    return PII[::step][:n]


@pytest.mark.slow
def test_battery_through_the_assistant(assistant: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    from app.audit import AuditLog
    from app.feedback import FeedbackStore, feedback_path

    sample = _sample()
    assert len(sample) >= 60
    settings = assistant.settings.model_copy(update={"data_dir": tmp_path / "data", "audit_log": True})
    monkeypatch.setattr(assistant, "audit", AuditLog(settings))  # the shared Assistant, auditing into tmp
    feedback = FeedbackStore(feedback_path(settings))
    caplog.set_level(logging.DEBUG)

    leaks: list[tuple[str, str, list[str]]] = []
    for case in sample:
        answer = assistant.ask(case["text"], case["lang"])
        data = json.dumps(answer.to_dict(), ensure_ascii=False)
        if left := survivors(case["values"], data):
            leaks.append(("answer", case["id"], left))
        assert answer.pii_masked, case["id"]
        # The official rates the answer and pastes the whole question into the comment.
        feedback.record("down", answer.question, verdict=answer.verdict, language=answer.language,
                        clauses=[c.clause for c in answer.citations], comment=f"틀렸어요 {case['text']}", ui_lang=case["lang"])

    audit_files = sorted((tmp_path / "data" / "audit").glob("*.jsonl"))
    assert audit_files
    stored = {
        "audit": "".join(f.read_text(encoding="utf-8") for f in audit_files),
        "feedback": json.dumps(feedback.recent(1000), ensure_ascii=False),
        "feedback-file": (tmp_path / "data" / "feedback.sqlite").read_bytes().decode("utf-8", "replace"),
        "logs": "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records),
    }
    assert stored["audit"].count("\n") == len(sample)
    for where, text in stored.items():
        for case in sample:
            if left := survivors(case["values"], text):
                leaks.append((where, case["id"], left))
    assert leaks == []


# -- files: 0600 in a 0700 directory -------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_audit_and_feedback_files_are_private(tmp_path: Path) -> None:
    from app.answer import Answer
    from app.audit import AuditLog
    from app.feedback import FeedbackStore, feedback_path
    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", audit_max_bytes=10_000)
    log = AuditLog(settings)
    for i in range(60):  # enough to rotate at least once
        log.record(Answer(question=f"민원인 홍길동 010-1234-{i:04d} 건을 요약해도 되나요? " + "가" * 200, language="ko",
                          verdict="not_allowed", answer="", pii_masked=["phone"]))
    files = sorted(log.dir.glob("*.jsonl"))
    assert len(files) >= 2
    assert _mode(log.dir) == 0o700
    assert all(_mode(f) == 0o600 for f in files), {f.name: oct(_mode(f)) for f in files}
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    assert "홍길동" not in text and "010-1234-" not in text  # masked again on the way in

    store = FeedbackStore(feedback_path(settings))
    store.record("up", "이영희 씨 전화번호 010-2222-3333 입니다", comment="M12345678", ui_lang="ko")
    assert _mode(settings.data_dir) == 0o700
    db_files = [p for p in settings.data_dir.iterdir() if p.name.startswith("feedback.sqlite")]
    assert db_files and all(_mode(p) == 0o600 for p in db_files)
    with sqlite3.connect(feedback_path(settings)) as conn:
        row = conn.execute("SELECT question, comment FROM feedback").fetchone()
    assert "이영희" not in row[0] and "010-2222-3333" not in row[0] and "M12345678" not in row[1]


def test_existing_world_readable_files_are_tightened(tmp_path: Path) -> None:
    from app.feedback import FeedbackStore

    folder = tmp_path / "loose"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    db = folder / "feedback.sqlite"
    db.touch()
    db.chmod(0o644)
    FeedbackStore(db)
    assert _mode(folder) == 0o700 and _mode(db) == 0o600
