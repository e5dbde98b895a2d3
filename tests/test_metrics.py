"""The metrics on tiny hand-computed cases; each assertion shows its arithmetic."""

from __future__ import annotations

import pytest

from evals import metrics as M
from evals.dataset import Case

PROHIBIT = "Officials must not enter personal information into generative AI."
VERIFY = "Officials must check every AI output for accuracy."


def case(cid: str, expected: list[str], gold: list[str], **kw) -> Case:
    return Case(id=cid, lang="en", question=kw.pop("question", "q"), category=kw.pop("category", "info"),
                expected_verdicts=expected, gold_clauses=gold, split="test", **kw)


def pred(verdict: str, retrieved: list[str], answer: str = "", citations: list[dict] | None = None, **kw) -> dict:
    return {"verdict": verdict, "retrieved": retrieved, "answer": answer, "citations": citations or [],
            "latency_ms": kw.get("latency_ms", 10.0), "language": "en", "output": kw.get("output", answer)}


def cite(n: int, clause: str, text: str, stance: str = "requires", quote: str | None = None) -> dict:
    return {"n": n, "clause": clause, "chunk_text": text, "quote": quote or text, "stance": stance, "lang": "en"}


def test_retrieval_metrics() -> None:
    cases = [case("a", ["info"], ["d#1"]), case("b", ["info"], ["d#2", "d#3"]), case("c", ["not_covered"], [])]
    preds = [pred("info", ["d#1", "d#9"]), pred("info", ["d#9", "d#8", "d#7", "d#3", "d#2"]), pred("not_covered", [])]
    out = M.retrieval_metrics(cases, preds)
    assert out["hit@1"] == pytest.approx(0.5)  # a hits at rank 1, b does not; c has no gold: 1/2
    assert out["hit@3"] == pytest.approx(0.5)  # b's first gold is at rank 4: still 1/2
    assert out["hit@5"] == pytest.approx(1.0)  # both within 5: 2/2
    assert out["mrr"] == pytest.approx((1 / 1 + 1 / 4) / 2)  # ranks 1 and 4: (1 + 0.25) / 2 = 0.625
    assert out["recall@5"] == pytest.approx((1 + 2 / 2) / 2)  # a: 1/1, b: 2/2 -> 1.0


def test_id_precision() -> None:
    cases = [case("a", ["info"], ["d#1"]), case("b", ["info"], ["d#2"])]
    preds = [pred("info", [], citations=[cite(1, "d#1", VERIFY), cite(2, "d#5", VERIFY)]), pred("info", [], citations=[cite(1, "d#2", VERIFY)])]
    assert M.id_precision(cases, preds)["id_precision"] == pytest.approx((1 / 2 + 1 / 1) / 2)  # 0.5 and 1.0 -> 0.75


def test_verdict_accuracy_and_confusion() -> None:
    cases = [case("a", ["not_allowed"], [], category="pii"), case("b", ["allowed", "conditional"], [], category="conditional"),
             case("c", ["info"], [])]
    preds = [pred("not_allowed", []), pred("conditional", []), pred("not_covered", [])]
    out = M.verdict_metrics(cases, preds)
    assert out["verdict_accuracy"] == pytest.approx(2 / 3)  # a and b right, c wrong
    assert out["verdict_accuracy/info"] == 0.0 and out["verdict_accuracy/pii"] == 1.0
    matrix = M.confusion(cases, preds)
    assert matrix["info"]["not_covered"] == 1 and matrix["conditional"]["conditional"] == 1


def test_verdict_accuracy_per_kind() -> None:
    cases = [case("a", ["not_allowed"], [], category="not_allowed", kind="mitigation"),
             case("b", ["conditional", "allowed"], [], category="conditional", kind="mitigation"), case("c", ["info"], [])]
    out = M.verdict_metrics(cases, [pred("not_allowed", []), pred("not_allowed", []), pred("info", [])])
    assert out["verdict_accuracy/kind/mitigation"] == pytest.approx(1 / 2)  # a right, b wrong; c has no kind
    assert not any(k.startswith("verdict_accuracy/kind/") and k != "verdict_accuracy/kind/mitigation" for k in out)


def test_citation_precision_recall_judged_by_gold_clauses() -> None:
    """Precision: cited clauses that are gold (or a part of one) with a verbatim quote; recall: gold clauses cited."""
    citations = [cite(1, "d#art-31-2", PROHIBIT, "prohibits", quote="must not enter personal information"),
                 cite(2, "d#other", VERIFY, quote="check every AI output"), cite(3, "d#art-5", VERIFY, quote="words nowhere")]
    answer = "- Rule: “must not enter personal information” [1]\n- Other: “not in the passage” [2]"
    cases = [case("a", ["not_allowed"], ["d#art-31", "d#art-5", "e#x"])]
    out = M.citation_metrics(cases, [pred("not_allowed", [], answer, citations)], [PROHIBIT, VERIFY])
    assert out["citation_precision"] == pytest.approx(1 / 3)  # [1] gold part and verbatim; [2] not gold; [3] gold, quote not in corpus
    assert out["citation_recall"] == pytest.approx(2 / 3)  # art-31 (through art-31-2) and art-5 cited, e#x not
    assert out["citation_doc_precision"] == pytest.approx(2 / 3)  # [1] and [2] in a gold document with verbatim quotes
    assert out["faithfulness"] == pytest.approx(1 / 2)  # the second quoted span is not in its cited passage


def test_verdict_groups_and_allowing_sentences_in_a_no() -> None:
    cases = [case("h", ["not_allowed"], [], category="harmful"), case("o", ["not_covered"], []),
             case("l", ["info"], ["kr-ai-basic-act#art-31"], category="law")]
    no = "Not allowed: the guidelines forbid this use [1].\nIt may become acceptable where these requirements are met [1]."
    preds = [pred("not_allowed", [], no), pred("info", []),
             pred("info", [], "x", [cite(1, "kr-ai-basic-act#art-31-1", PROHIBIT)])]
    out = M.verdict_group_metrics(cases, preds)
    assert out["harmful_not_allowed"] == 1.0 and out["out_of_domain_refused"] == 0.0
    assert out["law_article_hit@5"] == 1.0
    assert out["allowing_sentence_in_no"] == 1.0  # the second sentence of the no allows


def test_paraphrase_consistency() -> None:
    out = M.paraphrase_consistency({"a": "not_allowed", "b": "info"}, [("a", "not_allowed"), ("a", "conditional"), ("b", "info")])
    assert out["paraphrase_consistency"] == pytest.approx(2 / 3) and out["paraphrases"] == 3


def test_held_out_law_questions() -> None:
    rows = [
        {"intent": "information", "gold_articles": ["act:art-34"]},  # Art. 34(2) cited 5th: a hit
        {"intent": "obligation", "gold_articles": ["decree:art-27", "act:art-34"]},  # cited 6th: a miss
        {"intent": "out_of_domain", "gold_articles": []},  # refused
        {"intent": "out_of_domain", "gold_articles": []},  # answered
        {"intent": "information", "gold_articles": []},  # no gold: not counted for hits
    ]
    five = [cite(n, f"busan#c{n}", "x") for n in range(1, 5)]
    answers = [
        pred("info", [], citations=[*five, cite(5, "kr-ai-basic-act#art-34-2", "x")]),
        pred("info", [], citations=[*five, cite(5, "busan#c5", "x"), cite(6, "kr-ai-basic-act-decree#art-27", "x")]),
        pred("not_covered", []),
        pred("info", []),
        pred("info", []),
    ]
    out = M.law_question_metrics(rows, answers)
    assert out["law_article_hit@5"] == pytest.approx(1 / 2) and out["out_of_domain_refused"] == pytest.approx(1 / 2)


def test_quote_alignment() -> None:
    preds = [pred("info", [], f"“{PROHIBIT}” [1]", [cite(1, "d#1", PROHIBIT, quote="must not enter personal information")]),
             pred("info", [], "“made up words here” [1]", [cite(1, "d#1", PROHIBIT, quote="made up words here")])]
    # spans: 2 quotes + 2 answer spans; found: quote1, answer1 -> 2 of 4
    assert M.quote_alignment(preds, [PROHIBIT])["quote_alignment"] == pytest.approx(0.5)


def test_abstention() -> None:
    cases = [case("a", ["not_covered"], []), case("b", ["not_covered"], []), case("c", ["info"], [])]
    preds = [pred("not_covered", []), pred("info", []), pred("not_covered", [])]
    out = M.abstention_metrics(cases, preds)
    assert out["abstention_precision"] == pytest.approx(1 / 2)  # tp a, fp c
    assert out["abstention_recall"] == pytest.approx(1 / 2)  # tp a, fn b
    assert out["abstention_f1"] == pytest.approx(0.5)  # 2 * 0.5 * 0.5 / (0.5 + 0.5)


def test_mentions_and_must_not() -> None:
    cases = [case("a", ["info"], [], must_mention=["30 million", "fine"], must_not=[r"3 million"]),
             case("b", ["info"], [], must_mention=["공정성"], must_not=[r"제\s*\d+\s*조"])]
    preds = [pred("info", [], "The fine cap is KRW 30 million."), pred("info", [], "부산 지침 제3조에 따르면")]
    out = M.mention_metrics(cases, preds)
    assert out["must_mention_recall"] == pytest.approx((2 / 2 + 0 / 1) / 2)  # a: both found; b: none -> 0.5
    assert out["must_not_violations"] == 1.0  # b names an article; a does not, as "30 million" holds no "3 million"


def test_pii_leaks() -> None:
    cases = [case("a", ["not_allowed"], [], question="홍길동 010-1234-5678", pii_values=["홍길동"]),
             case("b", ["not_allowed"], [], question="call 010-9999-8888")]
    preds = [pred("not_allowed", [], output='{"question": "[이름] [전화번호]"}'), pred("not_allowed", [], output='{"answer": "01099998888"}')]
    assert M.pii_leaks(cases, preds)["pii_leaks"] == 1.0  # b leaks the number without separators


def test_latency() -> None:
    preds = [pred("info", [], latency_ms=v) for v in (10, 20, 30, 40, 100)]
    out = M.latency_metrics(preds)
    assert out["latency_p50_ms"] == pytest.approx(30)  # the middle of five
    assert out["latency_p95_ms"] == pytest.approx(40 + 0.8 * 60)  # numpy linear: rank 3.8 -> 40 + 0.8 * (100 - 40) = 88
