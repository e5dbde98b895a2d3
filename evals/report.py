"""report.md and report.html (with charts) for an eval run."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.runner import Report

HEADLINE = [
    "verdict_accuracy", "hit@1", "hit@5", "mrr", "recall@5", "id_precision", "citation_precision", "citation_recall",
    "faithfulness", "quote_alignment", "abstention_f1", "must_mention_recall", "must_not_violations", "pii_leaks",
    "latency_p50_ms", "latency_p95_ms",
]


def headline_table(systems: dict[str, dict[str, float]]) -> str:
    names = list(systems)
    rows = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in HEADLINE:
        values = [systems[n].get(metric) for n in names]
        rows.append(f"| {metric} | " + " | ".join("" if v is None else f"{v:.3f}" if v < 100 else f"{v:.0f}" for v in values) + " |")
    return "\n".join(rows)


def write_markdown(path: Path, report: Report, predictions: dict[str, list[dict[str, Any]]]) -> None:
    lines = [f"# guidebot eval: {report.dataset}, split {report.split}", "", f"passed: **{report.passed}**", "",
             headline_table(report.systems), ""]
    if report.failures:
        lines += ["## Below threshold", *[f"- {f}" for f in report.failures], ""]
    if report.regressions:
        lines += ["## Regressions against the previous report", *[f"- {r}" for r in report.regressions], ""]
    if report.splits:
        lines += ["## Verdict accuracy by split (guidebot)",
                  "| split | verdict accuracy | questions | paraphrase consistency | paraphrases |", "|---|---|---|---|---|"]
        lines += [f"| {name} | {v['verdict_accuracy']:.3f} | {int(v['cases'])} | "
                  + (f"{v['paraphrase_consistency']:.3f} | {int(v['paraphrases'])} |" if "paraphrases" in v else " | |")
                  for name, v in report.splits.items() if "cases" in v]
        by_writer = report.splits.get("holdout_writers", {}).get("by_writer", {})
        if by_writer:
            lines += ["", "held-out writers one by one: " + ", ".join(f"{w} {a:.3f}" for w, a in by_writer.items())]
        law = report.splits.get("holdout_law", {})
        if law:
            lines += ["", f"held-out law questions: the Act's or Decree's own article among the first five citations "
                      f"{law['law_article_hit@5']:.3f}; out of the Act's scope refused {law['out_of_domain_refused']:.3f}"]
        lines += ["", "train: what the understanding heads learn from; holdout_writers: labelled questions by writers "
                  "never trained on nor calibrated on; holdout_law: questions about the Act by two more such writers; "
                  "dev: what the answer configuration is calibrated on.", ""]
    categories = sorted({k.split("/", 1)[1] for k in report.systems["guidebot"] if k.startswith("verdict_accuracy/")})
    lines += ["## Verdict accuracy by category", "| category | " + " | ".join(report.systems) + " |",
              "|---|" + "---|" * len(report.systems)]
    for category in categories:
        lines.append(f"| {category} | " + " | ".join(f"{m.get('verdict_accuracy/' + category, 0):.3f}" for m in report.systems.values()) + " |")
    lines += ["", "## Confusion (guidebot; rows expected, columns predicted)"]
    verdicts = list(report.confusion)
    lines += ["| | " + " | ".join(verdicts) + " |", "|---|" + "---|" * len(verdicts)]
    for row in verdicts:
        lines.append(f"| {row} | " + " | ".join(str(report.confusion[row][c]) for c in verdicts) + " |")
    lines += ["", "## Failing cases (guidebot)"]
    for pred in predictions["guidebot"]:
        if pred["verdict"] not in pred["expected"] or (pred["gold"] and not set(pred["gold"]) & set(pred["retrieved"][:5])):
            lines.append(f"- `{pred['id']}` ({pred['category']}): verdict {pred['verdict']}, expected {pred['expected']}; "
                         f"gold {pred['gold']}, top-3 {pred['retrieved'][:3]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _grouped_bars(report: Report, keys: list[str], labels: list[str], title: str, rotation: int) -> str:
    """One bar per system for each metric key, as a base64 PNG."""
    import matplotlib.pyplot as plt
    import numpy as np

    systems = list(report.systems)
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for i, name in enumerate(systems):
        ax.bar(np.arange(len(keys)) + i * width, [report.systems[name].get(k, 0) for k in keys], width, label=name)
    ax.set_xticks(np.arange(len(keys)) + 0.4 - width / 2, labels, rotation=rotation)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    png = _png(fig)
    plt.close(fig)
    return png


def charts(report: Report, predictions: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Base64 PNG charts: per-category verdict accuracy, hit@k, latency, headline comparison."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(report.systems)
    out = {}
    categories = sorted({k.split("/", 1)[1] for k in report.systems["guidebot"] if k.startswith("verdict_accuracy/")})
    out["categories"] = _grouped_bars(report, [f"verdict_accuracy/{c}" for c in categories], categories,
                                      "Verdict accuracy by category", rotation=20)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in systems:
        ax.plot([1, 3, 5], [report.systems[name].get(f"hit@{k}", 0) for k in (1, 3, 5)], marker="o", label=name)
    ax.set_xticks([1, 3, 5])
    ax.set_ylim(0, 1.05)
    ax.set_title("Clause hit@k")
    ax.legend(fontsize=8)
    out["hits"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in systems:
        ax.hist([p["latency_ms"] for p in predictions[name]], bins=30, alpha=0.5, label=name)
    ax.set_xlabel("ms per question")
    ax.set_title("Latency")
    ax.legend(fontsize=8)
    out["latency"] = _png(fig)
    plt.close(fig)

    metrics = ["verdict_accuracy", "hit@5", "citation_precision", "citation_recall", "faithfulness", "abstention_f1"]
    out["systems"] = _grouped_bars(report, metrics, metrics, "guidebot against the baselines", rotation=15)
    return out


def write_html(path: Path, report: Report, predictions: dict[str, list[dict[str, Any]]]) -> None:
    images = charts(report, predictions)
    table = headline_table(report.systems).splitlines()
    head = [c.strip() for c in table[0].strip("|").split("|")]
    body = [[c.strip() for c in row.strip("|").split("|")] for row in table[2:]]
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
    failing = "".join(
        f"<tr><td>{html.escape(p['id'])}</td><td>{html.escape(p['category'])}</td><td>{html.escape(p['verdict'])}</td>"
        f"<td>{html.escape(', '.join(p['expected']))}</td><td>{html.escape(', '.join(p['retrieved'][:3]))}</td></tr>"
        for p in predictions["guidebot"] if p["verdict"] not in p["expected"]
    )
    status = "passed" if report.passed else "FAILED: " + "; ".join(report.failures)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>guidebot eval {html.escape(report.dataset)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head><body>
<h1>guidebot eval: {html.escape(report.dataset)} / {html.escape(report.split)}</h1><p><b>{html.escape(status)}</b></p>
<table><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in head)}</tr>{rows}</table>
<h2>Charts</h2>{''.join(f'<img alt="{k}" src="data:image/png;base64,{v}">' for k, v in images.items())}
<h2>Failing cases (guidebot)</h2><table><tr><th>id</th><th>category</th><th>verdict</th><th>expected</th><th>top-3</th></tr>{failing}</table>
</body></html>"""
    path.write_text(page, encoding="utf-8")
