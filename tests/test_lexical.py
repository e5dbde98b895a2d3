"""The compact lexicon against bm25s (the reference implementation of the same BM25 variant)."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from app.lexical import Lexicon, top_rows


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(300)]
    weights = [1 / (i + 1) for i in range(300)]  # Zipf-like, so some tokens are common and some rare
    docs = [rng.choices(words, weights, k=rng.randint(1, 80)) for _ in range(400)]
    docs.append([])  # an empty chunk
    return docs


def indexed(corpus: list[list[str]]) -> tuple[bm25s.BM25, Lexicon]:
    """The reference bm25s index and our lexicon over the same corpus."""
    reference = bm25s.BM25()
    reference.index([d or ["∅"] for d in corpus], show_progress=False)
    lexicon = Lexicon()
    for doc in corpus:
        lexicon.add(doc)
    lexicon.freeze()
    return reference, lexicon


def test_scores_match_bm25s(corpus: list[list[str]]) -> None:
    reference, lexicon = indexed(corpus)
    for query in (["w0"], ["w1", "w5", "w250"], ["w3", "w3", "w17"], ["w299", "w42", "w0", "w7"]):
        expected = reference.get_scores(query)
        got = lexicon.scores(lexicon.known(query))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert got.any()


def test_reordered_rows_keep_their_tokens(corpus: list[list[str]]) -> None:
    lexicon = Lexicon()
    for doc in corpus:
        lexicon.add(doc)
    order = list(range(len(corpus)))[::-1]
    lexicon.freeze(order)
    everything = list(lexicon.vocab.values())
    for row, source in enumerate(order[:50]):
        names = {lexicon.vocab[t] for t in corpus[source]} if corpus[source] else {lexicon.vocab["∅"]}
        held = {i for i, h in zip(everything, lexicon.holds([row], everything), strict=True) if h}
        assert held == names
        assert lexicon.overlap(row, everything + everything) == len(names)
    doc = corpus[order[1]]
    assert lexicon.holds([1], lexicon.known([doc[0], "never-seen"])).tolist() == [True]
    assert lexicon.holds([0], lexicon.known([doc[0]])).tolist() == [False]  # row 0 is the empty chunk
    assert lexicon.weight("never-seen") == lexicon.unknown_idf > lexicon.weight("w0")


def test_top_rows_best_first_ties_by_index() -> None:
    scores = np.asarray([0.1, 0.9, 0.5, 0.9, 0.0, 0.7], dtype=np.float32)
    assert top_rows(scores, 3).tolist() == [1, 3, 5]
    assert top_rows(scores, 10).tolist() == [1, 3, 5, 2, 0, 4]


def test_saved_lexicon_is_a_bm25s_index_loaded_memory_mapped(corpus: list[list[str]], tmp_path) -> None:
    """``Lexicon.save`` writes bm25s's format: bm25s itself loads it (memory-mapped) and scores as
    the reference does, and ``Lexicon.load`` gives back the same scores, weights and coverage."""
    reference, lexicon = indexed(corpus)
    lexicon.save(tmp_path / "lex")
    by_bm25s = bm25s.BM25.load(str(tmp_path / "lex"), mmap=True)
    loaded = Lexicon.load(tmp_path / "lex")
    assert isinstance(loaded.col_weights, np.memmap) and isinstance(loaded.col_rows, np.memmap)
    for query in (["w0"], ["w1", "w5", "w250"], ["w3", "w3", "w17"]):
        expected = reference.get_scores(query)
        np.testing.assert_allclose(by_bm25s.get_scores(query), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loaded.scores(loaded.known(query)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.idf, lexicon.idf)
    assert loaded.unknown_idf == lexicon.unknown_idf and loaded.rows == lexicon.rows == len(corpus)
    everything = list(lexicon.vocab.values())
    assert loaded.holds([7], everything).tolist() == lexicon.holds([7], everything).tolist()
