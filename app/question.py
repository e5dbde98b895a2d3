"""What a question asks: its language, whether it asks permission, and the features that decide verdicts.

The same feature lexicons also tag clauses (``clause_features``), so a prohibition "applies" to a
question when they share a risk feature (personal data, non-public information, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.documents import detect_lang

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

# Feature lexicons (Korean stems and English words), shared by questions and clauses.
FEATURES: dict[str, re.Pattern[str]] = {
    "personal_data": re.compile(
        r"개인\s?정보|주민(등록)?번호|전화\s?번호|휴대\s?(폰|전화)|연락처|이메일 주소|인적\s?사항|신상|고유\s?식별|"
        r"(민원인|시민|주민|신청인|고객|개인|참석자|직원|환자|학생)(의)?\s?(이름|성명|주소|얼굴)|(이름|성명)(과|이나|,)?\s?(전화|연락처|주소|생년)|"
        r"\[(주민등록번호|전화번호|이메일|카드번호|계좌번호|이름|RRN|PHONE|EMAIL|CARD|ACCOUNT|NAME)\]|"
        r"\bpersonal (data|information|details)\b|\bpersonally identifiable|\bresident registration|\bphone numbers?\b|"
        r"\b(citizen|complainant|applicant|resident|customer|people|person|patient|student)s?'?s?'? (names?|addresses|details|records|data|information)\b|"
        r"\bnames? and (phone|contact|address)|\be-?mail addresses?\b|\bprivacy\b|\bpii\b",
        re.IGNORECASE,
    ),
    "sensitive": re.compile(
        r"민감\s?정보|민감한|건강|병력|의료|장애|범죄|sensitive|health|medical|criminal record|biometric|생체", re.IGNORECASE
    ),
    "non_public": re.compile(
        r"비공개|미공개|미공표|미발표|공표되지|발표되지|공개되지 않은|(공개|발표|공표|보도|결재|확정) ?(전|前)|대외비|기밀|비밀|"
        r"내부 (문서|자료|보고서|정보|검토|회의)|업무 자료|검토 중인|확정되지 않은|"
        r"\bnon-?public\b|\bunpublished\b|\bconfidential\b|\bclassified\b|\bnot (yet )?(been )?(published|announced|public)\b|"
        r"\binternal (documents?|reports?|memos?|papers?|drafts?|information|data|material)\b|\bdraft polic|\bsecret",
        re.IGNORECASE,
    ),
    "decision": re.compile(
        r"결정|판정|심사|자격|수급|선정|처분|부과|승인 여부|허가 여부|지원 대상|\beligibilit|\bdecid|\bdecision|\bbenefits?\b|"
        r"\bapprov(e|al) (of )?applications?|\bscreen(ing)? (applications|applicants|citizens)",
        re.IGNORECASE,
    ),
    "hiring": re.compile(r"채용|면접|서류 ?심사|지원자|인사 ?평가|승진|\bhir(e|ing)\b|\brecruit|\bjob applicants?|\binterview|\bpromotion", re.IGNORECASE),
    "images_of_people": re.compile(r"얼굴|사진|초상|딥페이크|인물 (이미지|영상)|\bfaces?\b|\bphotos?\b|\bdeepfakes?\b|\bportraits?\b|images? of (people|citizens|persons)", re.IGNORECASE),
    "internal_tool": re.compile(
        r"내부망|행정망|업무망|부산형 생성형|공통기반|자체 (AI|인공지능)|정부 전용|\binternal network\b|\bgovernment(-only)? (ai )?platform|\bin-house\b|\bon-prem",
        re.IGNORECASE,
    ),
    "public_tool": re.compile(
        r"챗\s?GPT|chat\s?gpt|제미나이|gemini|클로드|claude|딥시크|deepseek|코파일럿|copilot|뤼튼|퍼플렉시티|perplexity|"
        r"생성형\s?(AI|인공지능)|generative ai|\bllm\b|언어모델|외부 (AI|서비스)|상용 (AI|서비스)|commercial ai|public ai",
        re.IGNORECASE,
    ),
    "responsibility": re.compile(
        r"최종\s?(판단|결정|의사\s?결정|책임)|책임은 (공무원|사람|담당자)|결과물?(을|를)? (반드시 )?(직접 )?(확인|검증)|검증하여야|"
        r"final (decision|responsibility|say)|remains? responsible|responsib\w+ (stays|rests|remains) with|human (oversight|review|verification)|"
        r"\b(check|verify|re-?check|review)\w*\b.{0,25}\b(outputs?|answers?|results?)\b|결과물?.{0,12}(확인|검증|검토)|답변.{0,8}(확인|검증)|정확성",
        re.IGNORECASE,
    ),
    "ai_mention": re.compile(
        r"\bAI\b|인공지능|artificial intelligence|챗봇|chatbot|생성형|generative|\bLLM|딥페이크|deepfake|알고리즘|algorithm",
        re.IGNORECASE,
    ),
    "discrimination": re.compile(
        r"차별|불리하게|불이익|낮은 점수|감점|(나이|연령|성별|장애|출신|국적|인종|종교)(에 따라|를 이유로|로 인해|가 많은|이 많은)|"
        r"\bdiscriminat\w*|\bworse (scores?|treatment|terms)\b|\blower scores?\b|\bpenali[sz]\w*|\b(over|above|under) \d+\b|"
        r"\bbecause of (their|his|her) (age|gender|sex|disability|race|religion|origin)|\bexclud\w* (women|men|older|disabled|foreign)",
        re.IGNORECASE,
    ),
    "output_use": re.compile(
        r"초안|작성|요약|번역|보도자료|인사말|강의|보고서|코드|엑셀|검색|아이디어|\bdraft|\bsummar|\btranslat|\bpress release|\bspeech|\bcode\b|\bexcel\b|\bideas?\b|\bresearch\b",
        re.IGNORECASE,
    ),
}
RISK_FEATURES = ("personal_data", "sensitive", "non_public")
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


def features_of(text: str) -> set[str]:
    return {name for name, pattern in FEATURES.items() if pattern.search(text)}


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
