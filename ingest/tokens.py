"""Keyword tokens for the BM25 leg: Kiwi morphemes for Korean, plain lowercased words for English."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib.metadata import version
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


# Kiwi without its typo and multi-word (WikiData) dictionaries: clause and question words are
# matched one by one, and leaving those two out saves about 190 MB and 1.5 s of loading (measured:
# 487 MB and 2.9 s with them, 298 MB and 1.3 s without).  Tokens stored at ingest must come from
# the same tokenizer, so its id is part of the store's chunker id.  Two worker threads analyse
# the batches of :func:`tokenize_many` (a document's chunks at ingest) in parallel.
_KIWI_OPTIONS: dict[str, Any] = {"load_typo_dict": False, "load_multi_dict": False, "num_workers": 2}
TOKENIZER_ID = f"kiwi{version('kiwipiepy')}-{version('kiwipiepy_model')}-notypo-nomulti"


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    kiwi = Kiwi(**_KIWI_OPTIONS)
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
    return _content(tokens)


def _content(tokens: Any) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        if tok.tag in _KEEP_TAGS:
            form = tok.form.lower()
            if tok.tag == "SL" and form in _EN_STOP:
                continue
            out.append(form)
    return out


def tokenize_many(texts: list[str], lang: str) -> list[list[str]]:
    """Tokens of each text, all in ``lang``: Kiwi analyses a batch on its worker threads."""
    if lang != "ko":
        return [tokenize_en(t) for t in texts]
    with _lock:
        batches = list(_kiwi().tokenize(texts))
    return [_content(tokens) for tokens in batches]


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Tokens of ``text`` in its language (detected when not given)."""
    return list(_tokenize_cached(text, lang or detect_lang(text)))


@lru_cache(maxsize=4096)
def _tokenize_cached(text: str, lang: str) -> tuple[str, ...]:
    # Answering tokenizes the same question and the same clause sentences several times; a
    # Korean sentence costs Kiwi about a millisecond.  (Questions are masked before they get here.)
    return tuple(tokenize_ko(text) if lang == "ko" else tokenize_en(text))


def morphemes(text: str, lang: str | None = None) -> list[str]:
    """Every morpheme with its tag for Korean ("않/VX", "어도/EC"), every lowercased word for English.

    Question understanding needs the function morphemes that :func:`tokenize` drops: endings and
    auxiliaries carry whether a question asks permission ("-어도 되") or negates ("않").
    """
    return list(_morphemes_cached(text, lang or detect_lang(text)))


@lru_cache(maxsize=4096)
def _morphemes_cached(text: str, lang: str) -> tuple[str, ...]:
    if lang != "ko":
        return tuple(_EN_WORD.findall(text.lower()))
    with _lock:
        tokens = _kiwi().tokenize(text)
    return tuple(f"{t.form.lower()}/{t.tag}" for t in tokens)
