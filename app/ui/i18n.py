"""The UI's words: labels from labels.json (Korean and English) and Korean particles by final consonant."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

UI_LANGS = ("ko", "en")
LABELS_FILE = Path(__file__).with_name("labels.json")

# "X을(를)" and friends, written where the word before is not known in advance.
_PAIRS = {"을(를)": ("을", "를"), "를(을)": ("을", "를"), "이(가)": ("이", "가"), "가(이)": ("이", "가"),
          "은(는)": ("은", "는"), "는(은)": ("은", "는"), "과(와)": ("과", "와"), "와(과)": ("과", "와"),
          "(으)로": ("으로", "로"), "(이)라": ("이라", "라")}
_PARTICLE = re.compile(r"([^\s\]\)\"'’”』」])([\]\)\"'’”』」]*)(" + "|".join(re.escape(k) for k in _PAIRS) + ")")
# Digits as read in Korean: 영 일 이 삼 사 오 육 칠 팔 구 (final consonant; ㄹ marked 'l').
_DIGIT_FINAL = {"0": "o", "1": "l", "2": "", "3": "m", "4": "", "5": "", "6": "k", "7": "l", "8": "l", "9": ""}
_LATIN_FINAL = {"l": "l", "m": "m", "n": "n", "r": "l"}


def final_consonant(char: str) -> str:
    """'' when the syllable ends in a vowel, 'l' for ㄹ, another letter for other final consonants."""
    code = ord(char) - 0xAC00
    if 0 <= code < 11172:
        jong = code % 28
        return "" if jong == 0 else "l" if jong == 8 else "c"
    if char in _DIGIT_FINAL:
        return _DIGIT_FINAL[char]
    return _LATIN_FINAL.get(char.lower(), "")


def fix_particles(text: str) -> str:
    """Replace 을(를), 이(가), 은(는), 과(와), (으)로 with the particle the word before needs."""

    def choose(match: re.Match[str]) -> str:
        char, closing, pair = match.group(1), match.group(2), match.group(3)
        with_final, without = _PAIRS[pair]
        final = final_consonant(char)
        if pair == "(으)로":
            use = without if final in ("", "l") else with_final
        else:
            use = with_final if final else without
        return f"{char}{closing}{use}"

    return _PARTICLE.sub(choose, text)


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    data = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return {lang: dict(data[lang]) for lang in UI_LANGS}


def ui_lang(lang: Any) -> str:
    return lang if lang in UI_LANGS else "ko"


def t(lang: str, key: str, **kwargs: Any) -> str:
    """The label ``key`` in ``lang`` (English when missing), formatted, with Korean particles fixed."""
    table = labels()
    text = table.get(ui_lang(lang), {}).get(key) or table["en"].get(key, key)
    if kwargs:
        text = text.format(**kwargs)
    return fix_particles(text) if lang == "ko" else text
