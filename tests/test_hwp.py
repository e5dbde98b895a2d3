"""HWP 5 (.hwp) files built at run time by tests/hwp_fixture.py: structure, tables, clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hwp_fixture import write_corrupt_body_hwp, write_hwp, write_truncated_hwp

from ingest.chunker import build_sections
from ingest.loaders import LoadError, load_file


def test_extract_hwp_reads_the_generated_file(tmp_path: Path) -> None:
    from extract_hwp import extract_text_from_hwp5, is_hwp5_password_protected

    path = write_hwp(tmp_path / "sample.hwp")
    text = extract_text_from_hwp5(str(path))
    assert text.startswith("생성형 인공지능 업무 활용 지침\n제1장 총칙\n")
    assert "secd" not in text and "\x02" not in text  # the section controls are skipped, not decoded
    assert not is_hwp5_password_protected(str(path))


def test_structured_sections(tmp_path: Path) -> None:
    doc = load_file(write_hwp(tmp_path / "지침.hwp"))
    assert (doc.fmt, doc.lang, doc.doc_id, doc.title) == ("hwp", "ko", "지침", "지침")
    heads = [(b.level, b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]
    assert heads == [
        (1, "제1장 총칙", "ch-1"),
        (3, "제1조(목적)", "art-1"),
        (3, "제2조(입력 제한)", "art-2"),
        (4, "①", "art-2-1"),
        (4, "②", "art-2-2"),
        (3, "제3조(점검)", "art-3"),
    ]
    sections = {s.section_id: s for s in build_sections(doc)}
    assert "업무에 쓰는 기준을 정한다" in sections["art-1"].text
    assert sections["art-2-1"].text.startswith("① 직원은 비공개 정보와 개인정보를")
    assert sections["art-2-1"].path == ["제1장 총칙", "제2조(입력 제한)", "①"]
    # Table cells come through as text, in reading order, under the article they follow.
    assert sections["art-3"].text.splitlines()[1:] == ["점검 항목", "확인", "비공개 정보 입력 여부", "분기별"]


def test_uncompressed_and_large_files(tmp_path: Path) -> None:
    """Streams of 4 KB and more live outside the mini stream; uncompressed bodies are read as they are."""
    paragraphs = [f"제{n}조(항목 {n}) 직원은 {n}번째 기준을 지켜야 한다." for n in range(1, 301)]
    doc = load_file(write_hwp(tmp_path / "big.hwp", paragraphs=paragraphs, table=[], compressed=False))
    anchors = [b.anchor for b in doc.blocks if b.kind == "heading"]
    assert anchors == [f"art-{n}" for n in range(1, 301)]


def test_truncated_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="corrupt or truncated HWP file: it ends at byte .*incomplete download"):
        load_file(write_truncated_hwp(tmp_path / "cut.hwp"))


@pytest.mark.parametrize("keep", [700, 1100, -100])
def test_cut_anywhere(tmp_path: Path, keep: int) -> None:
    """Cut inside the header, inside the allocation table, or a few bytes short of the end."""
    from hwp_fixture import hwp_bytes

    path = tmp_path / "cut.hwp"
    path.write_bytes(hwp_bytes(paragraphs=[f"제{n}조(항목) 기준을 지킨다." for n in range(1, 200)], compressed=False)[:keep])
    with pytest.raises(LoadError, match="corrupt or truncated HWP file"):
        load_file(path)


def test_corrupt_body_stream(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="corrupt or truncated HWP file: .*압축 스트림"):
        load_file(write_corrupt_body_hwp(tmp_path / "body.hwp"))


def test_password_protected_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="password-protected HWP file: .*remove the document password"):
        load_file(write_hwp(tmp_path / "locked.hwp", password=True))


def test_not_hwp5(tmp_path: Path) -> None:
    text = tmp_path / "text.hwp"
    text.write_text("HWP Document File V3.00 아님", encoding="utf-8")
    with pytest.raises(LoadError, match="not an HWP 5 file"):
        load_file(text)
    hwpx = tmp_path / "renamed.hwp"
    with zipfile.ZipFile(hwpx, "w") as archive:
        archive.writestr("mimetype", "application/hwp+zip")
    with pytest.raises(LoadError, match="rename it to .hwpx"):
        load_file(hwpx)
    short = tmp_path / "short.hwp"
    short.write_bytes(b"\xd0\xcf\x11")
    with pytest.raises(LoadError, match="truncated"):
        load_file(short)


def test_ole_file_that_is_not_hwp(tmp_path: Path) -> None:
    from hwp_fixture import write_cfb

    path = tmp_path / "word.hwp"
    path.write_bytes(write_cfb({"WordDocument": b"\0" * 600}))
    with pytest.raises(LoadError, match="no FileHeader stream"):
        load_file(path)
