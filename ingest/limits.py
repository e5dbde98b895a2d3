"""Expansion checks made before a parser opens a container file, and the text a file may yield.

A 760 KB DOCX can unpack to 190 MB of XML, and a 1 MB PDF can hold a FlateDecode stream that
inflates to gigabytes; python-docx, python-hwpx and pypdf would build all of it in memory.  So a
zip container (DOCX, HWPX) and a PDF's streams are measured first, by inflating them in bounded
pieces that are counted and dropped (memory stays flat), and refused with a :class:`LoadError`
that says why.

The sizes a zip directory declares are not trusted: each member is inflated and counted, because
``zipfile.ZipFile.read`` inflates a whole member in one call before it cuts the output to the
declared size (a member declaring 1 KB that inflates to 300 MB peaked at 614 MB here).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

MB = 1024 * 1024
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_UNPACKED = 200 * MB  # all members together
MAX_XML_PART = 40 * MB  # one XML part (a real 500-page DOCX has about 10 MB of document.xml)
MAX_ZIP_RATIO = 200  # unpacked : packed, over the whole archive (real DOCX/HWPX: 3-30)
MAX_PDF_PAGES = 5_000
MAX_PDF_STREAM = 64 * MB  # one decoded content, form or font stream (pypdf's own cap is 75 MB)
MAX_PDF_DECODED = 256 * MB  # all non-image streams together
MAX_TEXT_CHARS = 20_000_000  # text extracted from one file
MAX_XLSX_CELLS = 200_000  # cells an XLSX loader reads (padding within a row included) before it refuses
MAX_XLSX_ROWS = 2_000_000  # rows it steps through, empty ones included (a stray cell at row 1,048,576 is one sheet)
MAX_XLSX_PART_ELEMENTS = 200_000  # elements of an XLSX part built whole in memory (styles: Excel stops at 64,000 formats)
_PIECE = 1 * MB
_XML_PROLOG = 1 * MB  # where a DOCTYPE or ENTITY declaration would have to be
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


class ExpansionError(Exception):
    """A container that would expand beyond the limits (raised as LoadError by the loaders)."""


def check_zip(path: Path, kind: str) -> None:
    """Refuse a zip container that is not a zip or that would expand beyond the limits.

    Args:
        path: the file.
        kind: the format's name for messages ("DOCX", "HWPX").

    Raises:
        ExpansionError: not a zip, too many members, too large or too compressible unpacked,
            a member larger than its directory entry says, or an XML part with a DTD.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_directory(infos, kind)
            with path.open("rb") as handle:
                _check_members(handle, infos, kind)
    except zipfile.BadZipFile as exc:
        with path.open("rb") as handle:
            if handle.read(8) == _OLE_MAGIC:  # how Office stores a password-protected DOCX
                raise ExpansionError(
                    f"not a {kind} zip container but an OLE compound file: a password-protected (encrypted) "
                    f"document or an older binary format; remove the password or save it as {kind} again"
                ) from exc
        raise ExpansionError(f"not a valid {kind} file (not a zip container: {exc})") from exc
    except (OSError, EOFError, struct.error, zlib.error) as exc:
        raise ExpansionError(f"corrupt {kind} file: its zip container cannot be read ({exc})") from exc


def _check_directory(infos: list[zipfile.ZipInfo], kind: str) -> None:
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ExpansionError(f"refused: the {kind} file holds {len(infos):,} parts (limit {MAX_ZIP_MEMBERS:,}), likely a zip bomb")
    total = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if total > MAX_ZIP_UNPACKED or (total > MB and total / packed > MAX_ZIP_RATIO):
        raise ExpansionError(
            f"refused: the {kind} file expands to {total / MB:,.0f} MB (ratio {total / packed:,.0f}:1; limits "
            f"{MAX_ZIP_UNPACKED // MB} MB, {MAX_ZIP_RATIO}:1), likely a zip bomb"
        )
    for info in infos:
        if _is_xml(info.filename) and info.file_size > MAX_XML_PART:
            raise ExpansionError(
                f"refused: the {kind} part {info.filename} is {info.file_size / MB:,.0f} MB of XML "
                f"(limit {MAX_XML_PART // MB} MB), likely a zip bomb"
            )


def _check_members(handle: Any, infos: list[zipfile.ZipInfo], kind: str) -> None:
    """Inflate every member in bounded pieces: its real size must match its directory entry."""
    budget = MAX_ZIP_UNPACKED
    for info in infos:
        if info.is_dir() or info.compress_type == zipfile.ZIP_STORED:
            continue  # stored: its size on disk is its size
        if info.compress_type != zipfile.ZIP_DEFLATED:
            raise ExpansionError(f"refused: the {kind} part {info.filename} uses an unusual compression method ({info.compress_type})")
        handle.seek(info.header_offset)
        header = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        if header[0] != b"PK\x03\x04":
            raise ExpansionError(f"corrupt {kind} file: the zip entry for {info.filename} is damaged")
        handle.seek(header[9] + header[10], 1)  # file name and extra field
        limit = min(info.file_size, budget)
        size = _inflate_size(handle, info.compress_size, limit + 1, prolog=_is_xml(info.filename))
        if size > info.file_size:
            raise ExpansionError(
                f"refused: the {kind} part {info.filename} inflates beyond the {info.file_size:,} bytes its zip entry "
                "declares, a zip bomb technique"
            )
        budget -= size


def _inflate_size(handle: Any, packed: int, cap: int, prolog: bool) -> int:
    """Bytes that ``packed`` raw-deflate bytes inflate to, counting no further than ``cap``.

    With ``prolog``, the start of the output (an XML part's prolog) must declare no DTD or entity:
    neither OOXML nor OWPML uses one, and entity expansion is the XML form of a bomb.
    """
    inflater = zlib.decompressobj(-15)
    size, head = 0, b""
    left = packed
    while left > 0 and size < cap:
        data = handle.read(min(left, _PIECE))
        if not data:
            break
        left -= len(data)
        while data and size < cap:
            out = inflater.decompress(data, _PIECE)
            data = inflater.unconsumed_tail
            size += len(out)
            if prolog and len(head) < _XML_PROLOG:
                head += out[: _XML_PROLOG - len(head)]
            if not out and not data:
                break
    if prolog and (b"<!DOCTYPE" in head or b"<!ENTITY" in head):
        raise ExpansionError("refused: an XML part declares a DTD or entities (not used by office files; an entity-expansion bomb?)")
    return size


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".hpf"))


def check_pdf(reader: Any) -> None:
    """Refuse a PDF with too many pages or streams that inflate beyond the limits.

    ``reader`` is an opened (and, if need be, decrypted) ``pypdf.PdfReader``.  Every FlateDecode
    stream that text extraction may decode (page contents, forms, fonts, character maps; images
    are skipped, text extraction never decodes them) is inflated in bounded pieces and counted.

    Raises:
        ExpansionError: the page count or a stream's decoded size is over its limit.
    """
    from pypdf.errors import LimitReachedError
    from pypdf.generic import IndirectObject, StreamObject

    pages = len(reader.pages)
    if pages > MAX_PDF_PAGES:
        raise ExpansionError(f"refused: the PDF has {pages:,} pages (limit {MAX_PDF_PAGES:,})")
    total = 0
    for generation, entries in list(reader.xref.items()):
        for idnum in list(entries):
            try:
                obj = reader.get_object(IndirectObject(idnum, generation, reader))
            except LimitReachedError as exc:  # an object stream that inflates beyond pypdf's cap
                raise ExpansionError(f"refused: a PDF object stream inflates beyond the reader's limit ({exc})") from exc
            except Exception:  # noqa: BLE001 - a damaged object: text extraction decides what it can read
                continue
            if not isinstance(obj, StreamObject) or obj.get("/Subtype") == "/Image":
                continue
            filters = obj["/Filter"] if "/Filter" in obj else None
            first = filters[0] if isinstance(filters, list) and filters else filters
            if first not in ("/FlateDecode", "/Fl"):
                continue  # pypdf caps the other decoders itself (75 MB each)
            size = _inflate_bytes(bytes(obj._data), MAX_PDF_STREAM + 1)
            if size > MAX_PDF_STREAM:
                raise ExpansionError(
                    f"refused: a PDF stream (object {idnum}) inflates to more than {MAX_PDF_STREAM // MB} MB, "
                    "likely a decompression bomb"
                )
            total += size
            if total > MAX_PDF_DECODED:
                raise ExpansionError(f"refused: the PDF's streams inflate to more than {MAX_PDF_DECODED // MB} MB together")


def _inflate_bytes(data: bytes, cap: int) -> int:
    """Bytes a zlib stream inflates to, counting no further than ``cap``; 0 when it is not zlib."""
    inflater = zlib.decompressobj()
    size = 0
    try:
        while data and size < cap:
            size += len(inflater.decompress(data, _PIECE))
            data = inflater.unconsumed_tail
    except zlib.error:
        return size  # a damaged stream: pypdf decides what it can read of it
    return size


def check_text_size(chars: int) -> None:
    """Refuse a file whose extracted text is beyond what one file may hold."""
    if chars > MAX_TEXT_CHARS:
        raise ExpansionError(f"refused: the file yields {chars:,} characters of text (limit {MAX_TEXT_CHARS:,}); split the document")
