"""Read guideline files into :class:`LoadedDocument` objects, keeping their structure.

One loader per format (Markdown with YAML front matter, plain text in any common Korean office
encoding, PDF, DOCX, HTML, HWPX; HWP 5 in :mod:`ingest.hwp`; XLSX in :mod:`ingest.xlsx`; statutes exported from the law
information center as JSON or XML in :mod:`ingest.lawcenter`).  Every failure is raised as :class:`LoadError` with a reason a
person can act on; nothing else escapes :func:`load_file`.  Containers are measured before a parser
opens them (:mod:`ingest.limits`), and every text is cleaned of what cannot be encoded (a lone
surrogate from a broken PDF character map or a JSON ``\\ud800`` escape) before it goes further.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ingest.documents import BASES, KINDS, Block, LoadedDocument, detect_lang, slugify
from ingest.legal import match_heading
from ingest.limits import ExpansionError, check_pdf, check_text_size, check_zip
from ingest.settings import REPO_ROOT

SUPPORTED = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm", ".hwpx", ".hwp", ".xlsx", ".json", ".xml")
_MAX_LINE_CHARS = 200_000  # a "line" longer than this is data, not a document
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class LoadError(Exception):
    """A file that cannot be ingested, with the reason."""


def display_path(path: Path) -> str:
    """The path as shown in citations: relative to the repository when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


def clean_text(text: str) -> str:
    """The text without what an embedder or store cannot take: lone surrogates become U+FFFD
    (a valid pair written as two halves is joined), NUL and other control characters go."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROLS.sub("", text)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_file(path: Path, max_bytes: int | None = None, trusted: bool = False) -> LoadedDocument:
    """Load one file of any supported format.

    ``trusted`` says the file comes from corpus/ or a folder the operator trusts; a law center
    export (.json/.xml) is given basis ``official-text`` only then.

    Raises:
        LoadError: unsupported type, empty, oversized, corrupt or undecodable file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(f"unsupported file type '{suffix or path.name}' (supported: {', '.join(SUPPORTED)})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise LoadError("empty file")
    if max_bytes is not None and size > max_bytes:
        raise LoadError(f"file too large: {size / 1e6:.1f} MB (limit {max_bytes / 1e6:.1f} MB)")
    loader = _LOADERS[suffix]
    try:
        doc = _load_lawcenter(path, trusted) if suffix in (".json", ".xml") else loader(path)
        check_text_size(sum(len(b.text) for b in doc.blocks))
    except LoadError:
        raise
    except ExpansionError as exc:
        raise LoadError(str(exc)) from exc
    except RecursionError as exc:
        raise LoadError("document structure nested too deeply") from exc
    except MemoryError as exc:
        raise LoadError("document too large to load") from exc
    except Exception as exc:  # a parser's own error on a broken file
        raise LoadError(f"corrupt or unreadable {suffix[1:].upper()} file: {type(exc).__name__}: {exc}"[:300]) from exc
    _clean(doc)
    if doc.fmt in ("docx", "hwpx") and not any(b.kind == "text" for b in doc.blocks):
        doc.blocks = _outline_only(doc.blocks)
    if not any(b.kind == "text" and b.text.strip() for b in doc.blocks):
        raise LoadError("no text found in the document")
    return doc


def _clean(doc: LoadedDocument) -> None:
    for block in doc.blocks:
        block.text = clean_text(block.text)
    for name in ("doc_id", "title", "issuer", "issued", "source", "note"):
        setattr(doc, name, clean_text(getattr(doc, name)))


def _outline_only(blocks: list[Block]) -> list[Block]:
    """Read a document whose every paragraph carries an outline or heading style.

    Hangul writers often number a whole document with the outline styles (개요 1: "1. 목적",
    개요 2: "가. 공무원은 ...").  Such a file has headings and no body text; each heading that
    no deeper heading follows (a leaf of the outline) is then also the text of its section.
    """
    out: list[Block] = []
    for n, block in enumerate(blocks):
        out.append(block)
        following = blocks[n + 1] if n + 1 < len(blocks) else None
        if block.kind == "heading" and block.text.strip() and not (following is not None and following.level > block.level):
            out.append(Block("text", block.text, page=block.page))
    return out


# --- Markdown ----------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([A-Za-z0-9_\-]+)([^}]*)\})?\s*$")
_ATTR = re.compile(r"([A-Za-z_]+)=([A-Za-z0-9_,\-]+)")


def _parse_front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise LoadError("front matter opened with '---' but never closed")
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter is not a mapping")
    body_start = text.find("\n", end + 4)
    return meta, text[body_start + 1 :] if body_start >= 0 else ""


def _check_lines(text: str) -> None:
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > _MAX_LINE_CHARS:
        raise LoadError(f"a single line of {longest:,} characters: not a readable document")


def _load_markdown(path: Path) -> LoadedDocument:
    text = _decode(path.read_bytes())
    _check_lines(text)
    meta, body = _parse_front_matter(text)
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("text", "\n".join(para).strip()))
            para.clear()

    in_fence = False
    for line in body.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        m = None if in_fence else _MD_HEADING.match(line)
        if m:
            flush()
            attrs = dict(_ATTR.findall(m.group(4) or ""))
            blocks.append(Block("heading", m.group(2).strip(), len(m.group(1)), m.group(3), attrs))
        elif not line.strip():
            flush()
        else:
            para.append(line.rstrip())
    flush()
    return _document(path, blocks, meta, "md")


# --- Plain text --------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    """Decode text in UTF-8, UTF-16 (with BOM) or CP949/EUC-KR, else the best detected guess."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    if b"\x00" in raw[:4096]:
        # UTF-16 without a BOM puts the NULs of Latin text on one byte parity; anything else is binary.
        head = raw[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        half = max(1, len(head) // 2)
        for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros / half >= 0.3 and other <= zeros * 0.05:
                try:
                    decoded = raw.decode(enc)
                except UnicodeDecodeError:
                    continue
                if _looks_textual(decoded):
                    return decoded
        raise LoadError("binary content, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp949")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000]).best()
    if best is None or not _looks_textual(str(best)):
        raise LoadError("undecodable text: not UTF-8, UTF-16 or CP949/EUC-KR")
    return raw.decode(best.encoding, errors="replace")


def _looks_textual(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return bad / len(sample) < 0.02


def _text_blocks(lines: list[str], page: int | None = None, article: str | None = None) -> tuple[list[Block], str | None]:
    """Turn lines of running text into blocks, making structural lines (제N조, Article N) headings."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("text", "\n".join(para).strip(), page=page))
            para.clear()

    for line in lines:
        rest = line.strip()
        if not rest:
            flush()
            continue
        while rest:
            heading = match_heading(rest, article)
            if heading is None:
                para.append(rest)
                break
            flush()
            if heading.level == 3:
                article = heading.anchor
            elif heading.level < 3:
                article = None
            blocks.append(Block("heading", heading.title, heading.level, heading.anchor, page=page))
            if heading.level == 4:
                para.append(rest)  # a paragraph keeps its own marker (①, (1)) in the text
                break
            rest = rest[len(heading.title) :].strip() if rest.startswith(heading.title) else ""
    flush()
    return blocks, article


def _load_text(path: Path) -> LoadedDocument:
    text = _decode(path.read_bytes())
    _check_lines(text)
    blocks, _ = _text_blocks(text.splitlines())
    return _document(path, blocks, {}, "txt")


# --- PDF -----------------------------------------------------------------------------------------


def _load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    reader = PdfReader(str(path), strict=False)
    _decrypt_pdf(reader)
    check_pdf(reader)
    blocks: list[Block] = []
    article: str | None = None
    try:
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").replace("\x00", "")
            page_blocks, article = _text_blocks(page_text.splitlines(), page=number, article=article)
            blocks.extend(page_blocks)
    except FileNotDecryptedError as exc:
        raise LoadError(_ENCRYPTED_PDF) from exc
    except LimitReachedError as exc:
        raise LoadError(f"refused: a PDF stream expands beyond the reader's limit ({exc})") from exc
    title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    return _document(path, blocks, {"title": title} if title else {}, "pdf")


_ENCRYPTED_PDF = "encrypted PDF (password protected): remove the password (save an unprotected copy) and ingest that"


def _decrypt_pdf(reader: Any) -> None:
    """Open a PDF encrypted with an empty user password (only an owner password: readable);
    LoadError saying it is encrypted otherwise."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except DependencyError as exc:  # AES needs the 'cryptography' package
        raise LoadError(f"encrypted PDF (AES): {_ENCRYPTED_PDF.split(': ', 1)[1]}") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged encryption dictionary is still an encrypted file
        raise LoadError(f"{_ENCRYPTED_PDF} ({type(exc).__name__})") from exc
    if opened == PasswordType.NOT_DECRYPTED:
        raise LoadError(_ENCRYPTED_PDF)


# --- DOCX ----------------------------------------------------------------------------------------


def _load_docx(path: Path) -> LoadedDocument:
    check_zip(path, "DOCX")
    import docx

    document = docx.Document(str(path))
    names = _docx_style_names(document)
    blocks: list[Block] = []
    article: str | None = None
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        level = _heading_level(names.get(para._p.style, names[None]))
        if level:
            legal = match_heading(text, article)
            blocks.append(Block("heading", text, level, legal.anchor if legal else None))
            article = legal.anchor if legal and legal.level == 3 else article
        else:
            more, article = _text_blocks([text], article=article)
            blocks.extend(more)
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        if any(r.strip(" |") for r in rows):
            blocks.append(Block("text", "\n".join(rows)))
    title = document.core_properties.title or ""
    return _document(path, blocks, {"title": title} if title else {}, "docx")


def _docx_style_names(document: Any) -> dict[str | None, str]:
    """Paragraph style names by style id (None: the default style), read once.

    ``Paragraph.style`` scans every style for the default on each unstyled paragraph: 50,000
    paragraphs took minutes that way.
    """
    from docx.enum.style import WD_STYLE_TYPE

    names: dict[str | None, str] = {}
    for style in document.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH and style.style_id:
            names[style.style_id] = style.name or ""
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    names[None] = (default.name or "") if default is not None else ""
    return names


def _heading_level(style: str) -> int:
    name = style.lower()
    if name == "title":
        return 1
    for prefix in ("heading", "개요", "outline", "제목"):
        if name.startswith(prefix):
            digits = re.findall(r"\d+", name)
            return min(int(digits[0]), 6) if digits else 1
    return 0


# --- HTML ----------------------------------------------------------------------------------------


def _load_html(path: Path) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path.read_bytes()), "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "noscript", "form"]):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    article: str | None = None
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "blockquote", "dd"]):
        if el.name in ("p", "li", "td", "dd") and el.find_parent(["li", "td", "blockquote", "dd"]) is not None:
            continue  # counted with its container
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            legal = match_heading(text, article)
            anchor = el.get("id") or (legal.anchor if legal else None)
            blocks.append(Block("heading", text, int(el.name[1]), str(anchor) if anchor else None))
            article = legal.anchor if legal and legal.level == 3 else article
        else:
            more, article = _text_blocks([text], article=article)
            blocks.extend(more)
    title = soup.title.get_text(strip=True) if soup.title else ""
    return _document(path, blocks, {"title": title} if title else {}, "html")


# --- HWPX ----------------------------------------------------------------------------------------


def _check_hwpx(path: Path) -> None:
    """Refuse zip bombs and non-HWPX zips before the parser opens them."""
    check_zip(path, "HWPX")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if not any(name.lower().startswith("contents/") for name in names):
        raise LoadError("not a valid HWPX file (no Contents/ part)")


def _load_hwpx(path: Path) -> LoadedDocument:
    _check_hwpx(path)
    from hwpx import HwpxDocument

    document = HwpxDocument.open(str(path))
    blocks: list[Block] = []
    article: str | None = None
    for para in document.paragraphs:
        text = (para.text or "").strip()
        if not text:
            continue
        level = _hwpx_heading_level(document, para)
        if level:
            legal = match_heading(text, article)
            blocks.append(Block("heading", text, level, legal.anchor if legal else None))
            article = legal.anchor if legal and legal.level == 3 else article
        else:
            more, article = _text_blocks([text], article=article)
            blocks.extend(more)
    return _document(path, blocks, {}, "hwpx")


def _hwpx_heading_level(document: object, para: object) -> int:
    style = getattr(para, "style", None)
    style_name = str(getattr(style, "name", "") or "")
    if level := _heading_level(style_name):
        return level
    try:
        prop = document.styles.paragraph_property(int(para.para_pr_id_ref))  # type: ignore[attr-defined]
        heading = getattr(prop, "heading", None)
        if heading is not None and str(getattr(heading, "type", "")).upper() == "OUTLINE":
            return int(getattr(heading, "level", 0)) + 1
    except (AttributeError, TypeError, ValueError, KeyError):
        pass
    return 0


# --- shared ------------------------------------------------------------------------------------


def _document(path: Path, blocks: list[Block], meta: dict[str, object], fmt: str) -> LoadedDocument:
    text_sample = " ".join(b.text for b in blocks[:200])
    # Structured formats open with the document's name; in text and PDF the first heading is
    # usually a chapter or article, so the file name is the better title there.
    first_heading = next((b.text for b in blocks if b.kind == "heading"), "") if fmt in ("md", "docx", "html", "hwpx") else ""
    lang = str(meta.get("lang") or detect_lang(text_sample))
    basis = str(meta.get("basis") or "official-text")
    kind = str(meta.get("kind") or "guideline")
    if basis not in BASES:
        raise LoadError(f"front matter basis '{basis}' is not one of {', '.join(BASES)}")
    if kind not in KINDS:
        raise LoadError(f"front matter kind '{kind}' is not one of {', '.join(KINDS)}")
    doc_id = str(meta.get("id") or slugify(path.stem, 80))
    issued = meta.get("issued", "")
    return LoadedDocument(
        doc_id=doc_id,
        lang=lang,
        title=str(meta.get("title") or first_heading or path.stem),
        path=display_path(path),
        blocks=blocks,
        issuer=str(meta.get("issuer") or ""),
        issued=str(issued) if issued else "",
        kind=kind,
        basis=basis,
        source=str(meta.get("source") or ""),
        note=str(meta.get("note") or ""),
        fmt=fmt,
        role=str(meta.get("role") or "guideline"),
    )


def _load_hwp(path: Path) -> LoadedDocument:
    from ingest.hwp import load_hwp  # imports this module: loaded on first use

    return load_hwp(path)


def _load_xlsx(path: Path) -> LoadedDocument:
    from ingest.xlsx import load_xlsx  # imports this module: loaded on first use

    return load_xlsx(path)


def _load_lawcenter(path: Path, trusted: bool = False) -> LoadedDocument:
    from ingest.lawcenter import load_lawcenter  # imports this module: loaded on first use

    return load_lawcenter(path, trusted=trusted)


_LOADERS: dict[str, Callable[[Path], LoadedDocument]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".html": _load_html,
    ".htm": _load_html,
    ".hwpx": _load_hwpx,
    ".hwp": _load_hwp,
    ".xlsx": _load_xlsx,
    ".json": _load_lawcenter,
    ".xml": _load_lawcenter,
}
