"""What a question asks: its language, whether it asks permission, and the features that decide verdicts.

The feature lexicons live in :mod:`ingest.features`: they tag clauses at ingest and questions here,
so a prohibition "applies" to a question when they share a risk feature (personal data, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.documents import detect_lang
from ingest.features import RISK_FEATURES, features_of

__all__ = ["RISK_FEATURES", "Understanding", "features_of", "understand"]

# "May I ...?" questions, and "Do I have to ...?" ones (which count only when no wh-word asks for a
# fact: "How many years must records be kept?" is a question for information).
_PERMISSION = re.compile(
    r"\b(may|can|could) (i|we|officials?|staff|public (officials?|servants?)|civil servants?|an official|employees?|a civil servant|our|my)\b"
    r"|\b(am i|are we|is it|are officials?|is an official) (allowed|permitted|ok|okay|fine|acceptable|legal|forbidden|prohibited)\b"
    r"|\b(allowed|permitted|prohibited|forbidden) to\b|\bis (it|this) (ok|okay|allowed|permitted)\b|\bcan (ai|chatgpt|generative ai)\b"
    r"|\b(paste|put|upload|enter|feed|type|send) (this|these|it|them|the following)\b.{0,40}\b(into|to|in)\b"
    r"|(붙여\s?넣어|입력해|올려|넣어|보내)\s?(줘|주세요|주십시오)"
    r"|해도\s?(되|돼|될|괜찮)|하면\s?(안\s?되|되|돼)|써도|넣어도|올려도|입력해도|사용해도|활용해도|맡겨도|돌려도|붙여넣어도|업로드해도|보내도|"
    r"않아도\s?(되|돼|될)|안 해도|생략해도|무시해도|"
    r"가능한가|가능할까|가능합니까|가능하나요|가능해요|괜찮나|괜찮을까|괜찮습니까|괜찮아요|"
    r"허용되|허용됩|금지되|금지인가|할 수 있나|할 수 있을까|할 수 있습니까|할 수 있는지",
    re.IGNORECASE,
)
_OBLIGATION = re.compile(
    r"\b(should|must|do|need) (i|we|officials?|staff|public (officials?|servants?)|civil servants?|an official|employees?)\b"
    r"|\b(do|does) (i|we|it|he|she|they) (have|need) to\b|\bare (we|officials?) required\b"
    r"|해야 하나|해야 합니까|해야 할까|해야 하는지|해야 돼|해야 되나|받아야 하나|거쳐야 하나|알려야 하나|표시해야"
    r"|되나요|되는지|될까요|돼요\?",
    re.IGNORECASE,
)
_WH = re.compile(
    r"\b(what|when|which|who|whom|where|why|how (long|many|much|often|soon))\b|몇|언제|얼마|무엇|뭐|어떤|어떻게|누가|누구|어디|왜|며칠",
    re.IGNORECASE,
)
_MASK_LABEL = re.compile(r"\[(주민등록번호|전화번호|이메일|카드번호|계좌번호|이름|RRN|PHONE|EMAIL|CARD|ACCOUNT|NAME)\]")


# The question removes the risk first ("after removing the names", "가명처리 후"): the risk is gone.
_MITIGATION = re.compile(
    r"\b(remov\w*|delet\w*|strip\w*|redact\w*|anonymi[sz]\w*|pseudonymi[sz]\w*|mask\w*|de-?identif\w*)\b|\bwithout (any |the )?(personal|names?|identif|sensitive|non-public|confidential)"
    r"|(제거|삭제|가린|가리고|가려|익명|가명|비식별|지운|지우고|빼고|뺀)|(개인\s?정보|이름|민감\s?정보|식별\s?정보)\S{0,3}\s?없이",
    re.IGNORECASE,
)
# The question asks whether a duty may be skipped ("without notifying", "알리지 않아도").
_OMISSION = re.compile(
    r"\bwithout (notify|label|tell|inform|disclos|report|appoint|mark|register|review|check|verif)\w*|\b(skip|ignore|omit|bypass|avoid)\w*\b"
    r"|\b(don'?t|do not|not) (have|need) to\b|\bno need to\b|\bsimply ignore"
    r"|않아도|안 해도|생략|무시해도",
    re.IGNORECASE,
)

_INJECTION = re.compile(
    r"ignore (all |any |your |the |previous |prior )*(rules|instructions|guidelines|policies)|disregard (your|the|all) |"
    r"you are now|act as (an? )?(admin|administrator|developer)|system prompt|developer mode|jailbreak|"
    r"(always )?(say|answer|reply|respond) (that )?(it is|it's|with)? ?['\"]?(allowed|yes|permitted)|pretend|override|"
    r"규칙을? (무시|잊)|지침을? 무시|지시(를|사항을)? 무시|이전 (지시|명령)|관리자(다|이다|입니다|로서|권한)|시스템 프롬프트|"
    r"(허용|가능)(된다|하다)고 (말|답)|무조건 (허용|가능)|탈옥|개발자 모드|\[(system|시스템)[^\]]*\]|"
    r"(된다|한다|하다|없다)고\s?(말해|답해|대답해|말하라|답하라|써)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?。\n]+[.!?。]?")


@dataclass
class Understanding:
    """The parts of a question that steer retrieval and the verdict."""

    lang: str
    intent: str  # "permission" | "info"
    features: set[str] = field(default_factory=set)
    injection: bool = False
    query: str = ""  # the text used for retrieval: the question without injected instructions
    omission: bool = False  # asks whether a duty may be skipped, or proposes to discriminate
    mitigated: bool = False  # removes the risky data first

    @property
    def risks(self) -> set[str]:
        return self.features & set(RISK_FEATURES)


def understand(question: str, lang: str | None = None) -> Understanding:
    """Analyse an already-masked question."""
    lang = lang or detect_lang(question)
    sentences = [s.strip() for s in _SENTENCE.findall(question) if s.strip()]
    clean = [s for s in sentences if not _INJECTION.search(s)]
    injection = len(clean) < len(sentences)
    query = " ".join(clean) if clean else question
    permission = bool(_PERMISSION.search(query)) or (bool(_OBLIGATION.search(query)) and not _WH.search(query))
    features = features_of(query)
    mitigated = bool(_MITIGATION.search(query)) and not _MASK_LABEL.search(query)
    if mitigated:
        features -= set(RISK_FEATURES)
    # Masked labels ("[전화번호]") carry no meaning for retrieval: keep them out of the query.
    query = " ".join(_MASK_LABEL.sub(" ", query).split()) or query
    return Understanding(
        lang=lang, intent="permission" if permission else "info", features=features, injection=injection, query=query,
        omission=bool(_OMISSION.search(query)) or "discrimination" in features, mitigated=mitigated,
    )
