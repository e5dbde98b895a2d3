"""The lexical side of retrieval in compact arrays: a vocabulary, each chunk's distinct token ids,
and BM25 weights by token, so that a hundred thousand chunks cost tens of megabytes rather than
gigabytes of Python strings and sets.

BM25 is Lucene's variant with k1 = 1.5 and b = 0.75, the scores bm25s computes by default (a
test checks the two agree); it is computed here because building it from arrays, rather than
from lists of token lists, is what keeps the index small at 100x the corpus.  The result is
bm25s's own index (a CSC matrix of scores by token): :meth:`Lexicon.save` and
:meth:`Lexicon.load` use bm25s's format, and loading memory-maps it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

EMPTY_TOKEN = "∅"  # a chunk without tokens still has length 1, as in bm25s


class Lexicon:
    """Token statistics of an ordered set of chunks (rows).

    Build with :meth:`add` (one call per chunk) and :meth:`freeze`; then query.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        # While building: each row's distinct token ids and their counts, end to end in flat buffers.
        self._ids = array("i")
        self._tf = array("f")
        self._distinct = array("q")
        self._length = array("q")
        self.rows = 0

    # -- building ------------------------------------------------------------------------------

    def token_ids(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``, adding unseen ones to the vocabulary."""
        vocab = self.vocab
        return [vocab.setdefault(t, len(vocab)) for t in tokens]

    def add(self, tokens: Sequence[str]) -> int:
        """Add one chunk's tokens; returns its row (before :meth:`freeze` reorders)."""
        ids = np.asarray(self.token_ids(tokens or [EMPTY_TOKEN]), dtype=np.int32)
        unique, counts = np.unique(ids, return_counts=True)
        self._ids.frombytes(unique.astype(np.int32).tobytes())
        self._tf.frombytes(counts.astype(np.float32).tobytes())
        self._distinct.append(len(unique))
        self._length.append(len(ids))
        self.rows += 1
        return self.rows - 1

    def freeze(self, order: Sequence[int] | None = None) -> None:
        """Fix the rows (in ``order`` of their :meth:`add` positions) and compute the weights."""
        order_arr = np.arange(self.rows) if order is None else np.asarray(order, dtype=np.int64)
        n, size = len(order_arr), len(self.vocab)
        distinct = np.frombuffer(self._distinct, dtype=np.int64) if self.rows else np.zeros(0, np.int64)
        starts = np.concatenate([[0], np.cumsum(distinct)[:-1]]) if self.rows else np.zeros(0, np.int64)
        lengths = (np.frombuffer(self._length, dtype=np.int64) if self.rows else np.zeros(0, np.int64))[order_arr].astype(np.float64)
        per_row = distinct[order_arr]
        # Gather the rows' entries in the new order: entry j of new row r is old entry starts[order[r]] + j.
        row_of = np.repeat(np.arange(n, dtype=np.int32), per_row)
        first = np.concatenate([[0], np.cumsum(per_row)[:-1]]) if n else np.zeros(0, np.int64)
        gather = starts[order_arr][row_of] + (np.arange(len(row_of)) - first[row_of])
        indices = np.frombuffer(self._ids, dtype=np.int32)[gather] if n else np.zeros(0, np.int32)
        tf = np.frombuffer(self._tf, dtype=np.float32)[gather] if n else np.zeros(0, np.float32)
        self._ids, self._tf, self._distinct, self._length = array("i"), array("f"), array("q"), array("q")
        del gather, first, starts, distinct
        self.df = np.bincount(indices, minlength=size).astype(np.float64)
        self.rows = n
        # Lucene's idf; a token no chunk holds (df 0) gets the highest weight.
        self._weights_from_df()
        avg = float(lengths.mean()) if n else 1.0
        norm = self.k1 * ((1.0 - self.b) + self.b * lengths[row_of] / avg)
        weights = (self.idf[indices] * tf / (tf + norm)).astype(np.float32)
        # Kept by token only (column-major): the rows holding each token, ascending, and their weights.
        by_token = np.argsort(indices, kind="stable")
        del indices, tf, norm
        self.col_rows = row_of[by_token]
        self.col_weights = weights[by_token]
        self.col_ptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(self.df.astype(np.int64), out=self.col_ptr[1:])

    def _weights_from_df(self) -> None:
        n = self.rows
        self.idf = np.log(1.0 + (n - self.df + 0.5) / (self.df + 0.5))
        self.unknown_idf = math.log(1.0 + (n + 0.5) / 0.5)

    # -- saved form (bm25s's) ------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Save as a bm25s index (``bm25s.BM25.load(folder, mmap=True)`` reads it back)."""
        import bm25s

        model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        model.scores = {"data": self.col_weights, "indices": self.col_rows, "indptr": self.col_ptr, "num_docs": self.rows}
        model.vocab_dict = self.vocab
        model.nonoccurrence_array = None  # Lucene's variant has none
        model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> Lexicon:
        """A lexicon from a saved bm25s index, its score matrix memory-mapped."""
        import bm25s

        model = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False)
        if model.method != "lucene":
            raise ValueError(f"the saved BM25 index uses '{model.method}', not Lucene's variant")
        lexicon = cls(float(model.k1), float(model.b))
        lexicon.vocab = model.vocab_dict
        lexicon.col_weights = model.scores["data"]
        lexicon.col_rows = model.scores["indices"]
        lexicon.col_ptr = model.scores["indptr"]
        lexicon.rows = int(model.scores["num_docs"])
        lexicon.df = np.diff(np.asarray(lexicon.col_ptr)).astype(np.float64)
        lexicon._weights_from_df()
        return lexicon

    # -- queries -------------------------------------------------------------------------------

    def known(self, tokens: Iterable[str]) -> list[int]:
        """Ids of the tokens the vocabulary holds, repeats kept."""
        vocab = self.vocab
        return [vocab[t] for t in tokens if t in vocab]

    def weight(self, token: str) -> float:
        """The token's idf (a token the chunks never hold gets the unknown-token idf)."""
        i = self.vocab.get(token)
        return float(self.idf[i]) if i is not None else self.unknown_idf

    def scores(self, ids: Sequence[int]) -> np.ndarray:
        """BM25 score of every row for a query of token ids (repeated ids count again)."""
        out = np.zeros(self.rows, dtype=np.float32)
        for i in ids:
            start, end = self.col_ptr[i], self.col_ptr[i + 1]
            out[self.col_rows[start:end]] += self.col_weights[start:end]
        return out

    def rows_holding(self, token_id: int) -> np.ndarray:
        """The rows that hold the token, ascending."""
        return self.col_rows[self.col_ptr[token_id] : self.col_ptr[token_id + 1]]

    def holds(self, rows: Sequence[int], ids: Sequence[int]) -> np.ndarray:
        """For each of ``ids``, whether any of ``rows`` holds it."""
        wanted = np.asarray(sorted(rows), dtype=np.int32)
        out = np.zeros(len(ids), dtype=bool)
        if not len(wanted):
            return out
        for n, i in enumerate(ids):
            column = self.rows_holding(i)
            if len(column):
                pos = np.minimum(np.searchsorted(column, wanted), len(column) - 1)
                out[n] = bool((column[pos] == wanted).any())
        return out

    def overlap(self, row: int, ids: Iterable[int]) -> int:
        """How many of the distinct ``ids`` the row holds."""
        distinct = sorted(set(ids))
        return int(self.holds([row], distinct).sum())


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest scores, best first (ties by index)."""
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n)[:n]
    part.sort()
    return part[np.argsort(-scores[part], kind="stable")]
