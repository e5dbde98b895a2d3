"""Evaluation cases: versioned, immutable JSONL files under ``evals/datasets/<version>/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

DATASETS = Path(__file__).resolve().parent / "datasets"
CATEGORIES = ("info", "allowed", "conditional", "not_allowed", "not_covered", "pii", "injection", "cross_lingual")
VERDICTS = ("allowed", "conditional", "not_allowed", "not_covered", "info")


class Case(BaseModel):
    """One question with what a correct answer must do."""

    id: str
    lang: Literal["ko", "en"]
    question: str
    category: Literal["info", "allowed", "conditional", "not_allowed", "not_covered", "pii", "injection", "cross_lingual"]
    expected_verdicts: list[str] = Field(min_length=1)
    gold_clauses: list[str] = Field(default_factory=list)
    must_mention: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    pii_values: list[str] = Field(default_factory=list)
    split: Literal["dev", "test"]
    notes: str = ""

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
