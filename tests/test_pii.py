"""Personal-data masking: every kind is found, masked and listed; ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from app.pii import find, luhn_ok, mask, normalise, rrn_check_digit_ok

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
    # issue 14: each of these landed raw
    ("여권번호 M12345678 로 비자 신청서 작성", ["passport"], ["M12345678"]),
    ("새 여권 M123A4567 번호", ["passport"], ["M123A4567"]),
    ("불법주차 12가3456 차주에게 문자", ["car_plate"], ["12가3456"]),
    ("123가4567 차량 과태료", ["car_plate"], ["123가4567"]),
    ("서울12가3456 차량 조회", ["car_plate"], ["서울12가3456"]),
    ("주소가 부산광역시 연제구 중앙대로 1001 인데 안내문 써도 되나요?", ["address"], ["부산광역시 연제구 중앙대로 1001"]),
    ("해운대구 우동 123-4 로 우편 발송", ["address"], ["우동 123-4"]),
    ("수영로 45번길 6 에 사는 분", ["address"], ["수영로 45번길 6"]),
    ("홍길동 주무관이 쓴 보고서", ["name"], ["홍길동"]),
    ("이영희 씨한테 보낼 메일", ["name"], ["이영희"]),
    ("김철수 팀장님께 보고", ["name"], ["김철수"]),
    ("민원인 박영수의 민원", ["name"], ["박영수"]),
    ("May I paste John Smith's complaint into ChatGPT?", ["name"], ["John Smith"]),
    ("Ms. Sarah Lee asked for a reply", ["name"], ["Sarah Lee"]),
    ("call +82.10.1234.5678 now", ["phone"], ["1234.5678"]),
    ("call +821012345678 now", ["phone"], ["1012345678"]),
    ("전화 ０１０－１２３４－５６７８", ["phone"], ["１２３４"]),
    ("전화 010\u20101234\u20105678", ["phone"], ["1234\u20105678"]),
    ("전화 010-12\u200b34-5678", ["phone"], ["12\u200b34"]),
    ("전화 \u202e010-1234-5678\u202c", ["phone"], ["1234-5678"]),
    ("외국인등록번호 900101-5234567", ["frn"], ["900101-5234567"]),
    ("운전면허 11-12-345678-90 진위 확인", ["driver_licence"], ["345678"]),
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
     "국가 인공지능 전략 100대 과제", "10대 핵심요건과 3대 기본원칙",
     # issue 14: ordinary words the old masker ate
     "국민은행 앱 화면을 캡처해도 되나요?", "여권 발급 안내문을 AI로 써도 되나요?", "인데 이건 어떻게 보나요?", "장관 보고자료", "과장 결재 전에",
     "우리 팀장님이 시켰어", "해당 과장이 승인하면", "이용자 님께 드리는 안내", "대표번호 1588-1234 안내", "112 신고 통계", "10^26 FLOPs",
     "문서로 3건 보냈어요", "메일로 2번 안내", "종로 3가지 방법", "Under Canada's guidance", "MS Word 문서"],
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


def test_masked_text_keeps_everything_else_byte_for_byte() -> None:
    text = "＊ 참고: ‘AI·데이터’ 팀\u200b에서 010\u20101234\u20105678 로 연락 — 끝 ＊"
    result = mask(text, "ko")
    assert result.text == "＊ 참고: ‘AI·데이터’ 팀\u200b에서 [전화번호] 로 연락 — 끝 ＊"
    assert mask("변경 없음 ① ㈜ ｆｕｌｌ", "ko").text == "변경 없음 ① ㈜ ｆｕｌｌ"


def test_normalise_maps_back_to_the_original() -> None:
    text = "ａ\u200bｂ–ｃ·ｄ"
    norm, starts, ends = normalise(text)
    assert norm == "ab-c.d"
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["ａ", "ｂ", "–", "ｃ", "·", "ｄ"]
    nfd = "\u1112\u1161\u11ab"  # 한 written as three conjoining jamo
    assert normalise(nfd)[0] == "한"


def test_spans_cover_split_values_whole() -> None:
    text = "연락처 0\u200b1\u200b0-98\u200b76-5432 입니다"
    [(start, end, kind)] = find(text)
    assert kind == "phone" and text[start:end] == "0\u200b1\u200b0-98\u200b76-5432"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("9001011234568", "rrn"), ("9001011234567", "account"), ("주민번호 9001011234567", "rrn"), ("900101-1******", "rrn")],
)
def test_bare_rrn_needs_its_check_digit_or_a_label(text: str, kind: str) -> None:
    assert mask(text, "ko").kinds == [kind]


def test_english_labels_for_new_kinds() -> None:
    assert mask("passport M12345678, plate 12가3456", "en").text == "passport [PASSPORT], plate [PLATE]"
