"""Sentences addressed to a language model rather than to officials: prompt-injection markers.

Questions lose them before they are read (``app.understand.strip_instructions``); files a user
ingests lose them before they are chunked, so such a sentence is never quoted as guidance, and
the ingest summary reports how many were removed from which file.  These are markers of a format
(instructions to the model), not readings of what an official asks.
"""

from __future__ import annotations

import re

from ingest.documents import split_sentences

INSTRUCTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|above\s+|earlier\s+)*"
    r"(rules|instructions|guidelines|guidance|policies|policy|restrictions|system prompt|prompt)"
    r"|you are now\b[^.!?\n]*|act as (an? )?(admin|administrator|developer|unrestricted)[^.!?\n]*|developer mode|admin mode|jailbreak"
    r"|(print|reveal|show) (your |the )?system prompt|\bpretend\b[^.!?\n]*"
    r"|(just|only|always)\s+(say|answer|reply|respond|confirm|tell me)\s+(with\s+)?['\"“]?(yes|allowed|ok|okay|permitted|it is allowed|it's allowed|it's fine)['\"”]?"
    r"|\[\s*(system|sys|admin|시스템)[^\]]*\]"
    r"|(규칙|지침|지시|명령|제한|가이드라인|원칙)(을|를|은|는)?\s*(모두\s*|전부\s*|다\s*)?(무시|잊)[가-힣]*"
    r"|이전\s*(의\s*)?(지시|명령|규칙|대화)[가-힣]*\s*(모두\s*)?(무시|잊)?[가-힣]*"
    r"|시스템\s*(프롬프트|지시|명령)[가-힣]*|(관리자|개발자)\s*(모드|권한)[가-힣]*|나는\s*(시스템\s*)?관리자[가-힣]*|탈옥"
    r"|['\"“‘]?(허용|가능|괜찮)[가-힣]*['\"”’]?\s*(이?라)?고만?\s*(말|답|대답|써)[가-힣]*"
    r"|무조건\s*(허용|가능)[가-힣]*\s*(이?라)?고?\s*(말|답|대답)?[가-힣]*",
    re.IGNORECASE,
)
# In a document, a line that speaks to the assistant: "SYSTEM: ...", "Assistant, always answer ...".
_ADDRESSED = re.compile(
    r"^\W*(system|assistant|ai|chatbot|시스템|어시스턴트|챗봇)\s*[:：]"
    r"|\b(always|never)\s+(answer|say|reply|respond|tell)\b|(항상|무조건|모든 질문에)[^.]{0,20}(답하|말하|답변하)",
    re.IGNORECASE,
)


def addressed_to_model(sentence: str) -> bool:
    """Whether a sentence of a document instructs the model instead of informing officials."""
    return bool(INSTRUCTION.search(sentence) or _ADDRESSED.search(sentence))


def remove_model_instructions(text: str) -> tuple[str, int]:
    """The text without sentences addressed to the model, and how many were removed."""
    sentences = split_sentences(text)
    flagged = [s for s in sentences if addressed_to_model(s)]
    if not flagged:
        return text, 0
    out = text
    for sentence in flagged:
        out = out.replace(sentence, " ", 1)
    return "\n".join(line.rstrip() for line in out.splitlines() if line.strip()), len(flagged)
