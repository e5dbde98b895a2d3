"""Polarity and modality of a sentence, and whether a rewrite reverses its cited clause.

Lexical overlap and a matching clause stance do not notice a flipped negation: "officials must
include personal information" shares almost every word with "officials must not include personal
information".  This module labels each part (segment) of a sentence with what it says about the
act it names:

``prohibits`` (must not, may not, 하여서는 아니 된다, 금지), ``requires`` (must, shall, required,
하여야 한다, 의무), ``permits`` (may, can, allowed, 할 수 있다, 해도 된다, 허용), ``optional`` (need
not, not required, 하지 않아도 된다, 필요가 없다), or, without a modal word, ``positive`` /
``negative`` (not, never, no, without; 않, 안, 못, 없, 아니).

:func:`reversal` finds, for each segment of an answer sentence, the best-matching segment of the
cited clauses by content-token overlap (the polarity words themselves left out) and reports the
pair when the labels are reversed.  English works on lowercased words, Korean on Kiwi morphemes
(``ingest.tokens.morphemes``): no regular expression here touches Korean text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.documents import split_sentences
from ingest.tokens import morphemes, tokenize

PROHIBITS, REQUIRES, PERMITS, OPTIONAL = "prohibits", "requires", "permits", "optional"
POSITIVE, NEGATIVE = "positive", "negative"
MODAL = (PROHIBITS, REQUIRES, PERMITS, OPTIONAL)

# (clause label, sentence label) pairs where the sentence says the opposite of the clause.
# Weakening is not reversal: a clause that requires backs "may", one that prohibits backs "need not".
REVERSED = {
    (PROHIBITS, REQUIRES), (PROHIBITS, PERMITS),
    (REQUIRES, PROHIBITS), (REQUIRES, OPTIONAL), (REQUIRES, NEGATIVE),
    (PERMITS, PROHIBITS), (PERMITS, REQUIRES),
    (OPTIONAL, REQUIRES),
    (POSITIVE, NEGATIVE), (NEGATIVE, POSITIVE), (NEGATIVE, PERMITS), (NEGATIVE, REQUIRES),
}
# "Same act": a clause segment must share at least this many content tokens with the sentence
# segment, and at least this share of the sentence segment's tokens.
MIN_SHARED = 2
MIN_OVERLAP = 0.5

# ---------------------------------------------------------------- English (lowercased words)
_EN_PHRASES: dict[tuple[str, ...], str] = {}
for _label, _phrases in (
    (PROHIBITS, "must not|must never|shall not|shall never|may not|may never|cannot|can't|can not|can never|"
                "should not|should never|mustn't|shouldn't|not allowed|not permitted|never allowed|never permitted|"
                "isn't allowed|aren't allowed|isn't permitted|aren't permitted|prohibited|forbidden|banned|prohibit|"
                "prohibits|forbid|forbids|required not to|told not to|obliged not to|not to be"),
    (OPTIONAL, "need not|needn't|not need to|don't need to|doesn't need to|not have to|don't have to|"
               "doesn't have to|not required|isn't required|aren't required|not require|not requires|"
               "don't require|doesn't require|not obliged|not obligated|not mandatory|not compulsory|"
               "not obligatory|not necessary|isn't necessary|no need|optional|not needed|unnecessary"),
    (REQUIRES, "must|shall|required|require|requires|obliged|obligated|mandatory|obligatory|compulsory|has to|"
               "have to|need to|needs to|necessary|should"),
    (PERMITS, "may|can|allowed|permitted|allow|allows|permit|permits|free to"),
):
    for _phrase in _phrases.split("|"):
        _EN_PHRASES[tuple(_phrase.split())] = _label
_EN_LONGEST = max(len(p) for p in _EN_PHRASES)
_EN_NEGATION = frozenset("not never no without nor none neither nothing don't doesn't isn't aren't won't didn't "
                         "wasn't weren't".split())
# "may leak", "can cause": possibility, not permission.
_EN_POSSIBLE = frozenset("leak leaks arise occur cause lead result harm affect contain be".split())
_EN_POSSIBLE_BE = frozenset("misused leaked wrong inaccurate biased false incorrect unreliable harmful accurate correct "
                            "reliable true complete current available trustworthy up-to-date right fair unbiased "
                            "safe secure sufficient enough appropriate suitable valid".split())
# Left out of the overlap: polarity words, and function words tokenize() keeps.
_EN_POLARITY_WORDS = frozenset(w for p in _EN_PHRASES for w in p) | _EN_NEGATION | frozenset(
    "always also still even then they their them you your its these those there into under other when if "
    "however but so therefore thus".split())
_MARKER = re.compile(r"\[\d+\]")  # citation markers, ASCII only

# ---------------------------------------------------------------- Korean (Kiwi morphemes)
_KO_CONTENT_TAGS = {"NNG", "NNP", "NNB", "NR", "SL", "SN", "SH", "VV", "VA", "XR", "MAG",
                    "VV-R", "VA-R", "VV-I", "VA-I"}
_KO_NEGATION = {("않", "VX"), ("안", "MAG"), ("못", "MAG"), ("없", "VA"), ("아니", "VCN"), ("아니", "MAG"),
                ("없이", "MAG")}
_KO_POLARITY_FORMS = {"않", "안", "못", "없", "없이", "아니", "되", "하", "있", "수", "금지", "허용", "가능", "불가",
                      "필요", "의무", "말", "반드시", "선택", "사항", "좋", "불허"}
_KO_CONNECTIVE = {"고", "며", "으며", "면서", "으면서", "지만", "으나", "나", "는데", "은데"}
_KO_POSSIBLE = {"발생", "초래", "야기", "유출", "침해", "악용", "오용", "누출", "확산", "왜곡", "훼손", "생기"}
_KO_MUST_ENDINGS = {"어야", "아야", "여야", "야"}
_KO_EVEN_IF = {"어도", "아도", "여도", "도"}


@dataclass(frozen=True)
class Segment:
    """One part of a sentence: the label of what it says and the content tokens it says it about."""

    label: str
    tokens: frozenset[str]
    text: str


def _stem(word: str) -> str:
    """A crude English stem, enough to match "questions"/"question", "checking"/"check"."""
    if len(word) > 3:
        for suffix in ("ings", "ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                break
        if word.endswith("e") and len(word) > 3:
            word = word[:-1]
    return word


def _en_markers(words: list[str]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        for size in range(min(_EN_LONGEST, len(words) - i), 0, -1):
            label = _EN_PHRASES.get(tuple(words[i:i + size]))
            if label is None:
                continue
            nxt = words[i + size:i + size + 2]
            be_state = nxt[:1] == ["be"] and len(nxt) > 1 and nxt[1] in _EN_POSSIBLE_BE
            if words[i] in ("may", "can", "cannot", "can't") and (be_state or (
                    label == PERMITS and size == 1 and nxt and nxt[0] in _EN_POSSIBLE and nxt[0] != "be")):
                break  # "may leak", "may not be accurate": possibility, not permission
            if out and i - out[-1][1] <= 2:
                out[-1] = (out[-1][0], i + size, out[-1][2])  # "must not be allowed": one marker
            else:
                out.append((i, i + size, label))
            i += size - 1
            break
        i += 1
    return out


def _en_segments(sentence: str) -> list[Segment]:
    words = morphemes(sentence, "en")
    markers = _en_markers(words)
    if not markers:
        return [_segment(None, words, words, "en")]
    # A modal word governs what follows it: each segment starts at its marker (the first one
    # also keeps the subject before it).
    starts = [0] + [m[0] for m in markers[1:]] + [len(words)]
    segments = []
    for k, marker in enumerate(markers):
        span = words[starts[k]:starts[k + 1]]
        consumed = set(range(marker[0] - starts[k], marker[1] - starts[k]))
        plain = [w for j, w in enumerate(span) if j not in consumed]
        segments.append(_segment(marker[2], span, plain, "en"))
    return segments


def _ko_markers(morphs: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """(start, end, label) of the modal expressions among Korean morphemes."""
    out: list[tuple[int, int, str]] = []
    n = len(morphs)

    def negated_after(i: int, span: int = 4) -> int | None:
        for j in range(i + 1, min(n, i + 1 + span)):
            if morphs[j] in (("않", "VX"), ("안", "MAG"), ("아니", "VCN"), ("없", "VA")):
                return j
        return None

    i = 0
    while i < n:
        form, tag = morphs[i]
        nxt = morphs[i + 1] if i + 1 < n else ("", "")
        prev = morphs[i - 1] if i else ("", "")
        found: tuple[int, int, str] | None = None
        if tag == "EC" and form in _KO_MUST_ENDINGS and nxt[0] in ("하", "되") and nxt[1] in ("VX", "VV"):
            # 하여야 한다 (must); 하지 않아야 한다 / 하지 말아야 한다 (must not)
            if prev in (("않", "VX"), ("말", "VX")):
                found = (i - 1, i + 2, PROHIBITS)
            else:
                found = (i, i + 2, REQUIRES)
        elif tag == "EC" and form in _KO_EVEN_IF and nxt[0] in ("되", "좋") and nxt[1] in ("VV", "VA"):
            # 해도 된다 (may); 하지 않아도 된다 / 안 해도 된다 (need not)
            negators = [j for j in range(max(0, i - 3), i) if morphs[j] in (("않", "VX"), ("안", "MAG"), ("못", "MAG"))]
            found = (negators[0], i + 2, OPTIONAL) if negators else (i, i + 2, PERMITS)
        elif form in ("안", "아니") and tag == "MAG" and nxt == ("되", "VV"):
            found = (i, i + 2, PROHIBITS)  # 하여서는 아니 된다, 하면 안 된다
        elif (form, tag) == ("말", "VX"):
            found = (i, i + 1, PROHIBITS)  # 입력하지 말 것
        elif tag.startswith("NN") and form in ("금지", "불가", "불허"):
            found = (i, i + 1, PROHIBITS)
        elif form == "수" and tag == "NNB" and prev[1] == "ETM" and nxt[0] in ("있", "없"):
            before = morphs[i - 2] if i >= 2 else ("", "")
            verb = morphs[i - 3] if i >= 3 and before[1] == "XSV" else before
            # 유출될 수 있다, 정확하지 않을 수 있다, 있을 수 있다: possibility, not permission.
            possible = verb[0] in _KO_POSSIBLE or before[1] in ("XSA", "VA", "VX", "VCP")
            if not possible and nxt[0] == "없":
                found = (i, i + 2, PROHIBITS)  # 할 수 없다
            elif not possible:
                neg = negated_after(i + 1, 3)
                found = (i, (neg or i + 1) + 1, PROHIBITS if neg else PERMITS)  # 할 수 있다
        elif form == "허용" and tag.startswith("NN"):
            neg = negated_after(i)
            found = (i, (neg or i) + 1, PROHIBITS if neg else PERMITS)  # 허용된다 / 허용되지 않는다
        elif form == "가능" and tag.startswith("NN") and nxt != ("성", "XSN"):
            neg = negated_after(i)
            if prev == ("불", "XPN"):
                found = (i - 1, i + 1, PROHIBITS)  # 불가능하다
            else:
                found = (i, (neg or i) + 1, PROHIBITS if neg else PERMITS)
        elif form in ("의무", "필요") and tag.startswith("NN") and nxt != ("성", "XSN"):
            neg = negated_after(i, 3)
            found = (i, (neg or i) + 1, OPTIONAL if neg else REQUIRES)  # 필요가 없다, 의무가 아니다
        elif form == "선택" and tag.startswith("NN") and (nxt == ("사항", "NNG") or nxt == ("적", "XSN")):
            found = (i, i + 2, OPTIONAL)
        if found:
            out.append(found)
            i = found[1]
        else:
            i += 1
    return out


def _ko_segments(sentence: str) -> list[Segment]:
    morphs: list[tuple[str, str]] = []
    for item in morphemes(sentence, "ko"):
        form, _, tag = item.rpartition("/")
        morphs.append((form, tag))
    markers = _ko_markers(morphs)
    # A Korean predicate ends its clause: segments end after a modal expression or at a
    # connective ending (-고, -며, -지만 ...).
    ends = {m[1] for m in markers}
    ends |= {j + 1 for j, (form, tag) in enumerate(morphs) if tag == "EC" and form in _KO_CONNECTIVE}
    bounds = sorted(e for e in ends if 0 < e < len(morphs)) + [len(morphs)]
    spans: list[tuple[int, int]] = []
    start = 0
    for end in bounds:
        if end > start:
            spans.append((start, end))
            start = end
    parts: list[tuple[list[tuple[str, str]], str | None, list[tuple[str, str]]]] = []
    for a, b in spans:
        inside = [m for m in markers if a <= m[0] < b]
        label = inside[0][2] if inside else None
        consumed = {j for m in inside for j in range(m[0], m[1])}
        plain = [morphs[j] for j in range(a, b) if j not in consumed]
        parts.append((morphs[a:b], label, plain))
    # A tail without a modal word or content ("수칙이 적용된다" after "-어야 한다는") joins the segment before.
    while len(parts) > 1 and parts[-1][1] is None and not _ko_tokens(parts[-1][0]):
        tail = parts.pop()
        parts[-1] = (parts[-1][0] + tail[0], parts[-1][1], parts[-1][2] + tail[2])
    segments = []
    for k, (span, label, plain) in enumerate(parts):
        if label is None:
            # "입력하지 않고 확인하여야 한다": the closing modal governs the connected clause before it.
            following = next((p[1] for p in parts[k + 1:] if p[1] is not None), None)
            negative = sum(m in _KO_NEGATION for m in plain) % 2 == 1
            if following == REQUIRES:
                label = PROHIBITS if negative else REQUIRES
            elif following == PERMITS and not negative:
                label = PERMITS
        segments.append(_segment(label, span, plain, "ko"))
    return segments


def _ko_tokens(span: list[tuple[str, str]]) -> frozenset[str]:
    return frozenset(f for f, t in span if t in _KO_CONTENT_TAGS and f not in _KO_POLARITY_FORMS)


def _segment(label: str | None, span: list, plain: list, lang: str) -> Segment:
    if lang == "ko":
        negations = sum(m in _KO_NEGATION for m in plain)
        without = ("없이", "MAG") in plain
        tokens = _ko_tokens(span)
        text = "".join(f for f, _ in span)
    else:
        negations = sum(w in _EN_NEGATION for w in plain)
        without = "without" in plain
        text = " ".join(span)
        tokens = frozenset(_stem(w) for w in tokenize(text, "en") if w not in _EN_POLARITY_WORDS)
    if label is None:
        label = NEGATIVE if negations % 2 else POSITIVE
    elif without:
        # "must not use it without checking" requires the check; "may use it without checking"
        # makes the check optional; "must be used without personal data" prohibits the data.
        label = {PROHIBITS: REQUIRES, REQUIRES: PROHIBITS, PERMITS: OPTIONAL}.get(label, label)
    return Segment(label, tokens, text)


def segments(text: str, lang: str) -> list[Segment]:
    """The labelled segments of every sentence of ``text``."""
    out: list[Segment] = []
    for sentence in split_sentences(_MARKER.sub(" ", text)):
        if sentence.strip(" -*"):
            out.extend(_ko_segments(sentence) if lang == "ko" else _en_segments(sentence))
    return out


def polarity(text: str, lang: str) -> str:
    """The label of a text: that of its first modal segment, else of its first segment."""
    parts = segments(text, lang)
    if not parts:
        return POSITIVE
    return next((s.label for s in parts if s.label in MODAL), parts[0].label)


def reversed_labels(clause_label: str, sentence_label: str) -> bool:
    return (clause_label, sentence_label) in REVERSED


def _best_matches(segment: Segment, clause_segments: list[Segment]) -> list[Segment]:
    """The clause segments that share the most content tokens with ``segment`` (enough to be the same act)."""
    if not segment.tokens:
        return []
    scored = [(len(segment.tokens & c.tokens), c) for c in clause_segments]
    best = max((s for s, _ in scored), default=0)
    if best < MIN_SHARED or best / len(segment.tokens) < MIN_OVERLAP:
        return []
    return [c for s, c in scored if s == best]


def reversal(sentence: str, clauses: list[str], lang: str) -> tuple[Segment, Segment] | None:
    """A (sentence segment, clause segment) pair whose polarity or modality is reversed, if any.

    Each segment of ``sentence`` is compared with its best-matching segment(s) of ``clauses``;
    when several clause segments match equally well, one that agrees is enough.
    """
    clause_segments = [s for text in clauses for s in segments(text, lang)]
    for mine in segments(sentence, lang):
        best = _best_matches(mine, clause_segments)
        if best and all(reversed_labels(c.label, mine.label) for c in best):
            return mine, best[0]
    return None


def unbacked_permission(sentence: str, clauses: list[str], lang: str) -> Segment | None:
    """A segment that permits (or makes optional) an act no cited clause segment permits."""
    clause_segments = [s for text in clauses for s in segments(text, lang)]
    for mine in segments(sentence, lang):
        if mine.label not in (PERMITS, OPTIONAL):
            continue
        best = _best_matches(mine, clause_segments)
        if not any(c.label in (PERMITS, OPTIONAL) for c in best):
            return mine
    return None
