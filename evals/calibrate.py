"""Choose the answer configuration's thresholds on the dev split and write app/answer_config.json.

    python -m evals.calibrate [--check]

Coordinate search, reproducible: starting from the defaults of :class:`app.config.AnswerConfig`,
each threshold in :data:`GRID` is set in turn to the value that gives the best dev verdict
accuracy (ties keep the current value, then the earlier one in the grid's order), in one pass.  Only dev cases are
answered; the test split is never looked at here.  ``--check`` prints without writing.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from app.config import CONFIG_PATH, AnswerConfig
from evals.dataset import dataset_name, load_cases

GRID: dict[str, tuple[float, ...]] = {
    "feature_min": (0.5, 0.6, 0.7, 0.8),
    "harmful_min": (0.4, 0.5, 0.6),
    "ood_min": (0.4, 0.5, 0.6),
    "ood_coverage_max": (0.7, 0.8, 0.9, 1.01),
    "ood_ai_min": (0.8, 0.9, 1.01),
    "intent_min": (0.3, 0.4, 0.45),
    "mitigated_min": (0.5, 0.6, 0.7),
    "relevance_min": (0.35, 0.4, 0.45),
    "info_relevance_min": (0.2, 0.25, 0.3, 0.35),
    "omission_min": (0.4, 0.5, 0.6),
}
PASSES = 1
CAUTIOUS = {"harmful_min"}


def dev_accuracy(assistant: object, cases: list, config: AnswerConfig) -> float:
    assistant.config = config  # type: ignore[attr-defined]
    right = sum(assistant.ask(c.question).verdict in c.expected_verdicts for c in cases)  # type: ignore[attr-defined]
    return right / len(cases)


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
    cases = load_cases(split="dev")
    best = dev_accuracy(assistant, cases, config)
    print(f"defaults: dev verdict accuracy {best:.4f} over {len(cases)} cases")
    for number in range(PASSES):
        for name, values in GRID.items():
            scores = {v: dev_accuracy(assistant, cases, config.with_(**{name: v})) for v in values}
            # Ties keep the current value; for the harmful-purpose threshold they go to the more
            # cautious (lower) value, since a missed harmful purpose is the costlier error.
            if name in CAUTIOUS:
                choice = max(values, key=lambda v: (scores[v], -v))
            else:
                choice = max(values, key=lambda v: (scores[v], v == getattr(config, name)))
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
