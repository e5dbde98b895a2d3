"""The evaluation dataset: valid cases, enough of each kind, and gold clauses that exist."""

from __future__ import annotations

import re
from collections import Counter

from evals.dataset import CATEGORIES, load_cases
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
