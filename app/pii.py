"""Find and mask personal data in a question before anything else sees it.

The text is normalised first (NFKC, so full-width digits and signs become ASCII; zero-width,
bidi and other format characters dropped; every Unicode hyphen or dash read as ``-`` and every
middle or full-width dot as ``.``), the detectors run on the normalised text, and each match is
mapped back to the characters it came from: the masked text is the original, byte for byte,
except for the labels.

Kinds: resident registration numbers (``rrn``) and foreign registration numbers (``frn``; a
hyphenated number with a valid birth date is masked whether or not its check digit holds, since
numbers issued since October 2020 carry none; a bare 13-digit run needs the check digit or a
word such as 주민번호 before it), phone numbers in every Korean and +82 form, e-mail addresses,
card numbers (Luhn), bank accounts, passports (M12345678, M123A4567), driving licences
(11-12-345678-90), car plates (12가3456, 123가4567, 서울12가3456), street and lot addresses, and
names (next to a title, 씨 or 님, after a role such as 민원인, or next to other personal data;
English names after Mr/Ms, before 's, or next to other data).  Any other run of 12 or more digits
is masked as an account number.  Business numbers such as 1588-1234 and 112/119 are public, not
personal, and are left alone.

Why not Microsoft Presidio: presidio-analyzer 2.2 does run its Korean pattern recognisers (RRN,
FRN, passport, driving licence) without an NLP model, but it covers four of the eleven kinds here;
Korean phones in odd forms, accounts, plates, addresses and names would still be written by hand,
and its name detection needs a Korean spaCy model that is not on PyPI under its real name.  The
price is spaCy and its stack (about 390 MB installed) and about 1 s more start-up for every
process that masks (measured: importing the recognisers takes 0.95 s).  Its passport and licence
formats are followed here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

KIND_ORDER = ("rrn", "frn", "phone", "email", "card", "account", "passport", "driver_licence", "car_plate",
              "address", "name")
LABELS = {
    "ko": {"rrn": "[주민등록번호]", "frn": "[외국인등록번호]", "phone": "[전화번호]", "email": "[이메일]",
           "card": "[카드번호]", "account": "[계좌번호]", "passport": "[여권번호]", "driver_licence": "[운전면허번호]",
           "car_plate": "[차량번호]", "address": "[주소]", "name": "[이름]"},
    "en": {"rrn": "[RRN]", "frn": "[FRN]", "phone": "[PHONE]", "email": "[EMAIL]", "card": "[CARD]",
           "account": "[ACCOUNT]", "passport": "[PASSPORT]", "driver_licence": "[LICENCE]", "car_plate": "[PLATE]",
           "address": "[ADDRESS]", "name": "[NAME]"},
}


@dataclass
class Masked:
    """A question with its personal data replaced by labels."""

    text: str
    kinds: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


# -- normalisation -------------------------------------------------------------------------------

_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2500\u2e3a\u2e3b\ufe58\ufe63\uff0d")
_DOTS = frozenset("\u00b7\u2022\u2024\u2027\u2219\u22c5\u3002\u30fb\uff0e\uff61\uff65")
_DROP = frozenset("\u034f\u115f\u1160\u3164\uffa0") | frozenset(chr(c) for c in range(0xFE00, 0xFE10))


def _joins(ch: str) -> bool:
    """Characters that belong to the one before them (combining marks, Hangul vowel/final jamo)."""
    return bool(unicodedata.combining(ch)) or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff"


def normalise(text: str) -> tuple[str, list[int], list[int]]:
    """The text detectors read, with each of its characters' start and end in ``text``."""
    if text.isascii():
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and _joins(text[j]):
            j += 1
        for ch in unicodedata.normalize("NFKC", text[i:j]):
            if ch in _DROP or unicodedata.category(ch) == "Cf":
                continue
            out.append("-" if ch in _DASHES else "." if ch in _DOTS else ch)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(out), starts, ends


# -- numbers -------------------------------------------------------------------------------------

def rrn_check_digit_ok(digits: str) -> bool:
    """The resident registration number check digit (weights 2..9,2..5, mod 11)."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


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


def _date_ok(month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= (29 if month == "02" else 30 if month in {"04", "06", "09", "11"} else 31)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


_S = r"(?:[ \t]*[-./_~][ \t]*|[ \t]{1,2})?"  # one optional separator between digit groups
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_EMAIL_SPELT = re.compile(
    r"[A-Za-z0-9._%+\-]+\s*(?:[(\[{<]\s*(?:at|골뱅이)\s*[)\]}>]|골뱅이|\s+at\s+(?=[A-Za-z0-9\-]+\s*(?:[(\[{<]\s*dot|\s+dot\s+)))\s*"
    r"[A-Za-z0-9\-]+(?:\s*(?:[(\[{<]\s*(?:dot|닷)\s*[)\]}>]|\s+dot\s+|닷|\.)\s*[A-Za-z0-9\-]+)+",
    re.IGNORECASE,
)
_RRN = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})(" + _S + r")([1-8])(\d{6})(?!\d)")
_RRN_PARTIAL = re.compile(r"(?<!\d)\d{6}\s*-\s*[1-8](?:[*xX●○#]{1,6}|\d{0,2}[*xX●○#]{4,6})")
_RRN_WORDS = re.compile(r"주민|등록번호|생년월일|외국인|RRN|resident|registration|ARC", re.IGNORECASE)
_CARD = re.compile(r"(?<!\d)(?:\d{4}" + _S + r"){3}\d{1,4}(?!\d)|(?<!\d)\d{4}" + _S + r"\d{6}" + _S + r"\d{5}(?!\d)")
_AREA = r"(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8]|80)"
_PHONE = re.compile(
    r"(?:(?<![A-Za-z0-9+])(?:\+|00[1-9]?[ \t]?)[ \t]?82[ \t]*[-.]?[ \t]*(?:\(0\)|0)?[ \t]*[-.]?[ \t]*(?:\(" + _AREA + r"\)|" + _AREA + ")"
    r"|(?<![A-Za-z0-9])(?:\(0" + _AREA + r"\)|0" + _AREA + r"\)?))" + _S + r"\d{3,4}" + _S + r"\d{4}(?!\d)"
)
_PHONE_WORDS = re.compile(r"(?:전화|연락처|연락|휴대폰|핸드폰|폰|번호|tel|phone|mobile|call|text)\D{0,8}$", re.IGNORECASE)
_PHONE_LOCAL = re.compile(r"(?<![\d\-])(\d{3,4})[-. ](\d{4})(?![\d\-])")
_LICENCE = re.compile(
    r"(?<!\d)(?:(1[1-9]|2[0-8])|(서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)[ \t]?)"
    r"(" + _S + r")(\d{2})(" + _S + r")(\d{6})(" + _S + r")(\d{2})(?!\d)"
)
_LICENCE_WORDS = re.compile(r"면허|licen[cs]e|driver|driving", re.IGNORECASE)
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[MSRODGmsrodg](?:\d{8}|\d{3}[A-Za-z]\d{4})(?![A-Za-z0-9])")
_PASSPORT_CTX = re.compile(r"(?:여권|passport)[^\n]{0,20}?(?<![A-Za-z0-9])([A-Za-z]{1,2}[ \t\-]?\d{3,4}[ \t\-]?[A-Za-z]?\d{4,5})(?![A-Za-z0-9])",
                           re.IGNORECASE)
_SIDO_SHORT = "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주"
_PLATE = re.compile(
    r"(?:(?<![가-힣])(?:" + _SIDO_SHORT + r")[ \t]?(\d{1,2})|(?<![\d제])(\d{2,3}))([ \t]?)"
    r"([가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배하허호육공해국합])([ \t]?)(\d{4})(?!\d)"
)
_COUNTER = (r"(?:[건개번회명차분초년월일원배쪽장줄위등세살%층권곳종편항조점부대]|시간|가지|단계|km|m\b|GB|MB|kg|호선|퍼센트|프로|"
            r"만|천|억|조원|달러|달|주일|주년|개월|x|배)")
_ACCOUNT_DASHED = re.compile(r"(?<![\d\-])\d{2,6}(?:-\d{1,8}){1,4}(?![\d\-])")
_ACCOUNT_WORDS = re.compile(
    r"(?:계좌|입금|송금|환불|이체|통장|은행|뱅크|농협|신한|카카오|토스|새마을|우체국|수협|신협|씨티|"
    r"account|acct|bank|a/c)[^\n\d]{0,20}$",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"(?<!\d)\d[\d \t\-.]{8,26}\d(?!\d)")
_LONG_RUN = re.compile(r"(?<!\d)\d{12,}(?!\d)")


def _number_spans(t: str) -> Iterator[tuple[int, int, str]]:
    for m in _EMAIL.finditer(t):
        yield m.start(), m.end(), "email"
    for m in _EMAIL_SPELT.finditer(t):
        yield m.start(), m.end(), "email"
    for m in _RRN.finditer(t):
        _yy, mm, dd, sep, gender, _rest = m.groups()
        if not _date_ok(mm, dd):
            continue
        if sep or rrn_check_digit_ok(_digits(m.group(0))) or _RRN_WORDS.search(t[max(0, m.start() - 20) : m.start()]):
            yield m.start(), m.end(), "frn" if gender in "5678" else "rrn"
    for m in _RRN_PARTIAL.finditer(t):
        yield m.start(), m.end(), "rrn"
    for m in _CARD.finditer(t):
        if luhn_ok(m.group(0)):
            yield m.start(), m.end(), "card"
    for m in _PHONE.finditer(t):
        yield m.start(), m.end(), "phone"
    for m in _PHONE_LOCAL.finditer(t):
        if m.group(1)[:2] not in {"15", "16", "18"} and _PHONE_WORDS.search(t[max(0, m.start() - 16) : m.start()]):
            yield m.start(), m.end(), "phone"
    for m in _LICENCE.finditer(t):
        separated = any(m.group(g) for g in (3, 5, 7)) or m.group(2)
        if separated or _LICENCE_WORDS.search(t[max(0, m.start() - 20) : m.start()]):
            yield m.start(), m.end(), "driver_licence"
    for m in _PASSPORT.finditer(t):
        yield m.start(), m.end(), "passport"
    for m in _PASSPORT_CTX.finditer(t):
        yield m.start(1), m.end(1), "passport"
    for m in _PLATE.finditer(t):
        spaced = bool(m.group(3) or m.group(5))
        after = t[m.end() : m.end() + 6]
        if spaced and re.match(_COUNTER, after):
            continue
        yield m.start(), m.end(), "car_plate"
    for m in _ACCOUNT_DASHED.finditer(t):
        if 10 <= len(_digits(m.group(0))) <= 20:
            yield m.start(), m.end(), "account"
    for m in _DIGIT_RUN.finditer(t):
        digits = _digits(m.group(0))
        if 10 <= len(digits) <= 20 and _ACCOUNT_WORDS.search(t[max(0, m.start() - 30) : m.start()]):
            yield m.start(), m.end(), "account"
    for m in _LONG_RUN.finditer(t):  # any other long digit run is an identifier
        yield m.start(), m.end(), "account"


# -- addresses -----------------------------------------------------------------------------------

_SIDO = (r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충청북|충청남|충북|충남|전라북|전라남|전북|전남|경상북|경상남|경북|경남|제주)"
         r"(?:특별자치시|특별자치도|특별시|광역시|도|시)?")
_SIGUNGU = r"[가-힣]{1,5}(?:시|군|구)"
_ROAD = r"[가-힣]{1,10}\d{0,3}(?:대로|로|길)"
_ROAD_NO = r"(?:[ \t]?\d{1,4}(?:번길|번가길|가길|길))?[ \t]?\d{1,5}(?:-\d{1,4})?(?!\d)"
_LOT = r"[가-힣]{1,6}\d{0,2}(?:동|리|가)\d{0,2}[ \t]?(?:산[ \t]?)?\d{1,5}(?:-\d{1,4})?(?:번지)?(?!\d)"
_DETAIL = (r"(?:[ \t]?,?[ \t]?(?:[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|맨션|타워|하이츠|빌딩)[ \t]?)?"
           r"(?:\d{1,4}동[ \t]?\d{1,5}호|\d{1,5}호|\d{1,3}층)|[ \t]?\([가-힣0-9, ]{1,20}\))?")
_ADDRESS_FULL = re.compile(
    r"(?<![가-힣])(?:" + _SIDO + r"[ \t]?)?(?:" + _SIGUNGU + r"[ \t]?){0,2}(?:" + _LOT + "|" + _ROAD + _ROAD_NO + ")" + _DETAIL
)
_ADDRESS_WORDS = re.compile(r"(?:주소|사는\s?곳|거주지|거주|자택|집|address|lives?\s+at|living\s+at)[^\n]{0,6}$", re.IGNORECASE)
_APT = re.compile(r"(?<![\d가-힣])(?:[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|맨션)[ \t]?)?\d{1,4}동[ \t]?\d{1,5}호")
_EN_ADDRESS = re.compile(
    r"(?<![\w-])(?:\d{1,5}[ ,]+)?(?:[A-Z][a-z]+[ -]){0,3}(?:[A-Z][a-z]+-(?:daero|ro|gil|dong)|[A-Z][a-z]+ (?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Boulevard|Lane|Drive))"
    r"(?:[ ,]*\d{1,5}(?:beon-gil[ ,]*\d{1,5})?(?:-\d{1,4})?)?(?:,?[ ]?[A-Z][a-z]+-(?:gu|si|gun|dong|eup|myeon))*"
)
_NOT_ROADS = frozenset("방향으로 경로 진로 통로 항로 회로 미로 기로 활로 선로 수로 도로 하로".split())


def _address_spans(t: str) -> Iterator[tuple[int, int, str]]:
    for m in _ADDRESS_FULL.finditer(t):
        text = m.group(0)
        road = re.match(r"[^\d]*?(" + _ROAD + r")", text)
        prefixed = bool(re.match(r"(?:" + _SIDO + r"[ \t]?)?" + _SIGUNGU + r"[ \t]", text) or re.match(_SIDO + r"[ \t]", text))
        if not prefixed and road and road.group(1) in _NOT_ROADS:
            continue
        strong = (prefixed or "번길" in text or "번지" in text or re.search(r"\d-\d", text)
                  or re.search(r"\d[ \t]?(?:동[ \t]?\d|호|층)", text) or _ADDRESS_WORDS.search(t[max(0, m.start() - 14) : m.start()]))
        if not strong:
            # A bare "중앙대로 1001": only when the number is not a count ("문서로 3건", "메일로 2번").
            if (not road or road.group(1).endswith("으로") or re.match(r"[ \t]?" + _COUNTER + "|[A-Za-z]|길|번", t[m.end() : m.end() + 5])
                    or re.search(r"[동리가]\s?\d", text)):
                continue
        yield m.start(), m.end(), "address"
    for m in _APT.finditer(t):
        yield m.start(), m.end(), "address"
    for m in _EN_ADDRESS.finditer(t):
        if re.search(r"\d", m.group(0)):
            yield m.start(), m.end(), "address"


# -- names ---------------------------------------------------------------------------------------

_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부가복태목형피두감음빈동온호"
)
_DOUBLE_SURNAMES = ("남궁", "제갈", "선우", "독고", "황보", "사공", "서문", "동방", "어금", "망절")
_TITLES = (
    "주무관|사무관|서기관|부이사관|이사관|주사보|주사|서기보|서기|실무관|연구관|연구사|지도관|지도사|행정관|조사관|감사관|"
    "팀장|과장|국장|실장|부장|차장|계장|대리|사원|주임|선임|책임|수석|선생|교수|박사|원장|소장|센터장|본부장|단장|위원장|위원|"
    "의원|기자|변호사|노무사|세무사|회계사|대표|사장|회장|간호사|구청장|군수|도지사|반장|통장|이장|"
    "민원인|장관|차관|청장|시장|지사|의장|총장|씨|님|군|양"
)
_NAME_LABELS = "성명|이름|성함"
_NAME_ROLES_STRONG = _NAME_LABELS + "|민원인|신청인|청구인|신고인|제보자|의뢰인|피해자|가해자|작성자|보호자|수급자|대상자|참석자|지원자|응시자"
_NAME_ROLES = _NAME_ROLES_STRONG + "|고객|학생|환자|직원|담당자|주무관|사무관|팀장|과장|국장|동료|어르신"
# Words that begin with a surname syllable and stand next to titles or roles: never names.
_NOT_NAMES = frozenset(
    """
    우리 우리과 우리팀 저희 해당 담당 부서 소속 전임 후임 신임 현직 전직 각자 모든 기획 총무 인사 감사 예산 정책 홍보 민원 정보
    복지 교육 행정 재무 회계 법무 전산 시설 안전 환경 문화 관광 경제 도시 건축 교통 보건 위생 세무 징수 주민 자치 총괄 사업 기관
    상급 하급 직속 다른 이번 지난 다음 관련 공무원 연구원 위원회 전문가 이용자 사용자 관리자 담당자 신청자 지원자 민원인 신청인
    외국인 한국인 정보화 주무관 사무관 조사관 감사관 선생님 고객님 부모님 어머님 아버님 사모님 회원님 이사장 홍보실 전산실 정부
    한국 서울 부산 대구 인천 광주 대전 울산 세종 경기 강원 충북 충남 전북 전남 경북 경남 제주 국회 국민 국가 시청 구청 도청 군청
    주무 과장 국장 팀장 실장 부장 차장 대리 주임 위원 의원 시장 장관 차관 원장 소장 대표 사장 회장 기자 교수 학생 고객 환자 직원
    주소 지도 이송 정확히 성명 이름 전화 번호 연락처 휴대폰 이메일 계좌 카드 여권 면허 차량 생년월일 개인 본인 가족 동료 선배
    후배 상사 친구 남편 아내 아들 딸 부인 어머니 아버지 할머니 할아버지 어르신 시민 주민 국민 구민 도민 여러분 모두 전체 일부
    최근 최종 최대 최소 이상 이하 이후 이전 이미 유출 인공 지능 생성 서비스 설명 안내 문의 조치 조정 조사 검토 확인 처리 사용
    활용 작성 입력 방문 참석 결과 강의 강사 공공 공개 공식 보안 보호 지침 기준 윤리 원칙 규정 조항 법률 시행 임시 임의 신규 신고
    신청 접수 제출 제보 피해 가해 허가 승인 반려 통보 통지 연장 변경 취소 유지 운영 진행 추진 구성 선정 선발 채용 평가 심사 감독
    지원 지시 지정 진단 점검 정기 수시 매일 매주 매월 하루 오늘 내일 어제 지금 당시 당장 전화번호 성함 주무관님 과장님 팀장님
    국장님 실장님 선생 박사 명의 공동 정식 정규 임기 장기 단기 고위 하위 상위 문서 자료 내용 서류 편지 답변 질문 요청 대상 대상자
    민원 상담 상담원 안내원 관리 감사관 사회 시스템 조직 부처 기관장 부서장 신입 경력 고참 막내 선임 책임 수석 명예 한시 공직 공직자
    공무 동네 옆집 이웃 누구 아무 어느 어떤 무슨 이런 그런 저런 이분 그분 저분 이것 그것 저것 여기 거기 저기 고급 기본 정도 경우
    """.split()
)
_BAD_ENDINGS = frozenset("히게고면요까며듯만에데야니다죠네와과를을는의된던른될쳐워해")
_AFTER_TITLE = r"(?=님|께|에|이|가|은|는|을|를|의|과|와|도|랑|하고|한테|만|부터|까지|처럼|보다|로|으로|입|였|[^가-힣]|$)"
_KO_TITLE = re.compile(r"(?<![가-힣])([가-힣]{2,4}?)([ \t]?)(?:" + _TITLES + ")" + _AFTER_TITLE)
_KO_TITLE_GLUED = re.compile(r"(?<=[가-힣])([가-힣]{3})(?:" + _TITLES + ")" + _AFTER_TITLE)
_KO_ROLE = re.compile(r"(?:(" + _NAME_LABELS + r")|(" + _NAME_ROLES_STRONG + r")|(?:" + _NAME_ROLES + r"))"
                      r"([ \t]*[:：][ \t]*|[ \t]*[(\[][ \t]*|[ \t]+|(?:은|는|이|가)[ \t]+)?([가-힣]{2,7})")
# After "이름은 ...": a name is followed by a copula, 씨/님, or punctuation ("이름은 홍길동입니다"), not by a verb.
_AFTER_LABEL = re.compile(r"(?:이[고며다에야]|입|예|이라|라|인|씨|님|[ \t]*(?:씨|님|입니다|이고|이며)|[^가-힣 \t]|$)")
_PARTICLE_START = ("씨", "님", "의", "이", "가", "은", "는", "을", "를", "도", "과", "와", "에", "께", "한", "로", "으", "라",
                   "랑", "하고", "만", "부터", "까지", "처럼", "보다", "인", "입", "였", "이었", ")", " ")
_KO_NEAR = re.compile(
    r"(?<![가-힣])([가-힣]{2,4})(?:[ \t]?(?:씨|님))?(?:의|이|가|은|는)?[ \t]*"
    r"(?:(?:휴대폰|휴대전화|핸드폰|전화|전화번호|연락처|번호|이메일|메일|주소|주민번호|주민등록번호|계좌|계좌번호|카드번호|여권번호|차량번호)"
    r"(?:는|은|:|：)?[ \t]*)?[(<\[:,]?[ \t]*$"
)
_KO_AFTER = re.compile(r"^[ \t]*[,/][ \t]*([가-힣]{2,4})(?:[ \t]?(?:씨|님))?(?![가-힣])")
_EN_NAME = r"[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?"
_EN_STOP = frozenset(
    """The This That These Those There Here What When Where Which Who Why How Can Could May Might Must Should Would Will Shall Is
    Are Was Were Do Does Did Have Has Had If And Or But For From With Without About Into Onto Our Your Their His Her Its My We You
    They It Please Thanks Dear Hello Hi Korea Korean Seoul Busan Incheon Daegu Daejeon Gwangju Ulsan Sejong Jeju Gyeonggi
    Republic Ministry Minister Office Government Metropolitan City Province National Public Personal Information Protection
    Commission Act Article Decree Guidelines Guideline Guide Basic Framework Artificial Intelligence Generative Data Privacy Security
    Chat Open Google Microsoft Naver Kakao Samsung Apple Amazon Meta Gemini Claude Copilot Excel Word Power Point Teams Outlook
    January February March April May June July August September October November December Monday Tuesday Wednesday Thursday
    Friday Saturday Sunday Team Department Division Bureau Center Centre Agency Institute University School Hospital Bank
    Street Road Avenue District North South East West New Old Big Small General Chief Director Deputy Senior Junior Officer
    Manager Head President Vice Mayor Governor Assembly Committee Council Court Police Fire Service Services English Under
    Over In On At By As Per Via To Of Following According Given Since After Before During Under Within Between Both Each Every
    Also Then Now So Yes No Not Any All Some Most Many Such Other Another Canada Canadian America American British Britain
    Europe European Japan Japanese China Chinese France French Germany German Singapore Australia India Federal State States United
    Kingdom Union Treasury Cabinet Prime Presidential Statistics Digital Platform Online Internet Web Cloud Model Models System""".split()
)
_EN_TITLE = re.compile(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+(" + _EN_NAME + r"(?:\s" + _EN_NAME + r")?)")
_EN_TITLE_LOWER = re.compile(r"(?<![A-Za-z])(?:mr|mrs)\.?\s+([a-z]{2,}(?:\s[a-z]{2,})?)(?=['’]s|[\s,.)]|$)")
_EN_POSSESSIVE = re.compile(r"(?<![A-Za-z])(" + _EN_NAME + r"\s" + _EN_NAME + r")['’]s(?![a-z])")
_EN_ROLE = re.compile(
    r"(?:\bnamed|\bname is|\bname:|\bcalled|\bcomplainant|\bapplicant|\bcitizen|\bresident|\bcustomer|\bclient|\bpatient|\bstudent|"
    r"\bcolleague|\bofficer|\bmanager|\bboss|\bfriend|\bemployee|\bpetitioner|\brequester|\bcaller|\bcontact|\bwidow|\bvictim)"
    r"\s+(" + _EN_NAME + r"(?:\s" + _EN_NAME + r")?)"
)
_EN_NEAR = re.compile(r"(" + _EN_NAME + r"\s" + _EN_NAME + r")(?:['’]s)?(?:\s+[a-z\-]+){0,3}\s*[(<\[:,]?\s*"
                      r"(?:(?:phone|tel|e-?mail|number|account|card|passport|address)[^\n]{0,12})?$")
_EN_AFTER = re.compile(r"^\s*[),]?\s*(?:(?:for|of|from|to|by|belonging to)\s+)?(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?(" + _EN_NAME + r"\s" + _EN_NAME + r")")


def _ko_name(run: str, *, allow_two: bool = False) -> str | None:
    """The full name a Hangul run starts with (the rest being a particle: 박영수에게), or None."""
    for k in (3, 4, 2):
        name, rest = run[:k], run[k:]
        if len(name) == k and (not rest or rest.startswith(_PARTICLE_START)) and _ko_name_shape(name, allow_two=allow_two):
            return name
    return None


def _ko_name_shape(name: str, *, allow_two: bool = False) -> bool:
    if name in _NOT_NAMES or (name[-1] in _BAD_ENDINGS and len(name) < 4):
        return False
    if len(name) == 4:
        return name[:2] in _DOUBLE_SURNAMES and name[:2] not in _NOT_NAMES
    if len(name) == 3:
        return name[0] in _SURNAMES and name[:2] not in _NOT_NAMES
    return len(name) == 2 and allow_two and name[0] in _SURNAMES


_ROLE_TITLES = frozenset(["민원인"])


def _en_name(candidate: str) -> bool:
    return not any(word in _EN_STOP for word in re.split(r"[\s-]", candidate))


def _name_spans(t: str, found: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, str]]:
    for m in _KO_TITLE.finditer(t):
        cand = m.group(1)
        two_ok = len(cand) == 2 and bool(m.group(2)) and t.startswith("씨", m.end(2))
        title = t[m.end(2) : m.end(2) + 4]
        if cand[-1] in "한된던난른간할될운" and any(title.startswith(r) for r in _ROLE_TITLES):
            continue  # "폭언을 반복한 민원인": a relative clause, not a name
        if _ko_name_shape(cand, allow_two=two_ok):
            yield m.start(1), m.end(1), "name"
    for m in _KO_TITLE_GLUED.finditer(t):
        if _ko_name_shape(m.group(1)):
            yield m.start(1), m.end(1), "name"
    for m in _KO_ROLE.finditer(t):
        label, strong, sep, run = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        if not sep and not (label or strong):
            continue  # "직원교육": a weak role glued to the next word
        if sep[:1] in "은는이가" and sep and not label:
            continue  # "주무관은 경찰청에서": the name comes before 주무관, not after
        name = _ko_name(run, allow_two=bool(label) and ":" in sep.replace("：", ":"))
        if not name or (not sep and len(name) < 3):
            continue
        if sep[:1] in "은는이가" and sep and not _AFTER_LABEL.match(t, m.start(4) + len(name)):
            continue
        yield m.start(4), m.start(4) + len(name), "name"
    for m in _EN_TITLE.finditer(t):
        if _en_name(m.group(1)):
            yield m.start(1), m.end(1), "name"
    for m in _EN_TITLE_LOWER.finditer(t):  # "mr jung hoseok's" typed in lower case
        words = m.group(1).split()
        if words and words[0].title() not in _EN_STOP:
            keep = words[:1] + [w for w in words[1:2] if w.title() not in _EN_STOP]
            yield m.start(1), m.start(1) + len(" ".join(keep)), "name"
    for m in _EN_POSSESSIVE.finditer(t):
        if _en_name(m.group(1)):
            yield m.start(1), m.end(1), "name"
    for m in _EN_ROLE.finditer(t):
        if _en_name(m.group(1)):
            yield m.start(1), m.end(1), "name"
    for start, end, kind in sorted(found):  # names written next to other personal data
        if kind == "name":
            continue
        before = t[max(0, start - 28) : start]
        if km := _KO_NEAR.search(before):
            name = _ko_name(km.group(1), allow_two=False)
            if name:
                at = start - len(before) + km.start(1)
                yield at, at + len(name), "name"
        if em := _EN_NEAR.search(before):
            if _en_name(em.group(1)):
                at = start - len(before) + em.start(1)
                yield at, at + len(em.group(1)), "name"
        after = t[end : end + 40]
        if ka := _KO_AFTER.match(after):
            name = _ko_name(ka.group(1))
            if name:
                yield end + ka.start(1), end + ka.start(1) + len(name), "name"
        if ea := _EN_AFTER.match(after):
            if _en_name(ea.group(1)):
                yield end + ea.start(1), end + ea.end(1), "name"


# -- masking -------------------------------------------------------------------------------------

def _add(spans: list[tuple[int, int, str]], new: Iterator[tuple[int, int, str]]) -> None:
    """Add spans; one that overlaps a span already found widens it (so no part of either survives)."""
    for start, end, kind in new:
        for i, (s, e, k) in enumerate(spans):
            if start < e and s < end:
                spans[i] = (min(s, start), max(e, end), k)
                break
        else:
            spans.append((start, end, kind))


def find(text: str) -> list[tuple[int, int, str]]:
    """Spans of personal data in ``text`` (offsets into ``text`` itself), sorted, not overlapping."""
    norm, starts, ends = normalise(text)
    spans: list[tuple[int, int, str]] = []
    _add(spans, _number_spans(norm))
    _add(spans, _address_spans(norm))
    _add(spans, _name_spans(norm, list(spans)))
    merged: list[tuple[int, int, str]] = []
    for s, e, k in sorted((starts[s], ends[e - 1], k) for s, e, k in spans):
        if merged and s < merged[-1][1]:
            ps, pe, pk = merged[-1]
            merged[-1] = (ps, max(pe, e), pk)
        else:
            merged.append((s, e, k))
    return merged


def mask(text: str, lang: str = "ko") -> Masked:
    """Replace personal data in ``text`` with labels in ``lang`` and list the kinds found."""
    labels = LABELS.get(lang, LABELS["en"])
    spans = find(text)
    if not spans:
        return Masked(text)
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(labels[kind])
        last = end
    out.append(text[last:])
    found = {kind for _, _, kind in spans}
    return Masked("".join(out), [k for k in KIND_ORDER if k in found])
