"""Build small HWP 5 files for the tests, at run time (no binary is checked in).

No library writes HWP 5, so this writes one by hand: an OLE compound file (MS-CFB version 3,
512-byte sectors, small streams in the mini stream) holding the streams a reader needs:

* ``FileHeader``: 256 bytes, the signature ``HWP Document File``, the version and the property
  flags (bit 0 compressed, bit 1 password);
* ``DocInfo``: a DOCUMENT_PROPERTIES record giving the number of sections;
* ``BodyText/Section0``: PARA_HEADER / PARA_TEXT records (UTF-16LE text), raw-deflate compressed,
  with a table whose cells are paragraphs of their own (as Hangul stores them).

The text is our own invented guideline, not any real document.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

# --- MS-CFB (compound file) writer ----------------------------------------------------------------

_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_SECTOR = 512
_MINI = 64
_CUTOFF = 4096
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _cfb_key(name: str) -> tuple[int, str]:
    return (len(name), name.upper())  # the order CFB keeps siblings in


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams`` (paths such as ``"BodyText/Section0"``)."""
    # Directory entries: [name, type, data, children]; type 5 root, 1 storage, 2 stream.
    root: dict = {"name": "Root Entry", "type": 5, "data": b"", "children": {}}
    for path, data in streams.items():
        node = root
        parts = path.split("/")
        for part in parts[:-1]:
            node = node["children"].setdefault(part, {"name": part, "type": 1, "data": b"", "children": {}})
        node["children"][parts[-1]] = {"name": parts[-1], "type": 2, "data": data, "children": {}}

    entries: list[dict] = []

    def number(node: dict) -> int:
        node["index"] = len(entries)
        entries.append(node)
        kids = sorted(node["children"].values(), key=lambda n: _cfb_key(n["name"]))
        for kid in kids:
            number(kid)
        # A valid (if unbalanced) binary search tree: each sibling hangs off the previous one's right.
        node["child"] = kids[0]["index"] if kids else _NOSTREAM
        for a, b in zip(kids, kids[1:], strict=False):
            a["right"] = b["index"]
        return node["index"]

    number(root)

    # Small streams go to the mini stream (64-byte mini sectors chained by the mini FAT).
    ministream = bytearray()
    minifat: list[int] = []
    for entry in entries:
        data = entry["data"]
        if entry["type"] == 2 and len(data) < _CUTOFF:
            if not data:
                entry["start"] = _END
                continue
            first = len(minifat)
            count = -(-len(data) // _MINI)
            minifat.extend(range(first + 1, first + count))
            minifat.append(_END)
            entry["start"] = first
            ministream += data + b"\0" * (count * _MINI - len(data))

    big = [e for e in entries if e["type"] == 2 and len(e["data"]) >= _CUTOFF]
    n_dir = -(-len(entries) * 128 // _SECTOR)
    n_minifat = -(-len(minifat) * 4 // _SECTOR)
    n_mini = -(-len(ministream) // _SECTOR)
    n_big = [-(-len(e["data"]) // _SECTOR) for e in big]
    payload = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (_SECTOR // 4) < payload + n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("fixture too large for a header-only DIFAT")

    fat: list[int] = [_FATSECT] * n_fat
    sectors: list[bytes] = []

    def place(data: bytes, count: int) -> int:
        start = n_fat + len(sectors)
        for i in range(count):
            sectors.append(data[i * _SECTOR : (i + 1) * _SECTOR].ljust(_SECTOR, b"\0"))
            fat.append(start + i + 1 if i < count - 1 else _END)
        return start if count else _END

    dir_bytes = bytearray()
    for entry in entries:
        name = entry["name"].encode("utf-16-le") + b"\0\0"
        start = entry.get("start", 0)
        size = len(entry["data"]) if entry["type"] == 2 else 0
        dir_bytes += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            entry["type"],
            1,  # black
            entry.get("left", _NOSTREAM),
            entry.get("right", _NOSTREAM),
            entry["child"],
            b"\0" * 16,
            0,
            0,
            0,
            start,
            size,
        )
    while len(dir_bytes) % _SECTOR:  # unused entries
        dir_bytes += b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM) + b"\0" * 48
    first_dir = place(bytes(dir_bytes), n_dir)
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_bytes += struct.pack("<I", _FREE) * ((n_minifat * _SECTOR - len(minifat_bytes)) // 4)
    first_minifat = place(minifat_bytes, n_minifat)
    mini_start = place(bytes(ministream), n_mini)
    big_starts = [place(e["data"], n) for e, n in zip(big, n_big, strict=True)]

    # Patch the root entry (mini stream container) and the big streams' start sectors.
    def patch(index: int, start: int, size: int) -> None:
        offset = index * 128 + 116
        sector, within = divmod(offset, _SECTOR)
        raw = bytearray(sectors[first_dir - n_fat + sector])
        struct.pack_into("<IQ", raw, within, start, size)
        sectors[first_dir - n_fat + sector] = bytes(raw)

    patch(root["index"], mini_start if ministream else _END, len(ministream))
    for entry, start in zip(big, big_starts, strict=True):
        patch(entry["index"], start, len(entry["data"]))

    fat += [_FREE] * (n_fat * (_SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    difat = list(range(n_fat)) + [_FREE] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        _MAGIC,
        b"\0" * 16,
        0x003E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        n_fat,
        first_dir,
        0,
        _CUTOFF,
        first_minifat if n_minifat else _END,
        n_minifat,
        _END,
        0,
    ) + struct.pack("<109I", *difat)
    assert len(header) == _SECTOR
    return header + fat_bytes + b"".join(sectors)


# --- HWP 5 records --------------------------------------------------------------------------------

TAG_DOCUMENT_PROPERTIES = 16
TAG_PARA_HEADER = 66
TAG_PARA_TEXT = 67
TAG_PARA_CHAR_SHAPE = 68
TAG_CTRL_HEADER = 71
TAG_LIST_HEADER = 72
TAG_TABLE = 77

FLAG_COMPRESSED = 1 << 0
FLAG_PASSWORD = 1 << 1


def _record(tag: int, level: int, payload: bytes) -> bytes:
    size = len(payload)
    if size >= 0xFFF:
        return struct.pack("<II", tag | (level << 10) | (0xFFF << 20), size) + payload
    return struct.pack("<I", tag | (level << 10) | (size << 20)) + payload


def _chid(name: str) -> int:
    a, b, c, d = (ord(ch) for ch in name)
    return (a << 24) | (b << 16) | (c << 8) | d


def _control(code: int, name: str) -> bytes:
    """An 8-WCHAR extended control inside paragraph text (section definition, table...)."""
    return struct.pack("<HI8sH", code, _chid(name), b"\0" * 8, code)


def _paragraph(text: str, level: int = 0, prefix: bytes = b"") -> bytes:
    body = prefix + text.encode("utf-16-le") + b"\r\0"
    header = struct.pack("<IIHBBHHHIH", len(body) // 2, 0, 0, 0, 0, 1, 0, 1, 0, 0)
    return (
        _record(TAG_PARA_HEADER, level, header)
        + _record(TAG_PARA_TEXT, level + 1, body)
        + _record(TAG_PARA_CHAR_SHAPE, level + 1, struct.pack("<II", 0, 0))
    )


def _table(rows: list[list[str]]) -> bytes:
    """A paragraph holding a table control, then each cell as a list of one paragraph."""
    out = _paragraph("", 0, _control(11, "tbl "))
    out += _record(TAG_CTRL_HEADER, 1, struct.pack("<I", _chid("tbl ")) + b"\0" * 40)
    out += _record(TAG_TABLE, 2, struct.pack("<IHH", 0, len(rows), len(rows[0])) + b"\0" * 14)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            out += _record(TAG_LIST_HEADER, 2, struct.pack("<hIHHHHII", 1, 0, c, r, 1, 1, 4000, 1000) + b"\0" * 12)
            out += _paragraph(cell, 2)
    return out


SAMPLE_PARAGRAPHS = [
    "생성형 인공지능 업무 활용 지침",
    "제1장 총칙",
    "제1조(목적) 이 지침은 소속 직원이 생성형 인공지능을 업무에 쓰는 기준을 정한다.",
    "제2조(입력 제한)",
    "① 직원은 비공개 정보와 개인정보를 생성형 인공지능에 입력해서는 아니 된다.",
    "② 생성된 결과물은 담당자가 사실관계를 확인한 뒤에 사용하여야 한다.",
    "제3조(점검) 부서장은 분기마다 다음 표에 따라 활용 실태를 점검한다.",
]
SAMPLE_TABLE = [["점검 항목", "확인"], ["비공개 정보 입력 여부", "분기별"]]


def hwp_bytes(
    paragraphs: list[str] | None = None,
    table: list[list[str]] | None = None,
    *,
    password: bool = False,
    compressed: bool = True,
    cut_body: bool = False,
) -> bytes:
    """An HWP 5 document with ``paragraphs`` (and ``table`` after them) in one section.

    ``password`` sets the password flag; ``cut_body`` cuts the compressed body stream in half.
    """
    paragraphs = SAMPLE_PARAGRAPHS if paragraphs is None else paragraphs
    table = SAMPLE_TABLE if table is None else table
    flags = (FLAG_COMPRESSED if compressed else 0) | (FLAG_PASSWORD if password else 0)
    file_header = struct.pack("<32sII", b"HWP Document File", 0x05000300, flags).ljust(256, b"\0")
    doc_info = _record(TAG_DOCUMENT_PROPERTIES, 0, struct.pack("<7H3I", 1, 1, 1, 1, 1, 1, 1, 0, 0, 0))
    section = b""
    for n, text in enumerate(paragraphs):
        # The first paragraph of a section opens with the section and column definitions.
        prefix = _control(2, "secd") + _control(2, "cold") if n == 0 else b""
        section += _paragraph(text, 0, prefix)
    if table:
        section += _table(table)

    def pack(data: bytes) -> bytes:
        if not compressed:
            return data
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as Hangul writes it
        return deflater.compress(data) + deflater.flush()

    body = pack(section)
    if cut_body:
        body = body[: len(body) // 2]
    return write_cfb({"FileHeader": file_header, "DocInfo": pack(doc_info), "BodyText/Section0": body})


def write_hwp(path: Path, **kwargs: object) -> Path:
    path.write_bytes(hwp_bytes(**kwargs))  # type: ignore[arg-type]
    return path


def write_truncated_hwp(path: Path) -> Path:
    """A download cut short: the compound file ends part-way through its sectors."""
    data = hwp_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def write_corrupt_body_hwp(path: Path) -> Path:
    """A well-formed compound file whose compressed body stream is cut short."""
    path.write_bytes(hwp_bytes(paragraphs=SAMPLE_PARAGRAPHS * 3, cut_body=True))
    return path
