"""The CI gate: the eval suite on the test split, guidebot against the baselines, thresholds held."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.runner import SYSTEMS, run_eval


@pytest.mark.slow
def test_test_split_meets_thresholds(corpus_settings, tmp_path: Path) -> None:
    report = run_eval(split="test", settings=corpus_settings, out=tmp_path / "report")
    print(report.summary_text())
    data = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert set(data["systems"]) == set(SYSTEMS)
    for key in ("verdict_accuracy", "hit@5", "citation_precision", "citation_recall", "faithfulness", "abstention_f1",
                "must_not_violations", "pii_leaks"):
        assert key in data["systems"]["guidebot"]
    for key in ("paraphrase_consistency", "harmful_not_allowed", "out_of_domain_refused", "law_article_hit@5",
                "allowing_sentence_in_no"):
        assert key in data["systems"]["guidebot"], key
    assert {"train", "dev", "test"} <= set(data["splits"])
    assert all("verdict_accuracy" in data["splits"][s] for s in ("train", "dev", "test"))
    # Dev and test each have their own paraphrases, reported side by side.
    for name in ("dev", "test"):
        split = data["splits"][name]
        assert split["paraphrases"] >= 3 * split["cases"] - 5 and 0.0 < split["paraphrase_consistency"] <= 1.0, split
    assert data["systems"]["guidebot"]["paraphrase_consistency"] == data["splits"]["test"]["paraphrase_consistency"]
    by_writer = data["splits"]["holdout_writers"]["by_writer"]  # each unseen writer on its own
    assert len(by_writer) >= 2 and all(0.0 <= a <= 1.0 for a in by_writer.values())
    law = data["splits"]["holdout_law"]  # questions about the Act by writers never trained on
    assert law["cases"] >= 100 and law["law_article_hit@5"] >= 0.65 and law["out_of_domain_refused"] >= 0.5, law
    assert data["answer_config"]["rrf_k"] >= 1
    # No "not allowed" answer of any test case says the use may be allowed.
    assert data["systems"]["guidebot"]["allowing_sentence_in_no"] == 0
    for name in ("report.md", "report.html", "predictions.jsonl"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert data["passed"], data["failures"]
    assert data["systems"]["guidebot"]["hit@5"] > data["systems"]["naive_rag"]["hit@5"]
