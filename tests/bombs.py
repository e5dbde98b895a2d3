"""Decompression bombs and heavy-but-valid files, built at test time (nothing binary is checked in)."""

from __future__ import annotations

import base64
import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

MB = 1024 * 1024


def _docx_parts() -> dict[str, bytes]:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("x")
    document.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_with_body(path: Path, parts: dict[str, bytes], name: str, opener: bytes, closer_after: bytes,
                     blocks: object, level: int = 6) -> None:
    """Copy ``parts`` into a zip, streaming part ``name`` as opener + every block + the rest."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        for part, data in parts.items():
            if part != name:
                out.writestr(part, data)
                continue
            head, tail = data.split(opener, 1)
            with out.open(part, "w", force_zip64=True) as stream:
                stream.write(head + opener)
                for block in blocks:  # type: ignore[attr-defined]
                    stream.write(block)
                stream.write(closer_after + tail)


def _bomb_blocks(unpacked: int, noise: int, open_tag: bytes = b"<w:p><w:r><w:t>", close_tag: bytes = b"</w:t></w:r></w:p>") -> object:
    """About ``unpacked`` bytes of repeated text elements (WordprocessingML paragraphs unless the tags
    say otherwise); ``noise`` random bytes a MB set the packed size."""
    rng = random.Random(14)
    para = (open_tag + "가나 rule text".encode() + close_tag) * 16384
    written = 0
    while written < unpacked:
        block = para + open_tag + base64.b64encode(rng.randbytes(noise)) + close_tag
        written += len(block)
        yield block


def docx_bomb(path: Path, unpacked: int = 190_000_000) -> Path:
    """The issue's bomb: a DOCX of about 760 KB whose document.xml unpacks to about 190 MB."""
    _write_with_body(path, _docx_parts(), "word/document.xml", b"<w:body>", b"", _bomb_blocks(unpacked, 730))
    return path


def heavy_docx(path: Path, unpacked: int) -> Path:
    """A valid DOCX, within every expansion limit, that is slow and memory-hungry to parse."""
    rng = random.Random(7)

    def blocks() -> object:
        written = 0
        while written < unpacked:
            block = b"".join(b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % base64.b32encode(rng.randbytes(5)) for _ in range(2000))
            written += len(block)
            yield block

    _write_with_body(path, _docx_parts(), "word/document.xml", b"<w:body>", b"", blocks(), level=1)
    return path


def hwpx_bomb(path: Path, unpacked: int = 190_000_000) -> Path:
    """An HWPX whose Contents/section0.xml unpacks to about 190 MB (the same shape of bomb)."""
    from hwpx import HwpxDocument

    document = HwpxDocument.new()
    document.add_paragraph("본문", style="바탕글")
    base = path.with_suffix(".base.hwpx")
    document.save_to_path(str(base))
    with zipfile.ZipFile(base) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    section = next(n for n in parts if n.lower().startswith("contents/section0"))
    closing = parts[section].rsplit(b"</", 1)
    parts[section] = closing[0] + b"<!--BOMB-->" + b"</" + closing[1]
    _write_with_body(path, parts, section, b"<!--BOMB-->", b"", _bomb_blocks(unpacked, 730))
    base.unlink()
    return path


def _xlsx_parts() -> dict[str, bytes]:
    import openpyxl

    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "x"
    workbook.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx_bomb(path: Path, unpacked: int = 190_000_000) -> Path:
    """The DOCX bomb's XLSX twin: about 760 KB whose xl/worksheets/sheet1.xml unpacks to about 190 MB."""
    _write_with_body(path, _xlsx_parts(), "xl/worksheets/sheet1.xml", b"<sheetData>", b"", _bomb_blocks(unpacked, 730, b'<row><c t="inlineStr"><is><t>', b"</t></is></c></row>"))
    return path


def _xlsx_with_part(path: Path, name: str, content_type: str, body: object) -> Path:
    """The small workbook plus part ``name`` streamed from ``body``'s blocks (listed in the content types)."""
    parts = _xlsx_parts()
    if content_type:
        override = f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>'.encode()
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", override)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for part, data in parts.items():
            if part != name:
                out.writestr(part, data)
        with out.open(name, "w", force_zip64=True) as stream:
            for block in body:  # type: ignore[attr-defined]
                stream.write(block)
    return path


def xlsx_shared_strings(path: Path, strings: int = 1_500_000) -> Path:
    """A 10 MB XLSX, within every zip limit, whose shared-string table lists ``strings`` distinct
    strings (openpyxl builds the whole table first: 1.5 million took 23 s and 290 MB)."""
    rng = random.Random(21)

    def body() -> object:
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        for _ in range(0, strings, 10_000):
            yield b"".join(b"<si><t>%s</t></si>" % base64.b32encode(rng.randbytes(5)) for _ in range(10_000))
        yield b"</sst>"

    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    return _xlsx_with_part(path, "xl/sharedStrings.xml", content_type, body())


def xlsx_styles(path: Path, formats: int = 500_000) -> Path:
    """A 4 MB XLSX, within every zip limit, whose styles.xml lists ``formats`` cell formats (Excel
    stops at 64,000; openpyxl took 22 s and 1 GB for 500,000)."""
    rng = random.Random(22)
    original = _xlsx_parts()["xl/styles.xml"]
    head, tail = original.split(b"<cellXfs", 1)
    tail = tail.split(b">", 1)[1]

    def body() -> object:
        yield head + b'<cellXfs count="%d">' % formats
        for _ in range(0, formats, 10_000):
            yield b"".join(b'<xf numFmtId="0" fontId="0" fillId="%d" borderId="%d" xfId="0"/>'
                           % (rng.randrange(99_999), rng.randrange(99_999)) for _ in range(10_000))
        yield tail

    return _xlsx_with_part(path, "xl/styles.xml", "", body())


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, raw deflate data, crc, declared size) entries, the sizes as given."""
    body, central = b"", b""
    for name, data, crc, size in members:
        encoded = name.encode()
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, len(body)) + encoded
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0) + encoded + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0)
    return body + central + end


def _deflate(chunks: object) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()  # type: ignore[attr-defined]


def docx_liar(path: Path, inflated: int = 300 * MB) -> Path:
    """A DOCX whose document.xml declares 1 KB but inflates to ``inflated`` bytes (CRC of the first KB).

    ``zipfile.ZipFile.read`` inflates such a member in one call before it cuts the output to the
    declared size: 300 MB declared as 1 KB peaked at 614 MB of memory.
    """
    members = []
    for name, data in _docx_parts().items():
        if name == "word/document.xml":
            raw = _deflate(b"<" * MB for _ in range(inflated // MB))
            members.append((name, raw, zlib.crc32(b"<" * 1024), 1024))
        else:
            members.append((name, _deflate([data]), zlib.crc32(data), len(data)))
    path.write_bytes(_raw_zip(members))
    return path


def docx_entities(path: Path) -> Path:
    """A small DOCX whose document.xml is a billion-laughs entity bomb."""
    parts = _docx_parts()
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE w:document [" + "".join(lol) + "]>"
    xml = parts["word/document.xml"].decode()
    head, rest = xml.split("?>", 1)
    parts["word/document.xml"] = (head + "?>" + doctype + rest.replace(">x<", ">&lol9;<", 1)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies numbered 1..n (object 1 the catalog), with a correct xref table."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"


def _content(inflated: int) -> bytes:
    """A zlib stream of ``inflated`` bytes (one text-drawing line, then blanks), built in well under a
    second: one fully flushed deflate segment of 1 MB of blanks is repeated, which is valid deflate."""
    line = b"BT /F1 12 Tf 72 720 Td (A) Tj ET\n"
    blanks = b" " * MB
    packer = zlib.compressobj(9)
    head = packer.compress(line) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(blanks) + packer.flush(zlib.Z_FULL_FLUSH)
    count = max(1, (inflated - len(line)) // MB)
    check = zlib.adler32(line)
    for _ in range(count):
        check = zlib.adler32(blanks, check)
    return head + segment * count + b"\x03\x00" + struct.pack(">L", check)


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_flate_bomb(path: Path, inflated: int = 1024 * MB) -> Path:
    """A one-page PDF whose content stream is a FlateDecode stream inflating to ``inflated`` bytes."""
    path.write_bytes(_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(_content(inflated)),
        _FONT,
    ]))
    return path


def pdf_many_streams(path: Path, streams: int = 5, each: int = 60 * MB) -> Path:
    """Pages whose content streams each stay under the per-stream limit but together go far over."""
    data = _stream(_content(each))
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(streams))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, streams)]
    font = 3 + 2 * streams
    for i in range(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font))
        objects.append(data)
    objects.append(_FONT)
    path.write_bytes(_pdf(objects))
    return path


def pdf_many_pages(path: Path, pages: int = 6000) -> Path:
    """A small PDF with more pages than one document may have; they share one content stream."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        _stream(zlib.compress(b"BT /F1 12 Tf 72 720 Td (page) Tj ET")),
        _FONT,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"] * pages
    path.write_bytes(_pdf(objects))
    return path


def assert_refused_quickly(path: Path, cause: str, measure: object) -> None:
    """A bomb is refused for ``cause`` in under 5 s and 500 MB peak, measured in a fresh process."""
    got = measure(path)  # type: ignore[operator]
    print(f"\n{path.name}: {path.stat().st_size / 1024:,.0f} KB refused in {got['seconds']:.2f} s, peak {got['peak_mb']:.0f} MB: {got['error']}")
    assert got["error"] and cause in str(got["error"]) and "refused" in str(got["error"]), got
    assert float(got["seconds"]) < 5.0, got
    assert float(got["peak_mb"]) < 500, got


def unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist())
