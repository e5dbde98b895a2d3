"""The last evaluation report as HTML, from the files ``guidebot eval`` writes (report.json,
predictions.jsonl): headline cards, a comparison table, bar charts drawn in HTML with localised
titles and a colour-blind-safe palette (Okabe-Ito), the confusion table and the failing cases."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from app import library
from app.answer import VERDICT_LABELS
from app.pii import mask
from app.ui.html import esc, render_error
from app.ui.i18n import t, ui_lang

HEADLINE = ["verdict_accuracy", "hit@5", "citation_precision", "citation_recall", "faithfulness", "quote_alignment",
            "abstention_f1", "pii_leaks", "latency_p50_ms"]
QUALITY = ["verdict_accuracy", "hit@5", "citation_precision", "citation_recall", "faithfulness", "abstention_f1"]
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def metric_name(metric: str, ui: str) -> str:
    name = t(ui, f"m_{metric}")
    return metric if name == f"m_{metric}" else name


def fmt(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v):
        return "–"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3f}"


def _bounds(bound: dict[str, float]) -> str:
    return ("≥ " + fmt(bound["min"])) if "min" in bound else ("≤ " + fmt(bound["max"])) if "max" in bound else ""


def bar_chart(title: str, metrics: list[str], systems: dict[str, dict[str, float]], ui: str, scale: float | None = None) -> str:
    """Grouped horizontal bars: one group per metric, one bar per system; the legend sits above, covering nothing."""
    names = list(systems)
    shown = [m for m in metrics if any(m in systems[n] for n in names)]
    if not shown:
        return ""
    top = scale or max((float(systems[n].get(m) or 0) for n in names for m in shown), default=1.0) or 1.0
    legend = "".join(f'<li><span class="gb-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>{esc(n)}</li>'
                     for i, n in enumerate(names))
    rows = []
    for m in shown:
        rows.append(f'<div class="gb-group">{esc(metric_name(m, ui))}</div>')
        for i, n in enumerate(names):
            value = systems[n].get(m)
            width = 0.0 if value is None else max(0.0, min(100.0, 100 * float(value) / top))
            rows.append(f'<div>{esc(n)}</div><div class="gb-bar-row"><span class="gb-bar" style="width:{width:.1f}%;'
                        f'background:{PALETTE[i % len(PALETTE)]}"></span><span>{fmt(value)}</span></div>')
    return (f'<figure class="gb-chart"><h4>{esc(title)}</h4><ul class="gb-legend">{legend}</ul>'
            f'<div class="gb-bars" role="img" aria-label="{esc(title)}">{"".join(rows)}</div></figure>')


def render_report(folder: Path | None, ui: str, cases: dict[str, Any] | None = None) -> str:
    ui = ui_lang(ui)
    try:
        report = library.load_report(folder) if folder else None
    except Exception as exc:
        return render_error(t(ui, "eval_error", msg=type(exc).__name__))
    if not report:
        return f'<div class="gb-panel"><p>{esc(t(ui, "no_report"))}</p></div>'
    systems: dict[str, dict[str, float]] = report.get("systems") or {}
    thresholds: dict[str, dict[str, float]] = (report.get("thresholds") or {}).get("guidebot", {})
    ours = systems.get("guidebot", {})
    ok_all = bool(report.get("passed"))
    parts = ['<div class="gb-panel">',
             f'<div class="gb-note {"gb-result-ok" if ok_all else "gb-result-bad"}" role="status"><b>'
             f'{esc(t(ui, "passed" if ok_all else "not_passed"))}</b> · {esc(report.get("dataset"))} / {esc(report.get("split"))}'
             f' · {esc(report.get("created", ""))}</div>']
    if report.get("failures"):
        parts.append("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in report["failures"]) + "</ul>")
    parts.append(f'<h3>{esc(t(ui, "headline"))}</h3><div class="gb-metrics">')
    for metric in (m for m in HEADLINE if m in ours):
        bound, value = thresholds.get(metric, {}), ours.get(metric)
        ok = None if not bound or value is None else not (
            ("min" in bound and value < bound["min"]) or ("max" in bound and value > bound["max"]))
        limit = f'{t(ui, "threshold")} {_bounds(bound)}' if bound else ""
        mark = "" if ok is None else (" ✔" if ok else " ✖")
        parts.append(f'<div class="gb-metric {"" if ok is None else "ok" if ok else "bad"}"><span>{esc(metric_name(metric, ui))}'
                     f"</span><b>{fmt(value)}{mark}</b><span>{esc(limit)}</span></div>")
    parts.append("</div>")
    names = list(systems)
    parts.append(f'<h3>{esc(t(ui, "vs"))}</h3><div class="gb-wide"><table class="gb-table"><tr><th>{esc(t(ui, "metric"))}</th>'
                 + "".join(f"<th>{esc(n)}</th>" for n in names) + f"<th>{esc(t(ui, 'threshold'))}</th></tr>")
    for metric in (m for m in HEADLINE if any(m in systems[n] for n in names)):
        parts.append(f"<tr><td>{esc(metric_name(metric, ui))}</td>" + "".join(f"<td>{fmt(systems[n].get(metric))}</td>" for n in names)
                     + f"<td>{esc(_bounds(thresholds.get(metric, {})))}</td></tr>")
    parts.append("</table></div>")
    charts = bar_chart(t(ui, "chart_quality"), QUALITY, systems, ui, scale=1.0) + bar_chart(
        t(ui, "chart_latency"), ["latency_p50_ms"], systems, ui)
    if charts:
        parts.append(f'<h3>{esc(t(ui, "charts"))}</h3><div class="gb-charts">{charts}</div>')
    parts.append(confusion_table(report.get("confusion") or {}, ui))
    parts.append(failing_table(folder, ui, cases or {}))
    parts.append("</div>")
    return "".join(parts)


def confusion_table(confusion: dict[str, dict[str, int]], ui: str) -> str:
    if not confusion:
        return ""
    cols = list(confusion)
    head = "".join(f"<th>{esc(VERDICT_LABELS[ui].get(c, c))}</th>" for c in cols)
    rows = "".join(f"<tr><td>{esc(VERDICT_LABELS[ui].get(r, r))}</td>" + "".join(f"<td>{esc(confusion[r].get(c, 0))}</td>"
                                                                              for c in cols) + "</tr>" for r in cols)
    return f'<h3>{esc(t(ui, "confusion"))}</h3><div class="gb-wide"><table class="gb-table"><tr><th></th>{head}</tr>{rows}</table></div>'


def failing_table(folder: Path | None, ui: str, cases: dict[str, Any]) -> str:
    failing = library.failing_cases(folder) if folder else []
    title = f'<h3>{esc(t(ui, "failing"))}</h3>'
    if not failing:
        return title + f'<p class="gb-muted">{esc(t(ui, "no_failing"))}</p>'
    heads = "".join(f"<th>{esc(t(ui, h))}</th>" for h in ("h_case", "h_question", "h_verdict", "h_expected", "h_top"))
    rows = []
    for row in failing:
        case = cases.get(str(row.get("id")))
        question = mask(case.question, case.lang).text if case is not None else ""
        labels = VERDICT_LABELS[ui]
        rows.append(f'<tr><td>{esc(row.get("id"))}</td><td>{esc(question)}</td><td>{esc(labels.get(str(row.get("verdict")), ""))}</td>'
                    f'<td>{esc(", ".join(labels.get(v, v) for v in row.get("expected") or []))}</td>'
                    f'<td>{esc(", ".join((row.get("retrieved") or [])[:3]))}</td></tr>')
    return title + f'<div class="gb-wide"><table class="gb-table"><tr>{heads}</tr>{"".join(rows)}</table></div>'
