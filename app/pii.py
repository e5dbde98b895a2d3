"""Find and mask personal data in a question before anything else sees it.

Kinds: resident registration numbers (``rrn``; the check digit raises confidence for bare
13-digit numbers, but numbers issued since October 2020 carry no valid check digit, so a
hyphenated number with a valid birth date is masked either way), phone numbers, e-mail
addresses, card numbers (Luhn-checked), bank account numbers, and names written next to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LABELS = {
    "ko": {"rrn": "[주민등록번호]", "phone": "[전화번호]", "email": "[이메일]", "card": "[카드번호]",
           "account": "[계좌번호]", "name": "[이름]"},
    "en": {"rrn": "[RRN]", "phone": "[PHONE]", "email": "[EMAIL]", "card": "[CARD]", "account": "[ACCOUNT]",
           "name": "[NAME]"},
}
KIND_ORDER = ("rrn", "phone", "email", "card", "account", "name")

_DIGITS = r"(?<![\d])"
_END = r"(?![\d])"
_SEP = r"[\s\-.]?"
_RRN = re.compile(_DIGITS + r"(\d{2})(\d{2})(\d{2})\s?[-–]\s?([1-8])(\d{6})" + _END)
_RRN_BARE = re.compile(_DIGITS + r"(\d{2})(\d{2})(\d{2})([1-8])(\d{6})" + _END)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CARD = re.compile(_DIGITS + r"(?:\d{4}[\s\-]?){3}\d{1,4}" + _END)
_PHONE = re.compile(
    r"(?:(?<![\w+])\+82[\s\-]?(?:\(0\))?[\s\-]?\d{1,2}[\s\-]?\d{3,4}[\s\-]?\d{4}"
    r"|" + _DIGITS + r"0(?:1[016789]|2|[3-6][1-5]|70|80)" + _SEP + r"\d{3,4}" + _SEP + r"\d{4}"
    r"|(?<![\w+])\+\d{1,3}[\s\-]\d{1,4}[\s\-]\d{3,4}[\s\-]\d{3,4})" + _END
)
_ACCOUNT = re.compile(_DIGITS + r"\d{2,6}(?:[\s\-]\d{2,8}){1,3}" + _END)
_ACCOUNT_BARE = re.compile(r"(?:계좌|account|acct|은행|bank)[^\d\n]{0,15}(\d{10,14})" + _END, re.IGNORECASE)

_SURNAMES = set(
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부가복태목형피두감"
)
_KO_NAME_LABEL = re.compile(
    r"(?:성명|이름|민원인|신청인|청구인|고객|학생|환자|직원|주무관|담당자|참석자|수급자|대상자)\s*[:：]?\s*([가-힣]{2,4}?)(?=씨|님|\s|[,.(:]|$|의|이|가|은|는|을|를|에게)"
)
_KO_NAME_NEAR = re.compile(
    r"(?<![가-힣])([가-힣]{2,4}?)(?:\s?(?:씨|님|(?:주무관|사무관|서기관|주임|대리|과장|팀장|국장|선생|교수|원장)님?))?(?:의|이|가|은|는)?(?![가-힣])\s*"
    r"(?:(?:휴대폰|휴대전화|전화|전화번호|연락처|번호|이메일|메일|주소|주민번호|주민등록번호|계좌|계좌번호|카드번호)(?:는|은|:|：)?\s*)?[(:,]?\s*$"
)
_EN_NAME_LABEL = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+|\bname(?:d| is|:)\s+)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_EN_NAME_NEAR = re.compile(
    r"([A-Z][a-z]+\s+[A-Z][a-z]+)(?:'s)?(?:\s+[a-z\-]+){0,3}\s*[(:,]?\s*(?:(?:phone|tel|e-?mail|number|account|card)[^\n]{0,12})?$"
)
_EN_NAME_AFTER = re.compile(r"^\s*[),]?\s*(?:(?:for|of|from|to|by|belonging to)\s+)?(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?([A-Z][a-z]+\s+[A-Z][a-z]+)\b")
_KO_NAME_AFTER = re.compile(r"^\s*[),]?\s*(?:성명|이름|민원인|신청인)?\s*([가-힣]{2,4}?)(?:\s?(?:씨|님))?(?![가-힣])")
_NOT_NAMES = {"전화번호", "연락처", "번호", "휴대폰", "이메일", "메일", "주민번호", "계좌", "계좌번호", "카드", "카드번호",
              "주소", "그리고", "또는", "민원인", "신청인", "고객", "이름", "성명", "정보", "전화", "핸드폰", "연락"}


_JOSA = ("에게", "과", "와", "을", "를", "이", "가", "은", "는", "의", "도", "씨", "님")
# Common words that start with a surname syllable ("이름", "정보", "주소"): never names.
_NOT_NAME_PREFIXES = set(
    "이름 전화 주소 정보 내용 민원 서류 자료 개인 사업 신청 문의 연락 정책 보고 공무 이메 문서 이번 이것 이거 오늘 우리 저희 기관 "
    "부서 담당 관련 조사 유출 계좌 카드 주민 번호 휴대 성명 고객 신상 인적 안내 요약 입력 작성 확인 처리 사용 활용 방문 참석 결과 "
    "강의 교육 정부 지방 시민 주무 과장 국장 팀장 위원 장관 차관 시장 구청 도청 한국 서울 부산 경기 인천 대구 광주 대전 울산 세종 "
    "제주 강원 충북 충남 전북 전남 경북 경남 전체 일부 모든 모두 다음 이전 이후 이상 이하 최근 최종 기본 공공 공개 비공 미공 "
    "보안 보호 지침 기준 윤리 원칙 규정 조항 법률 시행 고영 생성 인공 데이 서비 프로 시스 임시 임의".split()
)


def _plausible_name(candidate: str) -> str | None:
    """The name in ``candidate`` with any particle stripped, or None when it is an ordinary word."""
    for josa in _JOSA:
        if candidate.endswith(josa) and len(candidate) - len(josa) >= 2:
            candidate = candidate[: -len(josa)]
            break
    if candidate[0] not in _SURNAMES or candidate in _NOT_NAMES or candidate[:2] in _NOT_NAME_PREFIXES:
        return None
    return candidate


@dataclass
class Masked:
    """A question with its personal data replaced by labels."""

    text: str
    kinds: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def rrn_check_digit_ok(digits: str) -> bool:
    """The resident registration number check digit (weights 2..9,2..5, mod 11)."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def _date_ok(month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def mask(text: str, lang: str = "ko") -> Masked:
    """Replace personal data in ``text`` with labels in ``lang`` and list the kinds found."""
    labels = LABELS.get(lang, LABELS["en"])
    spans: list[tuple[int, int, str]] = []

    def taken(start: int, end: int) -> bool:
        return any(start < e and s < end for s, e, _ in spans)

    def add(start: int, end: int, kind: str) -> None:
        if not taken(start, end):
            spans.append((start, end, kind))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _RRN.finditer(text):
        if _date_ok(m.group(2), m.group(3)):
            add(m.start(), m.end(), "rrn")
    for m in _RRN_BARE.finditer(text):
        if _date_ok(m.group(2), m.group(3)) and rrn_check_digit_ok(re.sub(r"\D", "", m.group(0))):
            add(m.start(), m.end(), "rrn")
    for m in _CARD.finditer(text):
        if luhn_ok(m.group(0)):
            add(m.start(), m.end(), "card")
    for m in _PHONE.finditer(text):
        add(m.start(), m.end(), "phone")
    for m in _ACCOUNT_BARE.finditer(text):
        add(m.start(1), m.end(1), "account")
    for m in _ACCOUNT.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 10 <= len(digits) <= 16 and not re.fullmatch(r"(19|20)\d\d[\s\-]\d\d?[\s\-]\d\d?", m.group(0)):
            add(m.start(), m.end(), "account")
    for m in re.finditer(r"(?<!\d)\d{13,19}(?!\d)", text):  # any other long digit run is an identifier
        add(m.start(), m.end(), "account")

    # Names: after a label ("민원인 홍길동", "Mr Smith"), or right before another masked item.
    for m in _KO_NAME_LABEL.finditer(text):
        name = _plausible_name(m.group(1))
        if name:
            add(m.start(1), m.start(1) + len(name), "name")
    for m in _EN_NAME_LABEL.finditer(text):
        add(m.start(1), m.end(1), "name")
    for start, _end, kind in sorted(spans):
        if kind == "name":
            continue
        before = text[max(0, start - 24) : start]
        if km := _KO_NAME_NEAR.search(before):
            name = _plausible_name(km.group(1))
            if name and not name.endswith(("번호", "처")):
                offset = start - len(before) + km.start(1)
                add(offset, offset + len(name), "name")
        if em := _EN_NAME_NEAR.search(before):
            offset = start - len(before) + em.start(1)
            add(offset, offset + len(em.group(1)), "name")
        after = text[_end : _end + 40]
        if ea := _EN_NAME_AFTER.match(after):
            add(_end + ea.start(1), _end + ea.end(1), "name")
        if ka := _KO_NAME_AFTER.match(after):
            name = _plausible_name(ka.group(1))
            if name:
                add(_end + ka.start(1), _end + ka.start(1) + len(name), "name")

    if not spans:
        return Masked(text)
    out, last = [], 0
    for start, end, kind in sorted(spans):
        out.append(text[last:start])
        out.append(labels[kind])
        last = end
    out.append(text[last:])
    found = {kind for _, _, kind in spans}
    return Masked("".join(out), [k for k in KIND_ORDER if k in found])
