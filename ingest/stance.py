"""What a clause does: prohibit, require, permit, recommend or only inform.

Read from the modal wording of the clause's first sentences, in Korean and English.  Corpus
markup can override it (``{#anchor stance=prohibits}``) where the wording is ambiguous.
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "prohibits",
        re.compile(
            r"\b(must not|may not|shall not|must never|should not|should never|cannot be used|"
            r"(is|are) (prohibited|forbidden|banned|not (allowed|permitted))|(do not|never) (enter|paste|upload|put|input|share|use|disclose|rely))\b"
            r"|(서는|서도) 안\s?(된다|되며|되고|됩니다)|아니\s?된다|금지(된다|한다|하며|하고)|하지 말아야|하지 않아야|입력하지 말|(불가|허용되지 않)",
            re.IGNORECASE,
        ),
    ),
    ("recommends", re.compile(r"노력(하여|해)야|힘써야|endeavou?r to|strive to", re.IGNORECASE)),
    (
        "requires",
        re.compile(
            r"\b(must|shall|(is|are) (required|obliged|obligated) to|has to|have to)\b"
            r"|[가-힣]야\s?(한다|하며|하고|하는|할)|의무(가|를|이|로|화)",
            re.IGNORECASE,
        ),
    ),
    (
        "permits",
        re.compile(
            r"\b((?-i:may)|can (use|be used|draw on|rely on|ask|consult|adopt|apply|request|make|choose)|(is|are) (allowed|permitted)|(is|are) free to)\b"
            r"|할 수 있다|할 수 있으며|할 수 있고|허용(된다|한다|됩니다)|(사용|활용|이용)(이|할 수 있도록)? 가능하다|[가-힣]도 (된다|됩니다|좋다|좋습니다)",
            re.IGNORECASE,
        ),
    ),
    (
        "recommends",
        re.compile(
            r"\b(should|(is|are) (recommended|encouraged|advised)|ought to)\b|권장(한다|된다|하며)|바람직하다|노력하여야|노력해야",
            re.IGNORECASE,
        ),
    ),
]

# Possibility, not permission: "피해가 발생할 수 있다", "information may leak".
_POSSIBILITY = re.compile(
    r"(발생|초래|야기|유출|침해|악용|오용|누출|확산|생길|생기|왜곡|훼손)(할|될|하게 될)? ?수 있|"
    r"\b(may|might|can|could) (leak|arise|occur|cause|lead|result|harm|affect|contain|include|be (misused|leaked|wrong|inaccurate|biased))\b",
    re.IGNORECASE,
)


def detect_stance(text: str, max_sentences: int = 2) -> str:
    """The stance of a clause from its first sentences; 'informs' when no modal word is found."""
    from ingest.documents import split_sentences

    for sentence in split_sentences(text.strip())[:max_sentences]:
        sentence = _POSSIBILITY.sub(" ", sentence)
        for stance, pattern in _PATTERNS:
            if pattern.search(sentence):
                return stance
        if _korean_can(sentence):
            return "permits"
    return "informs"


_KO_CAN = re.compile(r"([가-힣])\s수\s?있(다|으며|고|습니다)")


def _korean_can(sentence: str) -> bool:
    """Korean "-(으)ㄹ 수 있다" (may): the syllable before 수 ends in ㄹ (받을, 둘, 줄일)."""
    for match in _KO_CAN.finditer(sentence):
        syllable = ord(match.group(1)) - 0xAC00
        if 0 <= syllable < 11172 and syllable % 28 == 8:
            return True
    return False
