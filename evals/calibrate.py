"""Sweep the answerer's thresholds on the dev split and print what each value gives.

    python -m evals.calibrate

Thresholds are chosen here, on dev cases only, and written into app/verdict.py and
app/retrieval.py by hand; the test split is never looked at while tuning.
"""

from __future__ import annotations

import numpy as np

from app import retrieval, verdict
from app.assistant import Assistant
from evals.dataset import load_cases
from ingest.settings import get_settings


def main() -> None:
    settings = get_settings().model_copy(update={"audit_log": False})
    assistant = Assistant(settings)
    cases = load_cases(split="dev")

    def accuracy() -> tuple[float, float, float]:
        preds = [assistant.ask(c.question) for c in cases]
        acc = np.mean([p.verdict in c.expected_verdicts for p, c in zip(preds, cases, strict=True)])
        hit5 = np.mean([bool(set(c.gold_clauses) & set(p.retrieved[:5])) for p, c in zip(preds, cases, strict=True) if c.gold_clauses])
        covered = [c for c in cases if c.expected_verdicts == ["not_covered"]]
        abst = np.mean([assistant.ask(c.question).verdict == "not_covered" for c in covered]) if covered else 0.0
        return float(acc), float(hit5), float(abst)

    from app.pii import mask
    from app.question import understand

    print("top dense similarity, in scope vs not covered (dev):")
    for case in cases:
        u = understand(mask(case.question, case.lang).text, case.lang)
        hits = assistant.index.search(u.query, u.lang, 8)
        top = max((h.dense for h in hits), default=0.0)
        print(f"  {'OUT' if case.expected_verdicts == ['not_covered'] else 'in '} {top:.3f} {case.id}")
    print(f"dev cases: {len(cases)}")
    for k in (10, 20, 40, 60):
        retrieval.RRF_K = k
        print(f"RRF_K={k}: accuracy/hit@5/abstention-recall = {accuracy()}")
    retrieval.RRF_K = 20
    for value in np.arange(0.20, 0.46, 0.025):
        verdict.RELEVANCE_MIN = float(value)
        print(f"RELEVANCE_MIN={value:.3f}: {accuracy()}")


if __name__ == "__main__":
    main()
