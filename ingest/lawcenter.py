"""Statutes exported from the national law information center's Open API (국가법령정보센터).

The law and decree services return one object, ``{"법령": {...}}`` in JSON or ``<법령>`` in XML,
with the same structure either way:

* ``기본정보``: 법령명_한글, 법령ID, 공포일자 / 시행일자 (YYYYMMDD), 법종구분, 소관부처;
* ``조문.조문단위``: one unit per article (조문여부 "조문") or chapter line (조문여부 "전문"), with
  조문번호, 조문가지번호 (제N조의M), 조문제목, 조문내용 and its 항 (paragraphs), each with 호 and 목;
* ``부칙.부칙단위`` (addenda) and ``별표.별표단위`` (annexed tables).

Each article becomes a heading ``art-N`` (``art-N_M`` for 제N조의M) titled "제N조(제목)", each
paragraph a sub-heading ``art-N-M`` whose text carries its 호 and 목 lines, each 별표 N an
``annex-N`` section and the addenda one ``addenda`` section (DESIGN.md, "Corpus").

The text is the official text, but a file is only *said* to be official (basis ``official-text``)
when the caller says it comes from a trusted place (corpus/ or a folder the operator trusts);
otherwise its basis is ``organisation-upload``, like any other upload.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ingest.documents import Block, LoadedDocument, slugify
from ingest.loaders import LoadError, display_path

SOURCE_NAME = "국가법령정보센터 (Korea Law Information Center) Open API"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕㉖㉗㉘㉙㉚㉛㉜㉝㉞㉟㊱㊲㊳㊴㊵㊶㊷㊸㊹㊺㊻㊼㊽㊾㊿"
_LABEL = re.compile(r"^\s*제\s*\d+\s*조(?:\s*의\s*\d+)?\s*")
_CHAPTER = re.compile(r"^\s*제\s*(\d+)\s*(편|장|절|관)(?:의\s*(\d+))?")
_CHAPTER_LEVEL = {"편": 1, "장": 1, "절": 2, "관": 2}
_CHAPTER_ID = {"편": "part", "장": "ch", "절": "sec", "관": "subsec"}


# --- reading the file --------------------------------------------------------------------------


def read_export(path: Path) -> dict[str, Any]:
    """The ``법령`` object of a JSON or XML export.

    Raises:
        LoadError: not valid JSON/XML, or not a law center statute export.
    """
    raw = path.read_bytes()
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return _read_xml(raw)
    if head in (b"{", b"["):
        return _read_json(raw)
    raise LoadError("not a law center statute export: the file is neither JSON nor XML")


def _read_json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LoadError("invalid JSON: the file is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("법령"), dict):
        keys = ", ".join(list(data)[:5]) if isinstance(data, dict) else type(data).__name__
        raise LoadError(
            "unsupported JSON: only statutes exported from the law information center's Open API "
            f"(a top-level '법령' object) can be ingested; this file has {keys or 'nothing'}"
        )
    return data["법령"]


def _read_xml(raw: bytes) -> dict[str, Any]:
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
        raise LoadError("refused: XML with a DTD or entity declarations")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise LoadError(f"invalid XML: {exc}") from exc
    if root.tag != "법령":
        raise LoadError(
            "unsupported XML: only statutes exported from the law information center's Open API "
            f"(root element <법령>) can be ingested; this file's root is <{root.tag}>"
        )
    value = _xml_value(root)
    return value if isinstance(value, dict) else {}


def _xml_value(element: ET.Element) -> Any:
    """An element as the JSON export would have it: text, or a dict whose repeated tags are lists."""
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    repeated: set[str] = set()
    for child in children:
        value = _xml_value(child)
        if child.tag not in out:
            out[child.tag] = value
        elif child.tag in repeated:
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
            repeated.add(child.tag)
    if element.text and element.text.strip():
        out.setdefault("content", element.text)
    return out


# --- values --------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _lines(value: Any) -> list[str]:
    """Text lines of a field that may be a string, a list (of lists) of strings, or {"content": ...}."""
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]
    if isinstance(value, list):
        return [line for item in value for line in _lines(item)]
    if isinstance(value, dict):
        return _lines(value.get("content"))
    return _lines(str(value))


def _text(value: Any) -> str:
    return " ".join(_lines(value))


def _date(value: Any) -> str:
    digits = re.sub(r"\D", "", _text(value))
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}" if len(digits) == 8 else ""


def _number(value: Any) -> str:
    """'0002' -> '2'; '' when there is no number (or 0: no branch)."""
    digits = re.sub(r"\D", "", _text(value))
    return str(int(digits)) if digits and int(digits) else ""


def _kind(info: dict[str, Any], title: str) -> str:
    kind = _text(info.get("법종구분")) or _text(info.get("법령구분명"))
    if kind:
        return "decree" if ("령" in kind or "규칙" in kind) else "law"
    return "decree" if title.endswith(("시행령", "시행규칙", "규칙")) else "law"


# --- structure -----------------------------------------------------------------------------------


def _strip_label(content: str) -> str:
    """'제2조(정의) 이 법에서...' -> '이 법에서...': the heading already carries the label and caption."""
    match = _LABEL.match(content)
    if not match:
        return content
    rest = content[match.end() :]
    if rest.startswith(("(", "（")):
        depth = 0
        for i, char in enumerate(rest):
            depth += char in "(（"
            depth -= char in ")）"
            if depth == 0:
                return rest[i + 1 :].strip()
    return rest.strip()


def _paragraph_number(value: Any, fallback: int) -> int:
    mark = _text(value)
    if mark and mark[0] in _CIRCLED:
        return _CIRCLED.index(mark[0]) + 1
    digits = re.sub(r"\D", "", mark)
    return int(digits) if digits else fallback


def _item_lines(items: Any) -> list[str]:
    """호 (and their 목) as lines of text."""
    lines: list[str] = []
    for item in _as_list(items):
        if not isinstance(item, dict):
            lines.extend(_lines(item))
            continue
        lines.extend(_lines(item.get("호내용")))
        for sub in _as_list(item.get("목")):
            lines.extend(_lines(sub.get("목내용")) if isinstance(sub, dict) else _lines(sub))
    return lines


def _chapter_block(unit: dict[str, Any]) -> Block | None:
    title = _text(unit.get("조문내용"))
    if not title:
        return None
    match = _CHAPTER.match(title)
    if not match:
        return Block("heading", title, 1)
    branch = f"_{match.group(3)}" if match.group(3) else ""
    anchor = f"{_CHAPTER_ID[match.group(2)]}-{match.group(1)}{branch}"
    return Block("heading", title, _CHAPTER_LEVEL[match.group(2)], anchor)


def _article_blocks(unit: dict[str, Any]) -> list[Block]:
    number = _number(unit.get("조문번호"))
    if not number:
        raise LoadError(f"an article without a number (조문번호) in the 조문 list: {_text(unit.get('조문내용'))[:60]!r}")
    branch = _number(unit.get("조문가지번호"))
    label = f"제{number}조" + (f"의{branch}" if branch else "")
    caption = _text(unit.get("조문제목"))
    anchor = f"art-{number}" + (f"_{branch}" if branch else "")
    blocks = [Block("heading", f"{label}({caption})" if caption else label, 3, anchor)]

    content = _lines(unit.get("조문내용"))
    if content:
        content[0] = _strip_label(content[0])
    body = [line for line in content if line]
    paragraphs: list[tuple[str, int, list[str]]] = []
    for item in _as_list(unit.get("항")):
        if not isinstance(item, dict):
            body.extend(_lines(item))
            continue
        lines = _lines(item.get("항내용")) + _item_lines(item.get("호"))
        if not (_text(item.get("항번호")) or _text(item.get("항내용"))):
            body.extend(lines)  # 호 directly under the article (e.g. a definitions article)
            continue
        mark = _text(item.get("항번호"))
        paragraphs.append((mark, _paragraph_number(mark, len(paragraphs) + 1), lines))
    if body:
        blocks.append(Block("text", "\n".join(body)))
    for mark, n, lines in paragraphs:
        blocks.append(Block("heading", mark or f"제{n}항", 4, f"{anchor}-{n}"))
        if lines:
            blocks.append(Block("text", "\n".join(lines)))
    return blocks


def _annex_blocks(law: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    container = law.get("별표")
    for unit in _as_list(container.get("별표단위") if isinstance(container, dict) else None):
        if not isinstance(unit, dict):
            continue
        lines = _lines(unit.get("별표내용"))
        number = _number(unit.get("별표번호"))
        if not lines or not number:
            continue  # a table published only as an attached file: nothing to cite from here
        branch = _number(unit.get("별표가지번호"))
        kind = _text(unit.get("별표구분")) or "별표"
        prefix = "annex" if kind == "별표" else "form"
        anchor = f"{prefix}-{number}" + (f"_{branch}" if branch else "")
        label = f"[{kind} {number}" + (f"의{branch}" if branch else "") + "]"
        title = _text(unit.get("별표제목"))
        blocks.append(Block("heading", f"{label} {title}".strip(), 1, anchor))
        blocks.append(Block("text", "\n".join(lines)))
    return blocks


def _addenda_blocks(law: dict[str, Any]) -> list[Block]:
    container = law.get("부칙")
    units = _as_list(container.get("부칙단위") if isinstance(container, dict) else None)
    texts = ["\n".join(lines) for unit in units if isinstance(unit, dict) and (lines := _lines(unit.get("부칙내용")))]
    if not texts:
        return []
    return [Block("heading", "부칙", 1, "addenda"), *(Block("text", text) for text in texts)]


# --- the loader ----------------------------------------------------------------------------------


def load_lawcenter(path: Path, trusted: bool = False) -> LoadedDocument:
    """Load a law center export (JSON or XML).

    Args:
        path: the ``.json`` or ``.xml`` file.
        trusted: the file comes from corpus/ or a folder the operator trusts; only then is its
            basis ``official-text`` (otherwise ``organisation-upload``).

    Raises:
        LoadError: malformed file, not a law center export, or no articles.
    """
    law = read_export(path)
    info: dict[str, Any] = law["기본정보"] if isinstance(law.get("기본정보"), dict) else {}
    container = law.get("조문")
    units = _as_list(container.get("조문단위") if isinstance(container, dict) else None)
    units = [u for u in units if isinstance(u, dict)]
    if not any(_text(u.get("조문여부")) != "전문" for u in units):
        raise LoadError("the law center export has no articles (its '조문' list is missing or empty)")

    blocks: list[Block] = []
    for unit in units:
        if _text(unit.get("조문여부")) == "전문":
            if chapter := _chapter_block(unit):
                blocks.append(chapter)
        else:
            blocks.extend(_article_blocks(unit))
    blocks.extend(_annex_blocks(law))
    blocks.extend(_addenda_blocks(law))

    title = _text(info.get("법령명_한글")) or path.stem
    law_id = re.sub(r"\W", "", _text(info.get("법령ID")))
    short = _text(info.get("법령명약칭"))
    doc_id = f"law-{law_id}" if law_id else slugify(short or title, 80)
    kind_name = _text(info.get("법종구분"))
    issued, effective = _date(info.get("공포일자")), _date(info.get("시행일자"))
    number = _text(info.get("공포번호"))
    promulgation = f"{kind_name} 제{number}호" if kind_name and number else ""
    source = ", ".join(x for x in (SOURCE_NAME, promulgation, f"법령ID {law_id}" if law_id else "") if x)
    # Only a trusted file is vouched for as the official text; an upload merely has the format.
    note_parts = ["국가법령정보센터에서 내려받은 법령 원문" if trusted else "기관이 올린 국가법령정보센터 형식의 법령 파일 (원문 여부는 확인되지 않음)"]
    if issued:
        note_parts.append(f"공포 {issued}")
    if effective:
        note_parts.append(f"시행 {effective}")
    if staged := _text(info.get("조문시행일자문자열")):
        note_parts.append(f"조문별 시행일: {staged}")
    return LoadedDocument(
        doc_id=doc_id,
        lang="ko",
        title=title,
        path=display_path(path),
        blocks=blocks,
        issuer=", ".join(x for x in (_text(m) for m in _as_list(info.get("소관부처"))) if x),
        issued=issued,
        kind=_kind(info, title),
        basis="official-text" if trusted else "organisation-upload",
        source=source,
        note="; ".join(note_parts),
        fmt="lawcenter",
        trusted=trusted,
    )


def enforcement_date(doc: LoadedDocument) -> str:
    """The 시행일자 recorded in a law center document's note (YYYY-MM-DD), or ''."""
    match = re.search(r"시행 (\d{4}-\d{2}-\d{2})", doc.note)
    return match.group(1) if match else ""
