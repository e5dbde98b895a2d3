"""The answer configuration: every tuned constant of understanding, retrieval and the verdict rules,
in one frozen object.

``evals/calibrate.py`` chooses the values on the dev split and writes ``app/answer_config.json``;
the shipped file is the one it wrote.  Anything not in the file keeps the default below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).resolve().parent / "answer_config.json"


@dataclass(frozen=True)
class AnswerConfig:
    # retrieval
    rrf_k: int = 5
    dense_candidates: int = 60
    bm25_candidates: int = 60
    heading_min: float = 0.6
    heading_candidates: int = 20
    # the domain gate
    ood_min: float = 0.5  # intent probability of out_of_domain at or above which a question is not covered ...
    ood_coverage_max: float = 0.8  # ... unless the documents hold this share of its (idf-weighted) words
    ood_ai_min: float = 0.9  # a question that names an AI tool is refused only from this probability
    relevance_min: float = 0.40  # best dense cosine ... (information questions only)
    coverage_min: float = 0.50  # ... and idf-weighted token coverage both below these: not covered
    # A question the intent head reads as in-domain information is refused only on far weaker
    # evidence: the classifier already says the documents' subject is asked about.
    info_relevance_min: float = 0.25
    info_coverage_min: float = 0.35
    # understanding
    intent_min: float = 0.45  # below this the intent is uncertain: the standing-rules reading answers
    feature_min: float = 0.5
    # A risk the model reads only between feature_min and this (no data word named, no personal data
    # found) is uncertain: the answer allows on the condition that the prohibition is kept instead of
    # refusing.  At feature_min the band is empty.
    risk_sure_min: float = 0.6
    lexicon_support_min: float = 0.15  # a risk the clause lexicon names counts from this probability
    harmful_min: float = 0.5
    mitigated_min: float = 0.6
    injection_min: float = 0.6
    omission_min: float = 0.5  # the question proposes skipping a duty (label, review, notice, assessment)
    statute_min: float = 0.5  # the Act or Decree answers the question: their own sections lead retrieval
    # An article that answered this share of the vote of the nearest training questions about the
    # law is cited with the law's sections (writer-grouped: 0.885 of such suggestions name a gold article).
    article_share_min: float = 0.5
    # the verdict rules
    top_deciding: int = 4  # how many of the best hits may decide a verdict directly
    policy_pool: int = 12  # the most similar policy clauses among which feature overlap decides
    info_relative: float = 0.6  # an information answer quotes clauses within this share of the best score
    law_first: int = 2  # how many of the law's own sections lead a law question's citations
    term_idf_min: float = 2.0  # a defined term points to the Act when one of its words is this rare

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> AnswerConfig:
        return replace(self, **changes)


def load_config(path: Path = CONFIG_PATH) -> AnswerConfig:
    """The configuration in ``path`` (unknown keys are an error: a typo must not pass silently)."""
    if not path.exists():
        return AnswerConfig()
    data = json.loads(path.read_text(encoding="utf-8"))
    values = {k: v for k, v in data.items() if not k.startswith("_")}
    known = {f.name for f in fields(AnswerConfig)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{path.name}: unknown settings {sorted(unknown)}")
    return AnswerConfig(**values)


@lru_cache(maxsize=1)
def get_config() -> AnswerConfig:
    return load_config()
