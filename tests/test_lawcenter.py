"""Statutes exported from the law information center (JSON and XML): structure, metadata, trust, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.chunker import build_sections, chunk_document
from ingest.lawcenter import enforcement_date
from ingest.loaders import LoadError, load_file
from ingest.settings import Settings

DATA = Path(__file__).parent / "data"
SAMPLES = [DATA / "lawcenter_sample.json", DATA / "lawcenter_sample.xml"]
HEADINGS = [
    (1, "제1장 총칙", "ch-1"),
    (3, "제1조(목적)", "art-1"),
    (3, "제2조(정의)", "art-2"),
    (1, "제2장 활용 기준", "ch-2"),
    (3, "제3조(입력 제한)", "art-3"),
    (4, "①", "art-3-1"),
    (4, "②", "art-3-2"),
    (3, "제3조의2(결과물 확인)", "art-3_2"),
    (4, "①", "art-3_2-1"),
    (4, "②", "art-3_2-2"),
    (1, "[별표 1] 점검 항목(제3조 관련)", "annex-1"),
    (1, "부칙", "addenda"),
]


def headings(doc):
    return [(b.level, b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]


@pytest.mark.parametrize("path", SAMPLES, ids=["json", "xml"])
def test_structure_and_metadata(path: Path) -> None:
    doc = load_file(path)
    assert headings(doc) == HEADINGS
    assert (doc.doc_id, doc.lang, doc.kind, doc.fmt) == ("law-999901", "ko", "law", "lawcenter")
    assert doc.title == "시범기관 생성형 인공지능 활용에 관한 법률"
    assert doc.issued == "2025-03-01"
    assert enforcement_date(doc) == "2025-09-01" and "시행 2025-09-01" in doc.note
    assert doc.issuer == "가상행정부"
    assert "국가법령정보센터" in doc.source and "법률 제99901호" in doc.source
    texts = [b.text for b in doc.blocks if b.kind == "text"]
    # The article's own text loses the label the heading carries; its 호 and 목 follow as lines.
    assert texts[1].splitlines() == [
        "이 법에서 쓰는 용어의 뜻은 다음과 같다.",
        '1. "시범기관"이란 가상행정부장관이 지정한 기관을 말한다.',
        '2. "비공개 자료"란 다음 각 목의 자료를 말한다.',
        "가. 공개되지 아니한 내부 문서",
        "나. 개인을 알아볼 수 있는 정보",
    ]
    assert texts[2].splitlines()[1:] == ["1. 비공개 자료", "2. 그 밖에 기관장이 입력을 금지한 자료"]


def test_json_and_xml_load_alike() -> None:
    json_doc, xml_doc = (load_file(p) for p in SAMPLES)
    assert [(b.kind, b.level, b.text, b.anchor) for b in json_doc.blocks] == [
        (b.kind, b.level, b.text, b.anchor) for b in xml_doc.blocks
    ]


@pytest.mark.parametrize("path", SAMPLES, ids=["json", "xml"])
def test_basis_follows_trust(path: Path) -> None:
    upload = load_file(path)
    assert (upload.basis, upload.trusted) == ("organisation-upload", False)
    assert "확인되지 않음" in upload.note
    official = load_file(path, trusted=True)
    assert (official.basis, official.trusted) == ("official-text", True)


def test_pipeline_trusts_corpus_and_trusted_dirs_only(tmp_path: Path) -> None:
    from ingest.pipeline import _prepare

    folder = tmp_path / "laws"
    folder.mkdir()
    law = shutil.copy(SAMPLES[0], folder / "law.json")
    for settings, basis in ((Settings(data_dir=tmp_path / "data"), "organisation-upload"),
                            (Settings(data_dir=tmp_path / "data", trusted_dirs=[folder]), "official-text"),
                            (Settings(data_dir=tmp_path / "data", corpus_dir=folder), "official-text")):
        prepared = _prepare(Path(law), "law.json", {}, settings, 10_000_000)
        assert prepared.error is None
        assert prepared.doc is not None and prepared.doc.basis == basis
        assert {c.metadata["basis"] for c in prepared.chunks} == {basis}


def test_chunker_makes_citable_sections() -> None:
    doc = load_file(SAMPLES[0], trusted=True)
    sections = {s.section_id: s for s in build_sections(doc)}
    assert list(sections) == ["art-1", "art-2", "art-3-1", "art-3-2", "art-3_2-1", "art-3_2-2", "annex-1", "addenda"]
    assert sections["art-3-1"].path == ["제2장 활용 기준", "제3조(입력 제한)", "①"]
    assert "입력해서는 아니 된다" in sections["art-3-1"].text
    assert "2025년 9월 1일부터 시행한다" in sections["addenda"].text
    chunks = chunk_document(doc)
    assert {c.id for c in chunks} >= {"law-999901:ko:art-3_2-1:0", "law-999901:ko:annex-1:0"}
    meta = next(c.metadata for c in chunks if c.metadata["section_id"] == "art-3_2-1")
    assert (meta["kind"], meta["basis"], meta["issued"]) == ("law", "official-text", "2025-03-01")


@pytest.mark.parametrize(("kind", "expected"), [("대통령령", "decree"), ("총리령", "decree"), ("과학기술정보통신부령", "decree"), ("법률", "law")])
def test_kind_from_law_type(tmp_path: Path, kind: str, expected: str) -> None:
    data = json.loads(SAMPLES[0].read_text(encoding="utf-8"))
    data["법령"]["기본정보"]["법종구분"]["content"] = kind
    path = tmp_path / "decree.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_file(path).kind == expected


def test_single_units_and_missing_id(tmp_path: Path) -> None:
    """The API gives a lone unit as an object, not a list; without 법령ID the id is a slug of the name."""
    data = json.loads(SAMPLES[0].read_text(encoding="utf-8"))
    law = data["법령"]
    del law["기본정보"]["법령ID"]
    law["조문"]["조문단위"] = law["조문"]["조문단위"][5]
    law["부칙"]["부칙단위"] = law["부칙"]["부칙단위"][0]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    doc = load_file(path)
    assert doc.doc_id == "시범기관ai활용법"
    assert [h[2] for h in headings(doc)] == ["art-3_2", "art-3_2-1", "art-3_2-2", "annex-1", "addenda"]


BAD = {
    "broken.json": ('{"법령": {"기본정보": ', "invalid JSON at line 1"),
    "other.json": ('{"name": "not a law"}', "only statutes exported from the law information center"),
    "noarticles.json": ('{"법령": {"기본정보": {"법령명_한글": "빈 법"}, "조문": {"조문단위": []}}}', "no articles"),
    "chapters-only.json": ('{"법령": {"조문": {"조문단위": {"조문여부": "전문", "조문내용": "제1장 총칙"}}}}', "no articles"),
    "broken.xml": ("<법령><기본정보></법령>", "invalid XML"),
    "other.xml": ("<rss><channel/></rss>", "root is <rss>"),
    "dtd.xml": ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><법령/>', "DTD"),
    "text.json": ("just words", "neither JSON nor XML"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_files_give_clear_errors(tmp_path: Path, name: str) -> None:
    content, reason = BAD[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoadError, match=reason.replace("(", r"\(").replace("[", r"\[")):
        load_file(path)
