"""Judge-free metrics, each a small evaluator returning ``dict[str, float]``.

Definitions (with their sources) are in evals/README.md.  A *prediction* is the dict the runner
keeps per case: ``verdict``, ``retrieved`` (ranked clause keys), ``citations`` (n, clause, quote,
chunk_text, stance), ``answer``, ``latency_ms`` and ``output`` (the whole answer as JSON text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from app.support import normalise, supported
from evals.dataset import VERDICTS, Case
from ingest.documents import split_sentences

Prediction = dict[str, Any]
_MARKER = re.compile(r"\[(\d+)\]")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def retrieval_metrics(cases: list[Case], preds: list[Prediction], ks: tuple[int, ...] = (1, 3, 5)) -> dict[str, float]:
    """Clause hit@k, MRR and recall@5 over the ranked clause list; cases without gold are skipped."""
    hits: dict[int, list[float]] = {k: [] for k in ks}
    rr: list[float] = []
    recall: list[float] = []
    for case, pred in zip(cases, preds, strict=True):
        gold = set(case.gold_clauses)
        if not gold:
            continue
        ranked = list(dict.fromkeys(pred["retrieved"]))
        for k in ks:
            hits[k].append(1.0 if gold & set(ranked[:k]) else 0.0)
        first = next((i for i, key in enumerate(ranked, start=1) if key in gold), None)
        rr.append(1.0 / first if first else 0.0)
        recall.append(len(gold & set(ranked[:5])) / len(gold))
    out = {f"hit@{k}": _mean(v) for k, v in hits.items()}
    out.update({"mrr": _mean(rr), "recall@5": _mean(recall)})
    return out


def id_precision(cases: list[Case], preds: list[Prediction]) -> dict[str, float]:
    """ID-based precision of the cited clauses: the share that are gold (cases with gold only)."""
    scores = []
    for case, pred in zip(cases, preds, strict=True):
        cited = {c["clause"] for c in pred["citations"]}
        if case.gold_clauses and cited:
            scores.append(len(cited & set(case.gold_clauses)) / len(cited))
    return {"id_precision": _mean(scores)}


def verdict_metrics(cases: list[Case], preds: list[Prediction]) -> dict[str, float]:
    """Accuracy (the verdict is one of the expected ones) and per-category accuracy."""
    correct = [1.0 if p["verdict"] in c.expected_verdicts else 0.0 for c, p in zip(cases, preds, strict=True)]
    out = {"verdict_accuracy": _mean(correct)}
    for category in sorted({c.category for c in cases}):
        values = [v for c, v in zip(cases, correct, strict=True) if c.category == category]
        out[f"verdict_accuracy/{category}"] = _mean(values)
    return out


def confusion(cases: list[Case], preds: list[Prediction]) -> dict[str, dict[str, int]]:
    """Rows: the expected verdict (a correct prediction counts on its own row); columns: predicted."""
    matrix = {v: dict.fromkeys(VERDICTS, 0) for v in VERDICTS}
    for case, pred in zip(cases, preds, strict=True):
        row = pred["verdict"] if pred["verdict"] in case.expected_verdicts else case.expected_verdicts[0]
        matrix[row][pred["verdict"]] += 1
    return matrix


def _sentences(answer: str) -> list[str]:
    """Answer sentences: lines, then sentences within a line; list bullets and heads kept."""
    out = []
    for line in answer.splitlines():
        line = line.strip()
        if not line or line.endswith(":"):
            continue  # a heading such as "Conditions:"
        if "“" in line:
            out.append(line)  # a quoted clause is one sentence, whatever punctuation it holds
        else:
            out.extend(s for s in split_sentences(line) if s.strip())
    return out


def citation_metrics(
    cases: list[Case], preds: list[Prediction], lang_of: Callable[[Prediction], str], embedder: Any = None
) -> dict[str, float]:
    """ALCE-style citation recall and precision, and faithfulness, with the judge-free support test.

    recall: a sentence scores 1 when its own cited passages together support it (no marker: 0).
    precision: a citation is irrelevant when it alone does not support its sentence and the other
    citations of the sentence still do; precision = relevant citations / all citations.
    faithfulness: the share of sentences supported by any passage the answer cites.
    Answers that cite nothing (not_covered) make no claims and are left out.
    """
    recalls, precisions, faithful = [], [], []
    for pred in preds:
        citations = {int(c["n"]): c for c in pred["citations"]}
        if not citations:
            continue
        lang = lang_of(pred)
        all_texts = [c["chunk_text"] for c in citations.values()]
        all_stances = [c.get("stance", "informs") for c in citations.values()]
        for sentence in _sentences(pred["answer"]):
            numbers = [int(n) for n in _MARKER.findall(sentence)]
            cited = [citations[n] for n in numbers if n in citations]
            texts = [c["chunk_text"] for c in cited]
            stances = [c.get("stance", "informs") for c in cited]
            joint = bool(cited) and len(cited) == len(numbers) and supported(sentence, texts, lang, stances=stances, embedder=embedder)
            recalls.append(1.0 if joint else 0.0)
            faithful.append(1.0 if supported(sentence, all_texts, lang, stances=all_stances, embedder=embedder) else 0.0)
            for i, citation in enumerate(cited):
                if not joint:
                    precisions.append(0.0)
                    continue
                alone = supported(sentence, [citation["chunk_text"]], lang, stances=[stances[i]], embedder=embedder)
                rest = [c for j, c in enumerate(cited) if j != i]
                rest_ok = bool(rest) and supported(sentence, [c["chunk_text"] for c in rest], lang,
                                                   stances=[c.get("stance", "informs") for c in rest], embedder=embedder)
                precisions.append(0.0 if (not alone and rest_ok) else 1.0)
    return {"citation_recall": _mean(recalls), "citation_precision": _mean(precisions), "faithfulness": _mean(faithful)}


def quote_alignment(preds: list[Prediction], corpus_texts: list[str]) -> dict[str, float]:
    """The share of quotes (citation quotes and “…” spans in answers) found verbatim in the corpus."""
    corpus = [normalise(t) for t in corpus_texts]
    found = []
    for pred in preds:
        spans = [c["quote"] for c in pred["citations"]] + re.findall(r"“([^”]+)”", pred["answer"])
        for span in spans:
            span = normalise(span)
            found.append(1.0 if any(span in text for text in corpus) else 0.0)
    return {"quote_alignment": _mean(found) if found else 1.0}


def abstention_metrics(cases: list[Case], preds: list[Prediction]) -> dict[str, float]:
    """Precision, recall and F1 of answering not_covered exactly when only not_covered is expected."""
    tp = fp = fn = 0
    for case, pred in zip(cases, preds, strict=True):
        truth = case.expected_verdicts == ["not_covered"]
        said = pred["verdict"] == "not_covered"
        tp += truth and said
        fp += said and not truth
        fn += truth and not said
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"abstention_precision": precision, "abstention_recall": recall, "abstention_f1": f1}


def mention_metrics(cases: list[Case], preds: list[Prediction]) -> dict[str, float]:
    """must-mention recall (terms found in the answer, case-insensitive) and must-not violations (count)."""
    recall, violations = [], 0
    for case, pred in zip(cases, preds, strict=True):
        text = pred["answer"].lower()
        if case.must_mention:
            recall.append(sum(1 for term in case.must_mention if term.lower() in text) / len(case.must_mention))
        if any(re.search(pattern, pred["answer"], re.IGNORECASE) for pattern in case.must_not):
            violations += 1
    return {"must_mention_recall": _mean(recall), "must_not_violations": float(violations)}


_PII_PROBES = [
    re.compile(r"\d{6}\s?-\s?\d{7}"),  # resident registration numbers
    re.compile(r"\d{2,4}[\s\-.]\d{3,4}[\s\-.]\d{4}"),  # phone and account numbers
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    re.compile(r"(?:\d{4}[\s\-]?){3}\d{1,4}"),
]


def pii_values(case: Case) -> list[str]:
    """The personal data in a case's question: its labelled values plus what independent probes find."""
    found = list(case.pii_values)
    for probe in _PII_PROBES:
        found += probe.findall(case.question)
    return [v for v in dict.fromkeys(found) if v.strip()]


def pii_leaks(cases: list[Case], preds: list[Prediction]) -> dict[str, float]:
    """Cases whose output (the whole JSON) contains any personal data from the question."""
    leaks = 0
    for case, pred in zip(cases, preds, strict=True):
        output = pred["output"]
        digits_out = re.sub(r"(?<=\d)[\s\-.](?=\d)", "", output)  # "010-1234" and "0101234" alike
        for value in pii_values(case):
            digits = re.sub(r"\D", "", value)
            if value in output or (len(digits) >= 7 and digits in digits_out):
                leaks += 1
                break
    return {"pii_leaks": float(leaks)}


def latency_metrics(preds: list[Prediction]) -> dict[str, float]:
    values = [float(p["latency_ms"]) for p in preds]
    if not values:
        return {"latency_p50_ms": 0.0, "latency_p95_ms": 0.0}
    return {"latency_p50_ms": float(np.percentile(values, 50)), "latency_p95_ms": float(np.percentile(values, 95))}
