"""Excel workbooks (.xlsx) through openpyxl, read-only and bounded.

Each worksheet becomes one section headed by the sheet's name; each row with content becomes one
line of text, its cells joined by `` | `` (empty trailing cells dropped, empty rows skipped, the
columns left empty in every row trimmed on the left).  A first row of column names stays the
first line, as written.  Formulas give their saved values (``data_only``); rows are not searched
for legal headings (a row of a checklist that mentions 제3조 is still a row).

Before openpyxl opens the file, it is identified (a password-protected workbook is an OLE file
holding an ``EncryptedPackage``, not a zip; a truncated download is a zip without its directory)
and the zip container goes through the expansion check every office format shares
(:func:`ingest.limits.check_zip`).  Then what openpyxl would build is counted in the raw XML, in
bounded pieces: the cells of every worksheet and the shared strings against
:data:`~ingest.limits.MAX_XLSX_CELLS`, the elements of the parts it parses whole (styles, workbook,
relationships) against :data:`~ingest.limits.MAX_XLSX_PART_ELEMENTS`.  While reading, the cells
and rows stepped through and the text gathered are counted again (against ``MAX_XLSX_CELLS``,
:data:`~ingest.limits.MAX_XLSX_ROWS` and :data:`~ingest.limits.MAX_TEXT_CHARS`): a sheet's
declared dimension is not trusted, and a row is padded with empty cells up to its last one.  XML parts declared in a legacy encoding (EUC-KR/CP949 from
older Korean exporters), which openpyxl's worksheet parser cannot read, are read from a UTF-8
copy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ingest.documents import Block, LoadedDocument
from ingest.limits import MAX_XLSX_CELLS, MAX_XLSX_PART_ELEMENTS, MAX_XLSX_ROWS, check_text_size, check_zip
from ingest.loaders import LoadError, _document

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_REDECLARE = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._\-]+(["'])""")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")  # a start tag's local name
# Parts openpyxl builds whole in memory before the first row is read (read-only mode, links not kept);
# worksheets are streamed and counted by cell, and drawings, charts and pivot caches are never parsed.
_UPFRONT = {b"styleSheet", b"workbook", b"Types", b"Relationships", b"coreProperties", b"Properties", b"chartsheet"}
_PIECE = 1 << 20
_UNICODE = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be"}
_KOREAN = {"euc-kr", "euc_kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "cp949", "ms949", "uhc"}
_TOO_MANY_CELLS = (f"refused: the XLSX workbook has more than {MAX_XLSX_CELLS:,} cells (limit {MAX_XLSX_CELLS:,}); "
                   "split it, or save the sheets that matter as a workbook of their own")
_ENCRYPTED = ("encrypted XLSX (password protected): open it in Excel, remove the password "
              "(File > Info > Protect Workbook) and ingest the unprotected copy")


def load_xlsx(path: Path) -> LoadedDocument:
    """Load an Excel workbook: one section per worksheet, one line per row.

    Raises:
        LoadError: encrypted, an .xls under an .xlsx name, corrupt or truncated, a zip bomb,
            more cells or rows than the limits, or a part that cannot be decoded.
    """
    _identify(path)
    check_zip(path, "XLSX")
    import openpyxl

    blocks: list[Block] = []
    counts = {"cells": 0, "rows": 0, "chars": 0}
    with _readable(path) as source, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True, keep_links=False)
        try:
            for sheet in workbook.worksheets:
                lines = _sheet_lines(sheet, counts)
                if lines:
                    blocks.append(Block("heading", str(sheet.title).strip() or "Sheet", 1))
                    blocks.append(Block("text", "\n".join(lines)))
            title = str(workbook.properties.title or "").strip()
        finally:
            workbook.close()
    return _document(path, blocks, {"title": title} if title else {}, "xlsx")


def _identify(path: Path) -> None:
    """LoadError for what is not a readable zip: encrypted, an old .xls, truncated or not Office."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        raise LoadError(_ole_reason(path))
    if not head.startswith(_ZIP_MAGIC):
        raise LoadError("not a valid XLSX file (not a zip container); a file wrapped by document-security (DRM) "
                        "software looks like this: export an unprotected copy")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LoadError(f"corrupt XLSX file: its zip container is truncated or damaged ({exc}); "
                        "an incomplete download or copy? save or download it again") from exc
    if "[Content_Types].xml" not in names:
        raise LoadError("not a valid XLSX file (a zip without the [Content_Types].xml part of Office files)")


def _ole_reason(path: Path) -> str:
    """Why an OLE compound file under an .xlsx name cannot be read."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception:  # noqa: BLE001 - a damaged compound file: say what it most likely is
        streams = set()
    if {"EncryptedPackage", "EncryptionInfo"} & streams:
        return _ENCRYPTED
    if {"Workbook", "Book"} & streams:
        return "an Excel 97-2003 workbook (.xls) under an .xlsx name: open it in Excel and save it as .xlsx"
    return ("encrypted or damaged XLSX: an OLE compound file, not a zip container (Excel stores a "
            "password-protected workbook this way); remove the password and save it as .xlsx again")


def _sheet_lines(sheet: Any, counts: dict[str, int]) -> list[str]:
    """The sheet's rows with content as lines, counting cells, rows and text against the limits."""
    sheet.reset_dimensions()  # the declared <dimension> may claim a million rows: read what is there
    rows: list[list[str]] = []
    for values in sheet.iter_rows(values_only=True):
        counts["rows"] += 1
        counts["cells"] += len(values)
        if counts["cells"] > MAX_XLSX_CELLS:  # the XML held fewer (counted before): empty cells padded in
            raise LoadError(f"refused: the XLSX workbook's rows span more than {MAX_XLSX_CELLS:,} cells (limit "
                            f"{MAX_XLSX_CELLS:,}; a row spans every column up to its last filled cell); "
                            "delete the stray cells far to the right, or split the workbook")
        if counts["rows"] > MAX_XLSX_ROWS:
            raise LoadError(f"refused: the XLSX workbook has more than {MAX_XLSX_ROWS:,} rows (limit {MAX_XLSX_ROWS:,})")
        cells = [_cell_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(cells)
            counts["chars"] += sum(len(c) + 3 for c in cells)
            check_text_size(counts["chars"])
    if not rows:
        return []
    skip = min(next(i for i, c in enumerate(cells) if c) for cells in rows)  # columns empty in every row
    return [" | ".join(cells[skip:]) for cells in rows]


def _cell_text(value: object) -> str:
    """A cell's saved value as one line of text ('' for empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return " ".join(str(value).split())


@contextmanager
def _readable(path: Path) -> Iterator[Path]:
    """``path``, or a copy whose XML parts declared in a legacy encoding are re-encoded as UTF-8;
    LoadError when a part that openpyxl builds whole in memory is over the limits.

    Called after :func:`ingest.limits.check_zip`, so every part inflates to what it declares.
    """
    with zipfile.ZipFile(path) as archive:
        legacy = _survey(archive)
        if not legacy:
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="guidebot-xlsx-") as folder:
            copy = Path(folder) / "utf8.xlsx"
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
                for info in archive.infolist():
                    if info.filename in legacy:
                        out.writestr(info.filename, _to_utf8(archive.read(info), legacy[info.filename], info.filename))
                        continue
                    with archive.open(info) as src, out.open(info.filename, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            yield copy


def _survey(archive: zipfile.ZipFile) -> dict[str, str]:
    """The XML parts declared in a legacy encoding (name -> encoding), after counting what the
    parts read up front hold: the shared strings against the cell limit, the elements of the
    others (a 4 MB file whose styles.xml listed 500,000 cell formats took 22 s and 1 GB), and the
    cells of the worksheets (openpyxl reads about 35,000 cells a second here)."""
    legacy: dict[str, str] = {}
    cells = 0
    for info in archive.infolist():
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels")):
            continue
        with archive.open(info) as part:
            head = part.read(_PIECE)
            declared = _DECLARATION.match(head)
            if declared and declared.group(2).decode().lower() not in _UNICODE:
                legacy[info.filename] = declared.group(2).decode()
            root = _TAG.search(head)
            name = root.group(1) if root else b""
            if name == b"worksheet":  # counted before parsing too, so that a flood is refused at once
                cells += _count(part, head, info.filename, b"c", MAX_XLSX_CELLS - cells, "cells")
            elif name == b"sst":
                _count(part, head, info.filename, b"si", MAX_XLSX_CELLS, "shared strings")
            elif name in _UPFRONT:
                _count(part, head, info.filename, None, MAX_XLSX_PART_ELEMENTS, "XML elements")
    return legacy


def _count(part: Any, data: bytes, name: str, tag: bytes | None, limit: int, what: str) -> int:
    """The start tags (only ``tag`` when given) of a part, counted in pieces; LoadError over ``limit``."""
    total, carry = 0, b""
    while data:
        data = carry + data
        cut = data.rfind(b"<")
        if cut <= 0:
            cut = len(data)
        names = _TAG.findall(data, 0, cut)
        total += names.count(tag) if tag is not None else len(names)
        if total > limit:
            if tag == b"c":
                raise LoadError(_TOO_MANY_CELLS)
            raise LoadError(f"refused: the XLSX part {name} holds more than {limit:,} {what} (limit {limit:,}), "
                            "more than a workbook within the limits uses")
        carry = data[cut:]
        data = part.read(_PIECE)
    return total


def _to_utf8(data: bytes, encoding: str, name: str) -> bytes:
    codec = "cp949" if encoding.lower() in _KOREAN else encoding  # CP949 is EUC-KR with every Hangul syllable
    try:
        text = data.decode(codec)
    except LookupError as exc:
        raise LoadError(f"the XLSX part {name} declares an unknown text encoding '{encoding}'") from exc
    except UnicodeDecodeError as exc:
        raise LoadError(f"corrupt XLSX file: the part {name} is not valid {encoding} text") from exc
    return _REDECLARE.sub(r"\1UTF-8\2", text.lstrip("\ufeff"), count=1).encode("utf-8")
