"""The answer contract (DESIGN.md "Answer contract"): what ``ask`` returns on every surface."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

VERDICTS = ("allowed", "conditional", "not_allowed", "not_covered", "info")


@dataclass
class Citation:
    """One cited clause, with the verbatim quote that backs the answer's [n] marker."""

    n: int
    doc_id: str
    lang: str
    section_id: str
    title: str
    section: str
    quote: str
    source: str
    basis: str
    score: float
    issued: str = ""
    kind: str = ""
    stance: str = "informs"
    stance_source: str = "authored"
    chunk_id: str = ""
    chunk_text: str = ""
    other_lang: dict[str, str] | None = None

    @property
    def clause(self) -> str:
        return f"{self.doc_id}#{self.section_id}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["clause"] = self.clause
        return data


@dataclass
class Answer:
    question: str
    language: str
    verdict: str
    answer: str
    conditions: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    understanding: dict[str, Any] = field(default_factory=dict)
    rule: str = ""
    pii_masked: list[str] = field(default_factory=list)
    backend: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    intent: str = "info"
    features: list[str] = field(default_factory=list)
    injection_detected: bool = False
    notice: str = ""
    fallback_reason: str | None = None
    follow_ups: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the contract (plus a few extra fields the UI and evals use)."""
        return {
            "question": self.question,
            "language": self.language,
            "verdict": self.verdict,
            "answer": self.answer,
            "conditions": list(self.conditions),
            "citations": [c.to_dict() for c in self.citations],
            "alternatives": list(self.alternatives),
            "understanding": dict(self.understanding),
            "rule": self.rule,
            "pii_masked": list(self.pii_masked),
            "backend": self.backend,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "intent": self.intent,
            "features": list(self.features),
            "injection_detected": self.injection_detected,
            "notice": self.notice,
            "fallback_reason": self.fallback_reason,
            "follow_ups": list(self.follow_ups),
            "retrieved": list(self.retrieved),
        }

    def to_markdown(self) -> str:
        """The answer with its sources, for the terminal, copying and export."""
        ko = self.language == "ko"
        label = VERDICT_LABELS["ko" if ko else "en"][self.verdict]
        lines = [f"**{'판단' if ko else 'Verdict'}: {label}**", "", self.answer, ""]
        if self.conditions:
            lines.append("**지켜야 할 조건**" if ko else "**Conditions**")
            lines += [f"- {c}" for c in self.conditions] + [""]
        if self.alternatives:
            lines.append("**대신 할 수 있는 일**" if ko else "**What you can do instead**")
            lines += [f"- {a}" for a in self.alternatives] + [""]
        if self.citations:
            lines.append("**출처**" if ko else "**Sources**")
            for c in self.citations:
                lines.append(f"[{c.n}] {c.title} — {c.section} ({BASIS_LABELS['ko' if ko else 'en'].get(c.basis, c.basis)}; {c.source}#{c.section_id})")
                lines.append(f"    > {c.quote}")
        if self.notice:
            lines += ["", f"_{self.notice}_"]
        return "\n".join(lines).strip() + "\n"


VERDICT_LABELS = {
    "ko": {"allowed": "허용", "conditional": "조건부 허용", "not_allowed": "허용되지 않음", "not_covered": "지침에 없음",
           "info": "정보"},
    "en": {"allowed": "Allowed", "conditional": "Allowed with conditions", "not_allowed": "Not allowed",
           "not_covered": "Not covered", "info": "Information"},
}
BASIS_LABELS = {
    "ko": {"official-text": "공식 원문 기반", "official-summary": "공식 발표 요약", "press-reports": "언론 보도 기반",
           "organisation-upload": "기관 업로드 문서(검증되지 않음)"},
    "en": {"official-text": "official text", "official-summary": "official summary", "press-reports": "press reports",
           "organisation-upload": "organisation's upload (not verified)"},
}
