"""``python -m evals``: the evaluation suite (what ``guidebot eval`` and the UI's admin run call).

Writes report.json, predictions.jsonl, report.md and report.html into ``--out``; exit code 1 when
a metric falls under its threshold.  Progress lines go to stderr as ``progress <done>/<total> <name>``
so a caller in another process can show them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=None, help="a dataset folder or JSONL file")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--out", type=Path, default=None, help="report folder")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)
    from evals.runner import run_eval

    def on_progress(done: int, total: int, name: str) -> None:
        print(f"progress {done}/{total} {name}", file=sys.stderr, flush=True)

    report = run_eval(dataset=args.dataset, split=args.split, backend=args.backend, out=args.out,
                      baselines=not args.no_baselines, on_progress=on_progress)
    print(report.summary_text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
