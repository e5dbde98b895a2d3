"""The corpus: 24 files that parse, agree across languages, cross-reference correctly, stay honest."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from ingest.chunker import chunk_document
from ingest.documents import BASES, KINDS
from ingest.loaders import load_file
from ingest.settings import REPO_ROOT

CORPUS = REPO_ROOT / "corpus"
DOC_IDS = [
    "kr-national-ai-strategy-2019", "kr-ai-ethics-standards-2020", "kr-trustworthy-ai-strategy-2021",
    "kr-ai-ethics-framework-project", "kr-ai-basic-act", "kr-ai-basic-act-decree", "busan-genai-guidelines-2025",
    "kr-nis-genai-security", "kr-mois-genai-guidance", "kr-pipc-genai-privacy", "seoul-ai-ethics-guidelines",
    "foreign-public-sector-genai",
]
PRESS_ONLY = {"busan-genai-guidelines-2025", "kr-nis-genai-security", "kr-mois-genai-guidance"}
REQUIRED = ("id", "lang", "title", "issuer", "issued", "kind", "basis", "source", "note")
_ANCHOR = re.compile(r"^#{1,6} .*\{#([A-Za-z0-9_\-]+)[^}]*\}\s*$", re.MULTILINE)
_XREF = re.compile(r"\b([a-z][a-z0-9\-]+[a-z0-9])#([a-z0-9][a-z0-9\-]*)")
FILES = sorted(CORPUS.glob("*/*.md"))


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return yaml.safe_load(text[4 : text.index("\n---", 4)])


def anchors(path: Path) -> list[str]:
    return _ANCHOR.findall(path.read_text(encoding="utf-8"))


def test_every_document_in_both_languages() -> None:
    for doc_id in DOC_IDS:
        for lang in ("ko", "en"):
            assert (CORPUS / lang / f"{doc_id}.md").exists(), f"missing {lang}/{doc_id}.md"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_front_matter_complete_and_valid(path: Path) -> None:
    meta = front_matter(path)
    missing = [k for k in REQUIRED if not meta.get(k)]
    assert not missing, f"{path}: missing {missing}"
    assert meta["id"] == path.stem and meta["lang"] == path.parent.name
    assert meta["kind"] in KINDS and meta["basis"] in BASES
    assert isinstance(meta["issued"], dt.date) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["issued"]))
    if meta["id"] in PRESS_ONLY:
        assert meta["basis"] == "press-reports"
    assert "about" in anchors(path), "an 'About this summary' section"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_file_parses_and_chunks(path: Path) -> None:
    doc = load_file(path)
    chunks = chunk_document(doc)
    assert chunks
    assert {c.metadata["section_id"] for c in chunks} >= set(anchors(path)) - {a for a in anchors(path) if _empty(path, a)}


def _empty(path: Path, anchor: str) -> bool:
    """A heading whose section holds no text of its own (only sub-headings)."""
    text = path.read_text(encoding="utf-8")
    start = re.search(r"\{#" + re.escape(anchor) + r"[ }]", text)
    assert start
    rest = text[text.index("\n", start.end()) + 1 :]
    body = re.split(r"^#{1,6} ", rest, maxsplit=1, flags=re.MULTILINE)[0]
    return not body.strip()


def test_anchor_sets_identical_and_unique() -> None:
    for doc_id in DOC_IDS:
        ko, en = anchors(CORPUS / "ko" / f"{doc_id}.md"), anchors(CORPUS / "en" / f"{doc_id}.md")
        assert len(ko) == len(set(ko)), f"duplicate anchors in ko/{doc_id}"
        assert len(en) == len(set(en)), f"duplicate anchors in en/{doc_id}"
        assert ko == en, f"{doc_id}: anchors differ: {sorted(set(ko) ^ set(en))}"


def test_depth() -> None:
    total = sum(len(anchors(p)) for p in FILES)
    assert total > 200, total


def test_cross_references_resolve() -> None:
    known = {p.stem: set(anchors(p)) for p in FILES}
    for path in FILES:
        for doc_id, anchor in _XREF.findall(path.read_text(encoding="utf-8")):
            if doc_id in known:
                assert anchor in known[doc_id], f"{path}: {doc_id}#{anchor} does not resolve"


def test_required_cross_references() -> None:
    busan = (CORPUS / "en" / "busan-genai-guidelines-2025.md").read_text(encoding="utf-8")
    assert "kr-ai-basic-act#art-29" in busan


def test_no_seed_sentence_copied() -> None:
    lines = (REPO_ROOT / "tests" / "data" / "seed_shingles.txt").read_text(encoding="utf-8").splitlines()
    seed = {line for line in lines if line and not line.startswith("#")}
    for path in FILES:
        tokens = re.findall(r"\w+", path.read_text(encoding="utf-8").lower())
        for i in range(len(tokens) - 11):
            shingle = hashlib.sha256(" ".join(tokens[i : i + 12]).encode()).hexdigest()[:16]
            assert shingle not in seed, f"{path}: copies seed text near '{' '.join(tokens[i : i + 12])}'"


TRAPS = [
    (r"300\s?만\s?원|3백만\s?원|3 million won|KRW 3 million\b|KRW 3,000,000\b", "the fine cap is KRW 30 million"),
    (r"2020년까지|by 2020\b", "the national strategy's targets are for 2030"),
    (r"unacceptable[- ]risk|금지된 인공지능 (유형|목록)|prohibited AI practices", "the Act has no banned-practice list"),
]


@pytest.mark.parametrize(("pattern", "why"), TRAPS, ids=[t[1] for t in TRAPS])
def test_known_traps_absent(pattern: str, why: str) -> None:
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(pattern, text, re.IGNORECASE):
            window = text[max(0, match.start() - 120) : match.end() + 120].lower()
            assert any(w in window for w in ("not ", "아니", "없", "no ", "trap", "오류", "잘못", "error", "incorrect")), (
                f"{path}: {why}: {match.group(0)!r}")


def test_busan_has_no_invented_article_numbers() -> None:
    """No article of Busan's guideline is known: the text may name Act and ordinance articles only."""
    own = re.compile(r"지침\s*제\s*\d+\s*조|(guideline|Busan)'?s? Article \d+|Article \d+ of (the |Busan's )?(Busan|guideline)", re.IGNORECASE)
    for lang in ("ko", "en"):
        text = (CORPUS / lang / "busan-genai-guidelines-2025.md").read_text(encoding="utf-8")
        assert not own.search(text), own.search(text)


def test_whole_corpus_ingests(corpus_settings) -> None:
    from ingest.pipeline import open_store

    store, _ = open_store(corpus_settings)
    docs = {r["metadata"]["doc_id"] for r in store.iter_all()}
    assert docs >= set(DOC_IDS)
