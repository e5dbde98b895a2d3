"""Every loader on small real files the tests create; every bad file gets a clear LoadError."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_file

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
KO_ACT = "제1장 총칙\n제1조(목적) 이 지침은 생성형 AI 활용 기준을 정한다.\n제2조(입력 금지) ① 공무원은 개인정보를 입력해서는 안 된다.\n② 결과물은 직접 확인하여야 한다.\n"


def headings(doc):
    return [(b.level, b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]


def test_markdown_front_matter_and_anchors(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text(
        "---\nid: my-doc\nlang: en\ntitle: My doc\nissuer: X\nissued: 2025-03-12\nkind: guideline\n"
        "basis: press-reports\nsource: s\nnote: n\n---\n# My doc\n## Part {#part}\n### Rule {#rule stance=prohibits}\nText **bold**.\n",
        encoding="utf-8",
    )
    doc = load_file(path)
    assert (doc.doc_id, doc.lang, doc.basis, doc.issued) == ("my-doc", "en", "press-reports", "2025-03-12")
    assert headings(doc) == [(1, "My doc", None), (2, "Part", "part"), (3, "Rule", "rule")]
    assert doc.blocks[-2].attrs == {"stance": "prohibits"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp949", "euc-kr", "utf-8-sig"])
def test_plain_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "규정.txt"
    path.write_bytes(KO_ACT.encode(encoding))
    doc = load_file(path)
    assert doc.lang == "ko"
    assert doc.doc_id == "규정"
    assert [h[2] for h in headings(doc)] == ["ch-1", "art-1", "art-2", "art-2-1", "art-2-2"]
    assert any("개인정보를 입력해서는 안 된다" in b.text for b in doc.blocks)


def test_pdf_keeps_pages(tmp_path: Path) -> None:
    fpdf = pytest.importorskip("fpdf")
    assert NANUM.exists(), "fonts-nanum is installed by .ci/run"
    pdf = fpdf.FPDF()
    pdf.add_font("Nanum", fname=str(NANUM))
    pdf.set_font("Nanum", size=12)
    for line in KO_ACT.splitlines()[:2]:
        pdf.add_page()
        pdf.multi_cell(0, 8, line)
    path = tmp_path / "act.pdf"
    pdf.output(str(path))
    doc = load_file(path)
    pages = {b.page for b in doc.blocks}
    assert pages == {1, 2}
    assert any("생성형 AI 활용 기준" in b.text and b.page == 2 for b in doc.blocks)


def test_docx_headings(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("생성형 AI 지침", level=1)
    document.add_heading("보안", level=2)
    document.add_paragraph("공무원은 미공표 정보를 입력해서는 안 된다.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "항목"
    table.rows[0].cells[1].text = "점검"
    path = tmp_path / "guide.docx"
    document.save(str(path))
    doc = load_file(path)
    assert headings(doc)[:2] == [(1, "생성형 AI 지침", None), (2, "보안", None)]
    assert doc.title == "생성형 AI 지침"
    assert any(b.text == "항목 | 점검" for b in doc.blocks)


def test_html_main_text_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Guide</title><script>var x=1;</script></head><body><nav>menu</nav><main>"
        "<h1>Guide</h1><h2 id='rules'>Rules</h2><p>Staff must check outputs.</p><ul><li>Item one</li></ul>"
        "</main><footer>foot</footer></body></html>",
        encoding="utf-8",
    )
    doc = load_file(path)
    assert headings(doc) == [(1, "Guide", None), (2, "Rules", "rules")]
    texts = [b.text for b in doc.blocks if b.kind == "text"]
    assert texts == ["Staff must check outputs.", "Item one"]


def test_hwpx_paragraphs_and_headings(tmp_path: Path) -> None:
    from hwpx import HwpxDocument

    document = HwpxDocument.new()
    document.add_heading("제1장 총칙", level=1)
    document.add_paragraph("제1조(목적) 이 지침은 생성형 AI 활용 기준을 정한다.", style="바탕글")
    document.add_heading("보안", level=2)
    document.add_paragraph("공무원은 개인정보를 입력해서는 안 된다.", style="바탕글")
    path = tmp_path / "지침.hwpx"
    document.save_to_path(str(path))
    doc = load_file(path)
    assert headings(doc) == [(1, "제1장 총칙", "ch-1"), (3, "제1조(목적)", "art-1"), (2, "보안", None)]
    assert any(b.text == "공무원은 개인정보를 입력해서는 안 된다." for b in doc.blocks)


def _zip_bomb(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Contents/section0.xml", b"\0" * (300 * 1024 * 1024))
    path.write_bytes(buffer.getvalue())


BAD_FILES = {
    "truncated.pdf": lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog"),
    "empty.md": lambda p: p.write_bytes(b""),
    "binary.txt": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "image.png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n"),
    "notzip.hwpx": lambda p: p.write_bytes(b"this is not a zip"),
    "bomb.hwpx": _zip_bomb,
    "fake.docx": lambda p: p.write_text("plain text pretending", encoding="utf-8"),
    "whitespace.md": lambda p: p.write_text("   \n\n  ", encoding="utf-8"),
    "badyaml.md": lambda p: p.write_text("---\nid: [unclosed\n---\ntext", encoding="utf-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_raise_clear_errors(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    BAD_FILES[name](path)
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(info.value), "the reason is shown to the user"
    if name in ("notzip.hwpx", "fake.docx"):
        assert "not a valid" in str(info.value) and "zip" in str(info.value)
    if name == "bomb.hwpx":
        assert "zip bomb" in str(info.value)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("가" * 2000, encoding="utf-8")
    with pytest.raises(LoadError, match="too large"):
        load_file(path, max_bytes=1000)


def _text_pdf(path: Path, text: str = "Staff must check every output.") -> Path:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def _encrypt(path: Path, user: str, owner: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(path)))
    writer.encrypt(user_password=user, owner_password=owner)
    out = path.with_name("locked-" + path.name)
    with out.open("wb") as handle:
        writer.write(handle)
    return out


def test_password_protected_pdf_says_encrypted_not_corrupt(tmp_path: Path) -> None:
    locked = _encrypt(_text_pdf(tmp_path / "memo.pdf"), user="secret", owner="owner")
    with pytest.raises(LoadError) as info:
        load_file(locked)
    message = str(info.value)
    assert message.startswith("encrypted PDF (password protected)"), message
    assert "corrupt" not in message and "remove the password" in message


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    """An empty user password (only copying or printing restricted) opens without asking."""
    locked = _encrypt(_text_pdf(tmp_path / "memo.pdf"), user="", owner="owner")
    doc = load_file(locked)
    assert any("Staff must check every output." in b.text for b in doc.blocks)


def test_outline_only_hwpx_is_read_with_its_headings(tmp_path: Path) -> None:
    """Every paragraph in an outline style (개요 N): the leaves of the outline are its text."""
    from hwpx import HwpxDocument

    document = HwpxDocument.new()
    document.add_heading("1. 목적", level=1)
    document.add_heading("가. 공무원은 개인정보를 생성형 AI에 입력해서는 안 된다.", level=2)
    document.add_heading("나. 결과물은 직접 확인하여야 한다.", level=2)
    document.add_heading("2. 보안", level=1)
    document.add_heading("가. 비공개 정보는 입력하지 않는다.", level=2)
    path = tmp_path / "개요.hwpx"
    document.save_to_path(str(path))
    doc = load_file(path)
    assert [(h[0], h[1]) for h in headings(doc)] == [
        (1, "1. 목적"), (2, "가. 공무원은 개인정보를 생성형 AI에 입력해서는 안 된다."), (2, "나. 결과물은 직접 확인하여야 한다."),
        (1, "2. 보안"), (2, "가. 비공개 정보는 입력하지 않는다."),
    ]
    texts = [b.text for b in doc.blocks if b.kind == "text"]
    assert texts == ["가. 공무원은 개인정보를 생성형 AI에 입력해서는 안 된다.", "나. 결과물은 직접 확인하여야 한다.", "가. 비공개 정보는 입력하지 않는다."]
    from ingest.chunker import chunk_document

    chunks = chunk_document(doc, 300, 1, "digest")
    assert len(chunks) == 3
    assert "1. 목적" in chunks[0].embed_text and "개인정보를" in chunks[0].text


def test_outline_only_docx_is_read_too(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("1. 목적", level=1)
    document.add_heading("가. 결과물은 직접 확인하여야 한다.", level=2)
    path = tmp_path / "outline.docx"
    document.save(str(path))
    doc = load_file(path)
    assert [b.text for b in doc.blocks if b.kind == "text"] == ["가. 결과물은 직접 확인하여야 한다."]


def test_clean_text_replaces_lone_surrogates_and_drops_controls() -> None:
    from ingest.loaders import clean_text

    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("\ud83d\ude00") == "\U0001f600", "a pair written as two halves is joined"
    assert clean_text("x\x00y\x07z\tw\n") == "xyz\tw\n"
    assert clean_text("가나다") == "가나다"
    clean_text("a\udfff\ud800").encode("utf-8")


def test_lone_surrogate_in_a_json_export_is_cleaned(tmp_path: Path) -> None:
    """A JSON ``\\ud800`` escape decodes to a lone surrogate, which no embedder can encode."""
    source = Path(__file__).parent / "data" / "lawcenter_sample.json"
    raw = source.read_text(encoding="utf-8")
    assert "비공개 자료" in raw
    path = tmp_path / "law.json"
    path.write_text(raw.replace("비공개 자료", "비공개\\ud800 자료", 1), encoding="utf-8")
    doc = load_file(path)
    joined = "\n".join(b.text for b in doc.blocks)
    assert "비공개\ufffd 자료" in joined
    joined.encode("utf-8")


def test_password_protected_docx_says_so(tmp_path: Path) -> None:
    """Office stores an encrypted DOCX as an OLE compound file, not a zip."""
    path = tmp_path / "locked.docx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1024)
    with pytest.raises(LoadError, match="password-protected"):
        load_file(path)
