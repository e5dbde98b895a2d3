"""Structure-aware chunking on Korean statute text and English guideline text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunker import chunk_document, estimate_tokens, split_sentences
from ingest.loaders import load_file
from ingest.stance import detect_stance


def test_korean_statute_structure(tmp_path: Path) -> None:
    path = tmp_path / "act.txt"
    path.write_text(
        "제1장 총칙\n제1조(목적) 이 법은 목적을 정한다.\n제2조(정의) ① 첫째 항이다.\n1. 가목이 아니라 호이다.\n② 둘째 항이다.\n"
        "제2장 신뢰\n제29조의2(특례) 특례를 둔다.\n",
        encoding="utf-8",
    )
    chunks = chunk_document(load_file(path))
    ids = [c.id for c in chunks]
    assert ids == ["act:ko:art-1:0", "act:ko:art-2-1:0", "act:ko:art-2-2:0", "act:ko:art-29_2:0"]
    assert chunks[1].metadata["section"] == "제1장 총칙 > 제2조(정의) > ①"
    assert chunks[1].text.startswith("① 첫째 항이다.\n1. 가목이 아니라 호이다.")
    assert chunks[3].metadata["section"] == "제2장 신뢰 > 제29조의2(특례)"
    assert "제2장 신뢰 > 제29조의2(특례)" in chunks[3].embed_text, "the heading path is embedded with the text"


def test_english_articles_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "act.txt"
    path.write_text(
        "Chapter IV Ethics\nArticle 31 (Transparency)\n(1) Providers must notify users in advance.\n"
        "(2) Providers must label generated outputs.\nArticle 40 of the Act is mentioned here but is not a heading.\n",
        encoding="utf-8",
    )
    chunks = chunk_document(load_file(path))
    assert [c.metadata["section_id"] for c in chunks] == ["art-31-1", "art-31-2"]
    assert "Article 40 of the Act" in chunks[1].text
    assert chunks[0].metadata["stance"] == "requires"


def test_long_section_split_at_korean_sentence_ends_with_overlap(tmp_path: Path) -> None:
    sentences = [f"공무원은 {i}번째 사항을 지켜야 한다." for i in range(60)]
    path = tmp_path / "long.md"
    path.write_text("---\nid: long\nlang: ko\ntitle: 긴 문서\n---\n## 긴 절 {#long}\n" + " ".join(sentences), encoding="utf-8")
    chunks = chunk_document(load_file(path), budget=60, overlap=1)
    assert len(chunks) > 3
    assert all(estimate_tokens(c.text) <= 60 for c in chunks)
    assert [c.id for c in chunks][:2] == ["long:ko:long:0", "long:ko:long:1"]
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.text.endswith("다."), "split at a sentence end"
        assert after.text.startswith(split_sentences(before.text)[-1]), "one sentence of overlap"


def test_ids_are_stable_and_slugged_without_anchor(tmp_path: Path) -> None:
    path = tmp_path / "g.md"
    path.write_text("# Guide\n## 보안 원칙\n개인정보를 입력해서는 안 된다.\n## 보안 원칙\n중복 제목.\n", encoding="utf-8")
    first = [c.id for c in chunk_document(load_file(path))]
    again = [c.id for c in chunk_document(load_file(path))]
    assert first == again == ["g:ko:보안-원칙:0", "g:ko:보안-원칙-2:0"]


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("Officials must not enter personal data.", "prohibits"),
        ("Staff may not paste internal memos.", "prohibits"),
        ("Providers must label outputs.", "requires"),
        ("Officials may use AI to draft letters.", "permits"),
        ("Officials should keep a record.", "recommends"),
        ("The strategy was announced in 2019.", "informs"),
        ("공무원은 미공표 정보를 입력해서는 안 된다.", "prohibits"),
        ("결과물은 반드시 확인하여야 한다.", "requires"),
        ("행정 지원 도구로 활용할 수 있다.", "permits"),
        ("윤리 교육을 받을 것을 권장한다.", "recommends"),
        ("국가는 신뢰 기반 조성에 노력하여야 한다.", "recommends"),
        ("이 지침은 2025년 3월에 발표되었다.", "informs"),
    ],
)
def test_stance_from_modal_words(text: str, stance: str) -> None:
    assert detect_stance(text) == stance


def test_stance_override_in_markup(tmp_path: Path) -> None:
    path = tmp_path / "o.md"
    path.write_text("## Rule {#r stance=prohibits}\nOfficials can find the rule on entering data in the annex.\n", encoding="utf-8")
    assert chunk_document(load_file(path))[0].metadata["stance"] == "prohibits"


def test_bm25_tokens_are_morphemes(tmp_path: Path) -> None:
    path = tmp_path / "k.md"
    path.write_text("---\nid: k\nlang: ko\ntitle: 지침\n---\n## 보안 {#security}\n공무원은 개인정보를 입력해서는 안 된다.\n", encoding="utf-8")
    tokens = chunk_document(load_file(path))[0].metadata["bm25_tokens"].split()
    assert {"개인", "정보", "입력", "공무원"} <= set(tokens)
    assert "를" not in tokens, "particles are dropped"
