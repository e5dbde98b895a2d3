"""The evaluation dataset: valid cases, enough of each kind, and gold clauses that exist."""

from __future__ import annotations

import re
from collections import Counter

from evals.dataset import CATEGORIES, load_cases, load_paraphrases
from ingest.settings import REPO_ROOT
from tests.test_corpus import DOC_IDS, anchors

CASES = load_cases()


def test_size_language_and_categories() -> None:
    assert len(CASES) >= 200
    assert sum(c.lang == "ko" for c in CASES) / len(CASES) >= 0.4
    counts = Counter(c.category for c in CASES)
    for category in CATEGORIES:
        assert counts[category] >= 15, (category, counts[category])
    assert {c.split for c in CASES} == {"dev", "test"}
    assert len({c.id for c in CASES}) == len(CASES), "unique ids"


def test_every_document_covered() -> None:
    covered = {g.split("#")[0] for c in CASES for g in c.gold_clauses}
    assert covered >= set(DOC_IDS), set(DOC_IDS) - covered


def test_gold_clauses_exist_in_the_corpus() -> None:
    known = {f"{p.stem}#{a}" for p in (REPO_ROOT / "corpus").glob("*/*.md") for a in anchors(p)}
    missing = sorted({g for c in CASES for g in c.gold_clauses} - known)
    assert not missing, missing


def test_must_not_patterns_compile() -> None:
    for case in CASES:
        for pattern in case.must_not:
            re.compile(pattern)


def test_paraphrases_cover_dev_and_test_apart() -> None:
    """Each dev and test case has (about) three paraphrases, each a new wording of its own split's case."""
    paraphrases = load_paraphrases()
    by_id = {c.id: c for c in CASES}
    assert {p["case_id"] for p in paraphrases} <= set(by_id), "every paraphrase belongs to a case"
    assert len({p["id"] for p in paraphrases}) == len(paraphrases), "unique ids"
    assert all(p["question"].strip() and p["question"] != by_id[p["case_id"]].question for p in paraphrases)
    per_case = Counter(p["case_id"] for p in paraphrases)
    for split in ("dev", "test"):
        ids = [c.id for c in CASES if c.split == split]
        assert sum(per_case[i] for i in ids) >= 3 * len(ids) - 5, split
        assert sum(per_case[i] >= 2 for i in ids) == len(ids), split


def test_dev_and_test_ask_whether_the_risky_data_is_gone() -> None:
    """Both splits hold questions where the data was really removed and questions where a
    mitigation word appears but the data stays, so calibration and the gate both see the reading."""
    for split in ("dev", "test"):
        verdicts = Counter(c.expected_verdicts[0] for c in CASES if c.split == split and c.kind == "mitigation")
        assert verdicts["not_allowed"] >= 10 and verdicts["conditional"] >= 10, (split, verdicts)
