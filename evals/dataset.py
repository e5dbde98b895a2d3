"""Evaluation cases: versioned, immutable JSONL files under ``evals/datasets/<version>/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

DATASETS = Path(__file__).resolve().parent / "datasets"
CATEGORIES = ("info", "allowed", "conditional", "not_allowed", "not_covered", "pii", "injection", "cross_lingual", "law", "harmful")
VERDICTS = ("allowed", "conditional", "not_allowed", "not_covered", "info")


class Case(BaseModel):
    """One question with what a correct answer must do."""

    id: str
    lang: Literal["ko", "en"]
    question: str
    category: Literal["info", "allowed", "conditional", "not_allowed", "not_covered", "pii", "injection", "cross_lingual", "law", "harmful"]
    expected_verdicts: list[str] = Field(min_length=1)
    gold_clauses: list[str] = Field(default_factory=list)
    must_mention: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    pii_values: list[str] = Field(default_factory=list)
    split: Literal["dev", "test"]
    notes: str = ""
    kind: str = ""  # law questions: definition, article_lookup, colloquial, obligation, ...

    @field_validator("expected_verdicts")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(VERDICTS)
        if unknown:
            raise ValueError(f"unknown verdicts {sorted(unknown)}")
        return value


def latest_version() -> Path:
    versions = sorted(p for p in DATASETS.iterdir() if p.is_dir() and p.name.startswith("v"))
    if not versions:
        raise FileNotFoundError(f"no dataset versions in {DATASETS}")
    return max(versions, key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else 0)


def load_cases(path: Path | None = None, split: str = "all") -> list[Case]:
    """Cases from a dataset folder (its cases.jsonl) or a JSONL file, filtered by split."""
    path = path or latest_version()
    file = path / "cases.jsonl" if path.is_dir() else path
    cases = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                cases.append(Case.model_validate(json.loads(line)))
            except Exception as exc:
                raise ValueError(f"{file}:{number}: {exc}") from exc
    if split != "all":
        cases = [c for c in cases if c.split == split]
    return cases


def dataset_name(path: Path | None) -> str:
    path = path or latest_version()
    return path.name if path.is_dir() else f"{path.parent.name}/{path.name}"


def load_paraphrases(path: Path | None = None) -> list[dict[str, str]]:
    """Paraphrases of dev and test cases (``paraphrases*.jsonl`` beside the cases): case_id, question, style."""
    folder = path or latest_version()
    folder = folder if folder.is_dir() else folder.parent
    rows = []
    for file in sorted(folder.glob("paraphrases*.jsonl")):
        rows += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def load_train_questions(path: Path | None = None) -> list[dict[str, object]]:
    """The labelled training questions (``train/<writer>.jsonl``): what the understanding heads learn from."""
    return load_labelled(path, "train")


def load_holdout_questions(path: Path | None = None) -> list[dict[str, object]]:
    """Labelled questions by writers whose questions are never trained on nor calibrated on
    (``holdout/<writer>.jsonl``): how questions from people outside the training look."""
    return load_labelled(path, "holdout")


def load_holdout_law(path: Path | None = None) -> list[dict[str, object]]:
    """Questions about the Act and its Decree by writers never trained on nor calibrated on
    (``holdout_law/<writer>.jsonl``), each with the articles that answer it (``act:art-34``,
    ``decree:art-27``; none for a question the Act does not answer)."""
    return load_labelled(path, "holdout_law")


def gold_articles(row: dict[str, object]) -> list[str]:
    """A law question's gold articles as clause keys (``act:art-34`` -> ``kr-ai-basic-act#art-34``)."""
    from app.evidence import BUNDLED_LAW

    out = []
    for ref in row.get("gold_articles") or []:  # type: ignore[attr-defined]
        doc, _, anchor = str(ref).partition(":")
        out.append(f"{BUNDLED_LAW[doc]}#{anchor}")
    return out


def load_labelled(path: Path | None, part: str) -> list[dict[str, object]]:
    folder = path or latest_version()
    folder = folder if folder.is_dir() else folder.parent
    rows = []
    for file in sorted((folder / part).glob("*.jsonl")):
        rows += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def expected_from_labels(row: dict[str, object]) -> list[str]:
    """The verdicts a careful colleague could defend for a labelled training question, from its labels
    alone: out of domain -> not covered; a question for information -> info; a harmful purpose ->
    not allowed; a use of personal, sensitive or non-public data not removed first -> not allowed;
    a proposal to skip a duty that comes with the use (labelling, review, notice) -> not allowed;
    any other use -> allowed, with conditions, or (for a "must we") info."""
    features = set(row.get("features") or [])  # type: ignore[call-overload]
    intent = row.get("intent")
    if intent == "out_of_domain":
        return ["not_covered"]
    if intent == "information":
        return ["info"]
    if "harmful" in features:
        return ["not_allowed"]
    if features & {"personal_data", "sensitive", "non_public"} and not row.get("mitigated"):
        return ["not_allowed"]
    if row.get("omission"):
        return ["not_allowed"]  # no guideline lets a duty that comes with the use be skipped
    return ["allowed", "conditional", "info"] if intent == "obligation" else ["allowed", "conditional"]
