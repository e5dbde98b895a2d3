"""Topic features of a text: personal data, non-public information, decisions about people, AI tools, ...

One set of lexicons (Korean stems and English words) tags both clauses, at ingest (stored in each
chunk's ``features`` metadata), and questions, at answer time; a prohibition applies to a
question when they share a risk feature.  ``TAGGER_DIGEST`` fingerprints these lexicons and the
stance patterns, so an edit to either makes the next ingest re-tag every chunk (re-embedding none).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest import stance

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
        r"(?<![A-Za-z])AI(?![A-Za-z])|인공지능|artificial intelligence|챗봇|chatbot|생성형|generative|\bLLM|딥페이크|deepfake|알고리즘|algorithm",
        re.IGNORECASE,
    ),
    "discrimination": re.compile(
        r"차별|불리하게|불이익|낮은 점수|감점|(나이|연령|성별|장애|출신|국적|인종|종교)(에 따라|를 이유로|로 인해|가 많은|이 많은)|"
        r"\bdiscriminat\w*|\bworse (scores?|treatment|terms)\b|\blower scores?\b|\bpenali[sz]\w*|\b(over|above|under) \d+\b|"
        r"\bbecause of (their|his|her) (age|gender|sex|disability|race|religion|origin)|\bexclud\w* (women|men|older|disabled|foreign)",
        re.IGNORECASE,
    ),
    # What an official can do instead of putting risky data in: remove or pseudonymise it first.
    "remedy": re.compile(
        r"가명\s?처리|비식별|익명\s?처리|삭제한\s?(후|뒤)|제거한\s?(후|뒤)|지운\s?(후|뒤)|"
        r"\bpseudonymi[sz]\w*|\bde-?identif\w*|\banonymi[sz]\w*|\bremov\w* (the )?(names?|personal|identif)\w*",
        re.IGNORECASE,
    ),
    "output_use": re.compile(
        r"초안|작성|요약|번역|보도자료|인사말|강의|보고서|코드|엑셀|검색|아이디어|\bdraft|\bsummar|\btranslat|\bpress release|\bspeech|\bcode\b|\bexcel\b|\bideas?\b|\bresearch\b",
        re.IGNORECASE,
    ),
}
RISK_FEATURES = ("personal_data", "sensitive", "non_public")


def features_of(text: str) -> set[str]:
    """The features whose lexicon matches ``text``."""
    return {name for name, pattern in FEATURES.items() if pattern.search(text)}


def _digest() -> str:
    lexicons = "\n".join(f"{name}={p.pattern}" for name, p in FEATURES.items())
    stance_source = Path(stance.__file__).read_bytes()
    return hashlib.sha256(lexicons.encode() + b"\0" + stance_source).hexdigest()[:10]


TAGGER_DIGEST = _digest()
