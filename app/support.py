"""The judge-free support test: does a cited passage back an answer sentence?

A sentence is supported by its cited texts when

1. it quotes (“…”) and every quoted span appears verbatim in one of the texts; or
2. it states a verdict or a rule ("Not allowed ...", "must not be entered ...") and a cited clause
   has the matching stance (prohibits / requires / permits); or, unless it permits what every
   cited passage forbids (or the reverse),
3. at least ``LEXICAL_SUPPORT`` of its content tokens occur in the texts; or
4. its embedding is at least ``DENSE_SUPPORT`` similar to one of the texts.

The thresholds were set on the hand-labelled pairs in evals/datasets/v1/support_pairs.jsonl
(tests/test_support.py reports the agreement).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ingest.tokens import tokenize

LEXICAL_SUPPORT = 0.6
DENSE_SUPPORT = 0.6

_QUOTE = re.compile(r"“([^”]+)”")
_MARKER = re.compile(r"\s*\[\d+\]")
_CLAIMS = {
    "prohibits": re.compile(r"허용되지 않|금지|안 됩니다|안 된다|\bnot allowed\b|\bforbid|\bprohibit|\bmust not\b", re.IGNORECASE),
    "requires": re.compile(r"조건|지켜야|해야 합니다|하여야|\bconditions?\b|\bmust\b|\brequire", re.IGNORECASE),
    "permits": re.compile(r"허용됩니다|허용하고|\bpermit|\ballowed\b|\bmay\b", re.IGNORECASE),
    "informs": re.compile(r"다음과 같습니다|^Here is what", re.IGNORECASE),
}
# Which clause stances back each kind of claim.
# (A requirement backs "not allowed" too: skipping what a clause requires is not allowed.)
_BACKING = {"prohibits": {"prohibits", "requires"}, "requires": {"requires", "recommends", "prohibits"}, "permits": {"permits"},
            "informs": {"prohibits", "requires", "permits", "recommends", "informs"}}


def normalise(text: str) -> str:
    return " ".join(text.split())


def claim_kind(sentence: str) -> str | None:
    """The kind of verdict or rule claim a template sentence makes, if any."""
    for kind in ("prohibits", "requires", "permits", "informs"):
        if _CLAIMS[kind].search(sentence):
            return kind
    return None


def supported(sentence: str, texts: list[str], lang: str, *, stances: list[str] | None = None, embedder: Any = None) -> bool:
    """Whether ``texts`` (the cited passages, with their ``stances``) support ``sentence``."""
    if not texts:
        return False
    quotes = _QUOTE.findall(sentence)
    if quotes:
        joined = [normalise(t) for t in texts]
        return all(any(normalise(q) in t for t in joined) for q in quotes)
    claim = _MARKER.sub("", sentence).strip()
    tokens = set(tokenize(claim, lang))
    kind = claim_kind(claim)
    # A verdict or rule sentence (guidebot's own wording, or a short one) is backed by a clause of
    # the matching stance: "Not allowed [1]" needs [1] to prohibit.
    if kind and stances and set(stances) & _BACKING[kind] and (_is_template(claim) or len(tokens) <= 6):
        return True
    if not tokens:
        return False
    if _flips_polarity(claim, texts) or _numbers(claim) - set().union(*(_numbers(t) for t in texts)):
        return False
    cited: set[str] = set()
    for text in texts:
        cited |= set(tokenize(text, lang))
    if len(tokens & cited) / len(tokens) >= LEXICAL_SUPPORT:
        return True
    if embedder is None:
        return False
    vectors = np.asarray(embedder.embed_documents([claim, *texts]))
    return bool((vectors[1:] @ vectors[0]).max() >= DENSE_SUPPORT)


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "hundred": 100,
    "하나": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9,
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|[가-힣]+")


def _numbers(text: str) -> set[str]:
    """Numbers a text states, digits and number words alike ("five" and "5" are one number)."""
    out = set()
    for token in _NUMBER.findall(text):
        if token[0].isdigit():
            out.add(token.replace(",", ""))
        elif token.lower() in _NUMBER_WORDS:
            out.add(str(_NUMBER_WORDS[token.lower()]))
    return out


def _flips_polarity(claim: str, texts: list[str]) -> bool:
    """A sentence that permits what every cited passage forbids (or forbids what they permit)."""
    from ingest.stance import detect_stance

    mine = detect_stance(claim, 1)
    theirs = {detect_stance(t) for t in texts}
    return (mine == "permits" and theirs == {"prohibits"}) or (mine == "prohibits" and theirs <= {"permits"})


def _is_template(claim: str) -> bool:
    """Verdict and rule sentences that guidebot writes itself (see app/compose.py)."""
    from app.compose import TEMPLATE_SENTENCES

    return any(claim.startswith(t[:18]) for t in TEMPLATE_SENTENCES)
