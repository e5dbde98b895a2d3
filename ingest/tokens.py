"""Keyword tokens for the BM25 leg: Kiwi morphemes for Korean, plain lowercased words for English."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from ingest.documents import detect_lang

# Content morphemes only: nouns, numbers, foreign words, verb/adjective stems and roots.
_KEEP_TAGS = {"NNG", "NNP", "NNB", "NR", "SL", "SN", "SH", "VV", "VA", "XR", "MAG", "VV-R", "VA-R", "VV-I", "VA-I"}
_EN_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_EN_STOP = frozenset(
    "a an the of to in on for and or is are be by with as at it this that from was were can may i my we our "
    "do does did".split()
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    kiwi.tokenize("초기화를 위한 첫 문장입니다.")  # the first call pays a one-time setup cost
    return kiwi


def warm_up() -> None:
    """Load Kiwi now rather than on the first question."""
    _kiwi()


def tokenize_en(text: str) -> list[str]:
    return [w for w in _EN_WORD.findall(text.lower()) if w not in _EN_STOP]


def tokenize_ko(text: str) -> list[str]:
    with _lock:  # Kiwi objects are not documented as thread-safe
        tokens = _kiwi().tokenize(text)
    out: list[str] = []
    for tok in tokens:
        if tok.tag in _KEEP_TAGS:
            form = tok.form.lower()
            if tok.tag == "SL" and form in _EN_STOP:
                continue
            out.append(form)
    return out


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Tokens of ``text`` in its language (detected when not given)."""
    lang = lang or detect_lang(text)
    return tokenize_ko(text) if lang == "ko" else tokenize_en(text)
