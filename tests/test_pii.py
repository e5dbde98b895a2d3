"""Personal-data masking: every kind is found, masked and listed; ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from app.pii import luhn_ok, mask, rrn_check_digit_ok

# (question, kinds expected, substrings that must be gone)
CASES = [
    ("민원인 홍길동(010-1234-5678)의 민원을 요약해도 되나요?", ["phone", "name"], ["홍길동", "010-1234-5678"]),
    ("주민번호 900101-1234568 을 넣어도 돼?", ["rrn"], ["900101-1234568"]),
    ("주민등록번호 9001011234568 확인", ["rrn"], ["9001011234568"]),
    ("2021년 발급 번호 211012-3456789 도 가려야 한다", ["rrn"], ["211012-3456789"]),  # no valid check digit since 2020
    ("Email kim.minsu@example.go.kr about it", ["email"], ["kim.minsu@example.go.kr"]),
    ("card 4111 1111 1111 1111 please", ["card"], ["4111 1111 1111 1111"]),
    ("계좌 110-123-456789 로 환불", ["account"], ["110-123-456789"]),
    ("account number 3333012345678 refund", ["account"], ["3333012345678"]),
    ("김철수 씨 전화번호 02-123-4567 입니다", ["phone", "name"], ["김철수", "02-123-4567"]),
    ("Call Mr. John Smith at +82 10 1234 5678", ["phone", "name"], ["John Smith", "1234 5678"]),
    ("Jane Doe, jane@example.com", ["email", "name"], ["Jane Doe", "jane@example.com"]),
]


@pytest.mark.parametrize(("text", "kinds", "gone"), CASES, ids=[c[0][:20] for c in CASES])
def test_masks_each_kind(text: str, kinds: list[str], gone: list[str]) -> None:
    result = mask(text, "ko")
    assert sorted(result.kinds) == sorted(kinds)
    for value in gone:
        assert value not in result.text


@pytest.mark.parametrize(
    "text",
    ["2025-03-12에 발표된 지침", "AI 기본법 제29조 제1항", "Act No. 21311 of 2026-01-20", "과태료 3천만원 이하", "30 million won fine",
     "국가 인공지능 전략 100대 과제", "10대 핵심요건과 3대 기본원칙"],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert mask(text, "ko").kinds == []
    assert mask(text, "ko").text == text


def test_labels_follow_the_language() -> None:
    assert mask("call 010-1234-5678", "en").text == "call [PHONE]"
    assert mask("전화 010-1234-5678", "ko").text == "전화 [전화번호]"


def test_check_digits() -> None:
    # 900101-123456?: weights 2..9,2..5 give 9*2+0+0+1*5+0+1*7+1*8+2*9+3*2+4*3+5*4+6*5 = 124; (11 - 124 % 11) % 10 = 8
    assert rrn_check_digit_ok("9001011234568")
    assert not rrn_check_digit_ok("9001011234567")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
