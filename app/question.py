"""What a question asks: its language, whether it asks permission, and the features that decide verdicts.

The same feature lexicons also tag clauses (``clause_features``), so a prohibition "applies" to a
question when they share a risk feature (personal data, non-public information, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.documents import detect_lang

_PERMISSION = re.compile(
    r"\b(may|can|could|should|must|do|need) (i|we|officials?|staff|public (officials?|servants?)|civil servants?|an official|employees?|a civil servant)\b"
    r"|\b(am i|are we|is it|are officials?|is an official) (allowed|permitted|ok|okay|fine|acceptable|legal|forbidden|prohibited)\b"
    r"|\b(allowed|permitted|prohibited|forbidden) to\b|\bis (it|this) (ok|okay|allowed|permitted)\b|\bcan (ai|chatgpt|generative ai)\b"
    r"|해도\s?(되|돼|될|괜찮)|하면\s?(안\s?되|되|돼)|써도|넣어도|올려도|입력해도|사용해도|활용해도|맡겨도|돌려도|붙여넣어도|업로드해도|보내도|"
    r"가능한가|가능할까|가능합니까|가능하나요|가능해요|괜찮나|괜찮을까|괜찮습니까|괜찮아요|되나요|되는지|될까요|돼요\?|"
    r"허용되|허용됩|금지되|금지인가|할 수 있나|할 수 있을까|할 수 있습니까|할 수 있는지|해야 하나|해야 합니까|해야 할까|해야 하는지",
    re.IGNORECASE,
)

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
        r"비공개|미공표|미발표|공표되지|발표되지|공개되지 않은|(공개|발표|공표|보도|결재|확정) ?(전|前)|대외비|기밀|비밀|"
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
    "output_use": re.compile(
        r"초안|작성|요약|번역|보도자료|인사말|강의|보고서|코드|엑셀|검색|아이디어|\bdraft|\bsummar|\btranslat|\bpress release|\bspeech|\bcode\b|\bexcel\b|\bideas?\b|\bresearch\b",
        re.IGNORECASE,
    ),
}
RISK_FEATURES = ("personal_data", "sensitive", "non_public")

_INJECTION = re.compile(
    r"ignore (all |any |your |the |previous |prior )*(rules|instructions|guidelines|policies)|disregard (your|the|all) |"
    r"you are now|act as (an? )?(admin|administrator|developer)|system prompt|developer mode|jailbreak|"
    r"(always )?(say|answer|reply|respond) (that )?(it is|it's|with)? ?['\"]?(allowed|yes|permitted)|pretend|override|"
    r"규칙을? (무시|잊)|지침을? 무시|지시(를|사항을)? 무시|이전 (지시|명령)|관리자(다|이다|입니다|로서|권한)|시스템 프롬프트|"
    r"(허용|가능)(된다|하다)고 (말|답)|무조건 (허용|가능)|탈옥",
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
    intent = "permission" if _PERMISSION.search(query) else "info"
    return Understanding(lang=lang, intent=intent, features=features_of(query), injection=injection, query=query)
