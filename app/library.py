"""Data helpers behind the UI's Library, Training and Evals tabs.

Nothing here renders HTML (that is :mod:`app.ui`) and nothing here answers questions (that is
:class:`app.assistant.Assistant`).  What it does:

* lists the indexed documents and their sections, in document order, from the in-memory index;
* copies uploaded files under ``settings.uploads_dir`` (never ``corpus/``), ingests them (parsed in a
  worker process where ingest offers it), deletes them again, and re-indexes the corpus and the
  uploads together; every change is recorded under the caller's token id (:mod:`app.roles`);
* reads the training scenarios and the last evaluation report from the files the evals write
  (plain data: ``app`` never imports ``evals``).

Nothing here returns a server path: documents are named by id and file name.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

# One ingest at a time per process: two sessions pressing "upload" together must not race.
INGEST_LOCK = threading.Lock()

Progress = Callable[[int, int, str], None]


# -- documents and sections ----------------------------------------------------------------------


@dataclass
class DocInfo:
    """One indexed document (all its languages)."""

    doc_id: str
    titles: dict[str, str] = field(default_factory=dict)
    issuers: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    issued: str = ""
    basis: str = ""
    kind: str = ""
    chunks: int = 0
    origin: str = "corpus"  # corpus | upload
    files: dict[str, str] = field(default_factory=dict)  # lang -> file name (never a path)
    official: dict[str, str] = field(default_factory=dict)  # lang -> the official title and where it is published

    @property
    def langs(self) -> list[str]:
        return sorted(self.titles)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or next(iter(self.titles.values()), self.doc_id)

    def issuer(self, lang: str) -> str:
        return self.issuers.get(lang) or next(iter(self.issuers.values()), "")


@dataclass
class SectionView:
    """The text of one section (clause) of a document in one language."""

    section_id: str
    section: str  # heading path, "A > B"
    heading: str
    text: str
    stance: str = "informs"
    page: int = -1


def source_path(source: str) -> Path:
    """A chunk's ``source`` (repo-relative or absolute) as a path on disk."""
    path = Path(source)
    return path if path.is_absolute() else REPO_ROOT / path


def is_upload(source: str, settings: Settings) -> bool:
    try:
        source_path(source).resolve().relative_to(settings.uploads_dir.resolve())
    except ValueError:
        return False
    return True


def documents(index: Any, settings: Settings) -> list[DocInfo]:
    """Every document in ``index`` (an :class:`app.retrieval.ClauseIndex`), sorted by id."""
    docs: dict[str, DocInfo] = {}
    uploaded: dict[str, bool] = {}
    for chunk in index.chunks:
        meta = chunk.meta
        doc_id = str(meta.get("doc_id", ""))
        info = docs.get(doc_id)
        if info is None:
            info = docs[doc_id] = DocInfo(doc_id)
        lang = str(meta.get("lang", ""))
        info.titles.setdefault(lang, str(meta.get("title", doc_id)))
        info.issuers.setdefault(lang, str(meta.get("issuer", "")))
        source = str(meta.get("source", ""))
        info.sources.setdefault(lang, source)
        info.files.setdefault(lang, Path(source).name)
        info.official.setdefault(lang, str(meta.get("official_source", "") or ""))
        info.issued = info.issued or str(meta.get("issued", ""))
        info.basis = info.basis or str(meta.get("basis", ""))
        info.kind = info.kind or str(meta.get("kind", ""))
        info.chunks += 1
        if source not in uploaded:
            uploaded[source] = bool(source) and is_upload(source, settings)
        if uploaded[source]:
            info.origin = "upload"
    return [docs[k] for k in sorted(docs)]


def _join_parts(parts: list[str]) -> str:
    """A section's text from its chunks, dropping the sentences repeated as overlap."""
    from ingest.chunker import split_sentences

    out = parts[0] if parts else ""
    for part in parts[1:]:
        sentences = split_sentences(part)
        drop = 0
        for j in range(min(len(sentences), 5), 0, -1):
            if out.rstrip().endswith(" ".join(sentences[:j]).strip()):
                drop = j
                break
        rest = " ".join(sentences[drop:]) if drop else part
        out = f"{out} {rest}".strip()
    return out


_ORDER_CACHE: dict[tuple[str, float], list[str]] = {}


def _file_order(source: str) -> list[str] | None:
    """Section ids in document order, read from the source file (cached by modification time)."""
    from ingest.chunker import build_sections
    from ingest.loaders import load_file

    path = source_path(source)
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    if key not in _ORDER_CACHE:
        try:
            _ORDER_CACHE[key] = [s.section_id for s in build_sections(load_file(path))]
        except Exception as exc:  # a file that no longer loads: fall back to the index's order
            log.info("cannot read %s for section order: %s", path, exc)
            return None
    return _ORDER_CACHE[key]


def sections(index: Any, doc_id: str, lang: str) -> list[SectionView]:
    """The sections of ``doc_id`` in ``lang``, in document order."""
    grouped: dict[str, list[Any]] = {}
    source = ""
    for chunk in index.chunks:
        meta = chunk.meta
        if meta.get("doc_id") != doc_id or meta.get("lang") != lang:
            continue
        source = source or str(meta.get("source", ""))
        grouped.setdefault(str(meta.get("section_id")), []).append(chunk)
    if not grouped:
        return []
    order = _file_order(source) if source else None
    ids = [s for s in (order or []) if s in grouped]
    ids += [s for s in grouped if s not in ids]
    out = []
    for section_id in ids:
        chunks = sorted(grouped[section_id], key=lambda c: int(c.meta.get("part", 0)))
        meta = chunks[0].meta
        out.append(SectionView(
            section_id=section_id, section=str(meta.get("section", "")), heading=str(meta.get("heading", "")),
            text=_join_parts([c.text for c in chunks]), stance=str(meta.get("stance", "informs")),
            page=int(meta.get("page", -1) or -1),
        ))
    return out


def merged_order(by_lang: dict[str, list[SectionView]]) -> list[str]:
    """One section order for a side-by-side view: the first language's order, with sections
    found only in another language inserted after their predecessor there."""
    langs = [lang for lang in ("ko", "en") if lang in by_lang] + [lang for lang in by_lang if lang not in ("ko", "en")]
    order: list[str] = []
    for lang in langs:
        previous: str | None = None
        for view in by_lang[lang]:
            if view.section_id not in order:
                position = order.index(previous) + 1 if previous in order else len(order)
                order.insert(position, view.section_id)
            previous = view.section_id
    return order


# -- uploads and ingest ----------------------------------------------------------------------------


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"path": name, "reason": ...}
    summary: dict[str, Any] | None = None  # IngestSummary.to_dict()
    removed: list[str] = field(default_factory=list)  # uploads removed again because they failed

    @property
    def failed(self) -> list[dict[str, str]]:
        return self.rejected + list((self.summary or {}).get("failed", []))


def safe_name(name: str) -> str:
    """A file name safe to create under the uploads folder (Hangul kept, no path parts)."""
    name = Path(name.replace("\\", "/")).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^\w\-.]+", "_", stem).strip("._") or "document"
    return stem[:100] + suffix


def uploaded_files(settings: Settings) -> list[Path]:
    folder = settings.uploads_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def save_uploads(files: Iterable[str | Path], settings: Settings) -> UploadResult:
    """Copy files into ``settings.uploads_dir``; unsupported or oversized files are rejected."""
    from ingest.loaders import SUPPORTED

    result = UploadResult()
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    limit = settings.max_file_mb * 1024 * 1024
    for item in files:
        src = Path(str(item))
        name = safe_name(src.name)
        if Path(name).suffix.lower() not in SUPPORTED:
            result.rejected.append({"path": src.name, "reason": f"unsupported file type (supported: {', '.join(SUPPORTED)})"})
            continue
        try:
            size = src.stat().st_size
        except OSError as exc:
            result.rejected.append({"path": src.name, "reason": f"cannot read the uploaded file: {exc.strerror or type(exc).__name__}"})
            continue
        if size > limit:
            result.rejected.append({"path": src.name, "reason": f"file too large: {size / 1e6:.1f} MB (limit {limit / 1e6:.1f} MB)"})
            continue
        target = folder / name
        shutil.copyfile(src, target)
        result.saved.append(target)
    return result


def _run_ingest(paths: list[Path], settings: Settings, progress: Progress | None, rebuild: bool) -> dict[str, Any]:
    """``ingest.pipeline.ingest`` with files parsed in a worker process when the pipeline offers it."""
    from ingest.pipeline import ingest

    kwargs: dict[str, Any] = {"settings": settings, "progress": progress, "rebuild": rebuild}
    if "isolate" in inspect.signature(ingest).parameters:
        kwargs["isolate"] = True
    data = ingest(paths, **kwargs).to_dict()
    data["failed"] = [{**f, "path": Path(str(f.get("path", ""))).name} for f in data.get("failed", [])]
    return data


def _ingest_all(settings: Settings, progress: Progress | None = None, rebuild: bool = False) -> dict[str, Any]:
    """Ingest the corpus and the uploads folder together.

    Always both: an ingest that has to rebuild the collection (a new chunker version, say) would
    otherwise leave only the uploads in the index.  Unchanged files are skipped by their digest,
    so the corpus costs next to nothing when it has not changed.
    """
    paths = [Path(settings.corpus_dir)]
    if settings.uploads_dir.is_dir():
        paths.append(settings.uploads_dir)
    with INGEST_LOCK:
        return _run_ingest(paths, settings, progress, rebuild)


def ingest_uploads(files: Iterable[str | Path], settings: Settings, progress: Progress | None = None,
                   actor: str = "local") -> UploadResult:
    """Save ``files`` under the uploads folder and ingest it (with the corpus).

    A newly saved file that fails to load is removed again (it could never be cited, and it would
    fail on every later re-index); the reason is kept in the result.
    """
    result = save_uploads(files, settings)
    if result.saved:
        summary = _ingest_all(settings, progress)
        result.summary = summary
        failed = {f["path"] for f in summary.get("failed", [])}
        for path in result.saved:
            if path.name in failed:
                path.unlink(missing_ok=True)  # a file that fails to load wrote no chunks
                result.removed.append(path.name)
        # keep only this batch's failures: an older failure elsewhere is reported by a re-index
        saved = {p.name for p in result.saved}
        summary["failed"] = [f for f in summary.get("failed", []) if f["path"] in saved]
    from app.roles import record_change

    record_change(settings, actor, "upload", ", ".join(p.name for p in result.saved) or "-",
                  {"saved": [p.name for p in result.saved], "failed": [f["path"] for f in result.failed],
                   "chunks": (result.summary or {}).get("chunks")})
    return result


def reindex(settings: Settings, progress: Progress | None = None, rebuild: bool = False,
            actor: str = "local") -> dict[str, Any]:
    """Ingest the corpus and the uploads folder together (incremental unless ``rebuild``)."""
    from app.roles import record_change

    summary = _ingest_all(settings, progress, rebuild)
    record_change(settings, actor, "rebuild" if rebuild else "reindex", "all",
                  {k: summary.get(k) for k in ("added", "updated", "deleted", "chunks")})
    return summary


def delete_upload(name: str, settings: Settings, progress: Progress | None = None, actor: str = "local") -> dict[str, Any]:
    """Remove one uploaded file and re-ingest, so that its chunks leave the index."""
    from app.roles import record_change

    folder = settings.uploads_dir.resolve()
    target = (folder / safe_name(str(name))).resolve()
    if target.parent != folder or not target.is_file():
        raise FileNotFoundError(f"no uploaded file named {Path(str(name)).name!r}")
    target.unlink()
    summary = _ingest_all(settings, progress)
    record_change(settings, actor, "delete", target.name, {k: summary.get(k) for k in ("deleted", "chunks")})
    return summary


def refresh_assistant(assistant: Any, settings: Settings) -> None:
    """Reload the assistant's in-memory index after an ingest (it reopens a rebuilt collection)."""
    assistant.refresh(force=True)


# -- training scenarios (read from the eval datasets' JSONL files: data, not code) ---------------


@dataclass
class TrainingCase:
    """One scenario for the classroom quiz: a question, its expected verdicts and the clauses behind them."""

    id: str
    lang: str
    question: str
    expected_verdicts: list[str]
    gold_clauses: list[str] = field(default_factory=list)
    category: str = ""  # kept for reports; never shown to trainees


def datasets_dir() -> Path:
    return REPO_ROOT / "evals" / "datasets"


def _latest_dataset(root: Path) -> Path | None:
    versions = [d for d in root.iterdir() if d.is_dir() and re.fullmatch(r"v\d+", d.name)] if root.is_dir() else []
    return max(versions, key=lambda d: int(d.name[1:]), default=None)


def training_cases(root: Path | None = None) -> tuple[list[TrainingCase], str | None]:
    """The newest dataset's cases (``cases.jsonl``) as scenarios, and a note when there are none."""
    folder = _latest_dataset(root or datasets_dir())
    file = folder / "cases.jsonl" if folder else None
    if file is None or not file.is_file():
        return [], "no evaluation cases found"
    out: list[TrainingCase] = []
    seen: set[str] = set()
    for line in file.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            case = TrainingCase(id=str(row["id"]), lang=str(row["lang"]), question=str(row["question"]),
                                expected_verdicts=[str(v) for v in row["expected_verdicts"]],
                                gold_clauses=[str(c) for c in row.get("gold_clauses") or []],
                                category=str(row.get("category", "")))
        except (ValueError, KeyError, TypeError):
            continue
        if case.id not in seen and case.lang in ("ko", "en") and case.expected_verdicts:
            seen.add(case.id)
            out.append(case)
    return out, None if out else "no evaluation cases found"


# -- evaluation reports (the files ``guidebot eval`` writes) ---------------------------------------


def report_dir(settings: Settings, split: str = "test") -> Path:
    return settings.data_dir / "evals" / f"last-{split}"


def load_report(folder: Path) -> dict[str, Any] | None:
    file = folder / "report.json"
    if not file.is_file():
        return None
    data = json.loads(file.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def failing_cases(folder: Path, limit: int = 200) -> list[dict[str, Any]]:
    """guidebot's predictions whose verdict is not among the expected ones (predictions.jsonl)."""
    file = folder / "predictions.jsonl"
    if not file.is_file():
        return []
    out = []
    for line in file.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("system") == "guidebot" and row.get("verdict") not in (row.get("expected") or []):
            out.append(row)
            if len(out) >= limit:
                break
    return out
