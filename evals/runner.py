"""``guidebot eval``: run guidebot and the baselines over a dataset split and write the reports."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import metrics as M
from evals.dataset import (
    Case,
    dataset_name,
    expected_from_labels,
    load_cases,
    load_holdout_law,
    load_holdout_questions,
    load_paraphrases,
    load_train_questions,
)

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"
SYSTEMS = ("guidebot", "naive_rag", "bm25", "dense")


@dataclass
class Report:
    dataset: str
    split: str
    systems: dict[str, dict[str, float]]
    thresholds: dict[str, dict[str, float]]
    failures: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "split": self.split, "systems": self.systems, "thresholds": self.thresholds,
                "passed": self.passed, "failures": self.failures, "regressions": self.regressions,
                "confusion": self.confusion, "splits": self.splits, "answer_config": self.config,
                "created": datetime.now(UTC).isoformat(timespec="seconds")}

    def summary_text(self) -> str:
        from evals.report import headline_table

        lines = [f"dataset {self.dataset}, split {self.split}", headline_table(self.systems)]
        lines += [f"REGRESSION {r}" for r in self.regressions]
        lines += [f"BELOW THRESHOLD {f}" for f in self.failures]
        lines.append(f"passed: {self.passed}" + (f" (reports in {self.out})" if self.out else ""))
        return "\n".join(lines)


def load_thresholds() -> dict[str, dict[str, Any]]:
    if not THRESHOLDS.exists():
        return {}
    data = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def check_thresholds(metrics: dict[str, float], thresholds: dict[str, dict[str, float]]) -> list[str]:
    failures = []
    for name, bound in thresholds.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name}: missing")
        elif "min" in bound and value < bound["min"]:
            failures.append(f"{name} = {value:.4f} < {bound['min']}")
        elif "max" in bound and value > bound["max"]:
            failures.append(f"{name} = {value:.4f} > {bound['max']}")
    return failures


def _prediction(case: Case, data: dict[str, Any], latency_ms: float) -> dict[str, Any]:
    return {
        "id": case.id, "category": case.category, "lang": case.lang, "expected": case.expected_verdicts,
        "gold": case.gold_clauses, "verdict": data["verdict"], "answer": data["answer"],
        "retrieved": data.get("retrieved", []), "latency_ms": latency_ms, "language": data.get("language") or case.lang,
        "citations": [{k: c.get(k) for k in ("n", "clause", "quote", "chunk_text", "stance", "lang")} for c in data["citations"]],
        "output": json.dumps({k: v for k, v in data.items() if k != "timings_ms"}, ensure_ascii=False),
    }


def score(cases: list[Case], preds: list[dict[str, Any]], corpus_texts: list[str], embedder: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    out.update(M.retrieval_metrics(cases, preds))
    out.update(M.id_precision(cases, preds))
    out.update(M.verdict_metrics(cases, preds))
    out.update(M.citation_metrics(cases, preds, corpus_texts))
    out.update(M.verdict_group_metrics(cases, preds))
    out.update(M.quote_alignment(preds, corpus_texts))
    out.update(M.abstention_metrics(cases, preds))
    out.update(M.mention_metrics(cases, preds))
    out.update(M.pii_leaks(cases, preds))
    out.update(M.latency_metrics(preds))
    return out


def run_eval(
    dataset: Path | None = None,
    split: str = "test",
    backend: str | None = None,
    out: Path | None = None,
    baselines: bool = True,
    progress: bool = False,
    settings: Any = None,
    on_progress: Any = None,
) -> Report:
    """Answer every case with guidebot (and the baselines), score them, write the reports."""
    from app.assistant import Assistant
    from evals.baselines import NaiveRag
    from ingest.pipeline import ingest
    from ingest.settings import get_settings

    settings = settings or get_settings()
    settings = settings.model_copy(update={"audit_log": False})
    cases = load_cases(dataset, split)
    ingest(settings=settings)  # incremental: a no-op when the index is current
    assistant = Assistant(settings, backend=backend)
    systems = {"guidebot": lambda q: assistant.ask(q).to_dict()}
    if baselines:
        naive = NaiveRag(settings, assistant.embedder)
        systems["naive_rag"] = naive.ask
        systems["bm25"] = lambda q: assistant.ask(q, retrieval="bm25").to_dict()
        systems["dense"] = lambda q: assistant.ask(q, retrieval="dense").to_dict()
    corpus_texts = [c.text for c in assistant.index.chunks]
    corpus_texts += [p.read_text(encoding="utf-8") for p in Path(settings.corpus_dir).glob("*/*.md")]

    predictions: dict[str, list[dict[str, Any]]] = {}
    total = len(cases) * len(systems)
    done = 0
    for name, system in systems.items():
        for case in cases[:3]:  # warm caches and lazy loads before anything is timed
            system(case.question)
        preds = []
        for case in cases:
            started = time.perf_counter()
            data = system(case.question)
            preds.append(_prediction(case, data, (time.perf_counter() - started) * 1000))
            done += 1
            if on_progress is not None:
                on_progress(done, total, name)
            if progress and sys.stderr.isatty():
                sys.stderr.write(f"\r{name:<10} {done}/{total}")
        predictions[name] = preds
    if progress and sys.stderr.isatty():
        sys.stderr.write("\n")

    results = {name: score(cases, preds, corpus_texts, assistant.embedder) for name, preds in predictions.items()}
    ask = systems["guidebot"]
    splits = _splits(dataset, split, cases, predictions["guidebot"], ask)
    mine = splits.get(split, {})  # the run's own split has its paraphrases answered there already
    para = ({k: float(mine[k]) for k in ("paraphrase_consistency", "paraphrases", "paraphrase_verdict_accuracy") if k in mine}
            if split in ("dev", "test") else _paraphrases(dataset, cases, predictions["guidebot"], ask))
    results["guidebot"].update(para)
    thresholds = load_thresholds()
    report = Report(dataset_name(dataset), split, results, thresholds,
                    failures=check_thresholds(results["guidebot"], thresholds.get("guidebot", {})),
                    confusion=M.confusion(cases, predictions["guidebot"]), splits=splits,
                    config=assistant.config.to_dict())
    out = out or settings.data_dir / "evals" / f"last-{split}"
    report.out = out
    previous = _load_previous(out)
    report.regressions = _regressions(previous, predictions["guidebot"])
    _write(out, report, predictions, cases)
    return report


def _paraphrases(dataset: Path | None, cases: list[Case], preds: list[dict[str, Any]], ask: Any) -> dict[str, float]:
    """Verdict consistency of the paraphrases of the cases in this run (written apart from the cases)."""
    paraphrases = [p for p in load_paraphrases(dataset) if p["case_id"] in {c.id for c in cases}]
    if not paraphrases:
        return {}
    originals = {c.id: p["verdict"] for c, p in zip(cases, preds, strict=True)}
    expected = {c.id: c.expected_verdicts for c in cases}
    answered = [(p["case_id"], ask(p["question"])["verdict"]) for p in paraphrases]
    out = M.paraphrase_consistency(originals, answered)
    out["paraphrase_verdict_accuracy"] = sum(v in expected[cid] for cid, v in answered) / len(answered)
    return out


def _splits(dataset: Path | None, split: str, cases: list[Case], preds: list[dict[str, Any]], ask: Any) -> dict[str, Any]:
    """Verdict accuracy on train, dev and test side by side: the generalisation gap.

    Train questions carry understanding labels, not verdicts: their expected verdicts come from
    :func:`evals.dataset.expected_from_labels`, a mapping written here, apart from guidebot's rules.
    ``holdout_writers`` are labelled the same way by writers never trained on nor calibrated on;
    ``holdout_law`` adds, for their questions about the Act, whether the answer cites an article
    that answers it and whether it refuses what the Act does not cover.
    """
    out: dict[str, Any] = {}
    for name in ("train", "holdout_writers", "dev", "test"):
        writers: list[str] = []
        if name in ("train", "holdout_writers"):
            rows = load_train_questions(dataset) if name == "train" else load_holdout_questions(dataset)
            if not rows:
                continue
            right = [ask(r["question"])["verdict"] in expected_from_labels(r) for r in rows]
            writers = [str(r.get("author", "")) for r in rows]
        else:  # dev or test: the run's own split is answered already
            these = cases if name == split else load_cases(dataset, name)
            answers = preds if name == split else [ask(c.question) for c in these]
            right = [a["verdict"] in c.expected_verdicts for c, a in zip(these, answers, strict=True)]
        out[name] = {"verdict_accuracy": round(sum(right) / len(right), 4) if right else 0.0, "cases": len(right)}
        if name in ("dev", "test"):  # the same questions reworded, written apart from them
            para = _paraphrases(dataset, these, answers, ask)
            out[name].update({k: round(v, 4) for k, v in para.items() if k != "paraphrases"})
            if para:
                out[name]["paraphrases"] = int(para["paraphrases"])
        if name == "holdout_writers":  # each unseen writer on its own: their styles differ
            by: dict[str, list[bool]] = {}
            for writer, ok in zip(writers, right, strict=True):
                by.setdefault(writer, []).append(ok)
            out[name]["by_writer"] = {w: round(sum(v) / len(v), 4) for w, v in sorted(by.items())}
    law = load_holdout_law(dataset)
    if law:  # the Act's own articles for questions by writers never trained on nor calibrated on
        answers = [ask(str(r["question"])) for r in law]
        right = [a["verdict"] in expected_from_labels(r) for r, a in zip(law, answers, strict=True)]
        out["holdout_law"] = {"verdict_accuracy": round(sum(right) / len(right), 4), "cases": len(right),
                              **M.law_question_metrics(law, answers)}
    if "dev" in out and "test" in out:
        out["gap"] = {"dev_minus_test": round(out["dev"]["verdict_accuracy"] - out["test"]["verdict_accuracy"], 4)}
    return out


def _load_previous(out: Path) -> dict[str, dict[str, Any]]:
    file = out / "predictions.jsonl"
    if not file.exists():
        return {}
    prev = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("system") == "guidebot":
            prev[row["id"]] = row
    return prev


def _regressions(previous: dict[str, dict[str, Any]], preds: list[dict[str, Any]]) -> list[str]:
    """Cases that were right in the previous report and are wrong now."""
    out = []
    for pred in preds:
        before = previous.get(pred["id"])
        if not before:
            continue
        was, now = before["verdict"] in before["expected"], pred["verdict"] in pred["expected"]
        if was and not now:
            out.append(f"{pred['id']}: verdict {before['verdict']} -> {pred['verdict']} (expected {pred['expected']})")
        gold = set(pred["gold"])
        if gold and gold & set(before["retrieved"][:5]) and not gold & set(pred["retrieved"][:5]):
            out.append(f"{pred['id']}: gold clause fell out of the top 5")
    return out


def _write(out: Path, report: Report, predictions: dict[str, list[dict[str, Any]]], cases: list[Case]) -> None:
    from evals.report import write_html, write_markdown

    if out.exists() and (out / "report.json").exists():
        shutil.rmtree(out.with_name(out.name + "-previous"), ignore_errors=True)
        shutil.copytree(out, out.with_name(out.name + "-previous"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    with (out / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for name, preds in predictions.items():
            for pred in preds:
                row = {k: v for k, v in pred.items() if k != "output"}
                for citation in row["citations"]:
                    citation.pop("chunk_text", None)
                handle.write(json.dumps({"system": name, **row}, ensure_ascii=False) + "\n")
    write_markdown(out / "report.md", report, predictions)
    write_html(out / "report.html", report, predictions)
