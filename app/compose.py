"""The extractive answer: a verdict sentence, then the deciding clauses quoted verbatim with [n]
markers, the conditions, and (for questions about use) the reminder of the official's
responsibility.  Every sentence carries a marker; every quote is a span of its chunk's text.
"""

from __future__ import annotations

import re

from app.answer import Citation
from app.retrieval import ChunkRecord, Clause, ClauseIndex
from app.understand import Intent, Understanding
from app.verdict import Decision, Verdict
from ingest.documents import split_sentences
from ingest.stance import detect_stance
from ingest.tokens import tokenize

MAX_QUOTE = 320

LEAD = {
    "ko": {
        "allowed": "관련 지침에 따르면 이러한 활용은 허용됩니다",
        "conditional": "관련 지침에 따르면 아래 조건을 지키는 경우에 한해 허용됩니다",
        "not_allowed": "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다",
        "info": "관련 지침의 내용은 다음과 같습니다",
    },
    "en": {
        "allowed": "Allowed: the guidelines permit this use",
        "conditional": "Allowed with conditions: the conditions below must hold",
        "not_allowed": "Not allowed: the guidelines forbid this use as asked",
        "info": "Here is what the guidelines say",
    },
}
NOT_COVERED = {
    "ko": "불러온 지침 문서에서는 이 질문에 답할 수 있는 내용을 찾지 못했습니다. 추측하여 답하지 않습니다. "
    "소속 기관의 정보화·정보보호 담당 부서나 개인정보 보호책임자에게 문의하시기 바랍니다.",
    "en": "The loaded guideline documents do not answer this question, so guidebot will not guess. "
    "Please ask your organisation's information-security or data-protection officer.",
}
CONDITIONS_HEAD = {"ko": "조건:", "en": "Conditions:"}
LAW_HEAD = {"ko": "질문이 가리키는 법 조항:", "en": "What the Act or Decree you asked about says:"}
HARMFUL_LEAD = {
    "ko": "질문하신 목적(괴롭힘, 기만·사칭, 몰래 하는 감시, 차별, 선거·정치 조작 등)으로 AI를 사용하는 것은 허용되지 않습니다",
    "en": "Not allowed: using AI for this purpose (harassment, deception or impersonation, covert surveillance, "
    "discrimination or election manipulation) goes against the principles and rules below",
}
# Said before the conditions when the model leans to a risk without being sure of it (uncertain_risk).
UNSURE_RISK = {
    "ko": "질문만으로는 {risks}가 입력되는지 분명하지 않습니다. 그런 자료를 넣지 않는 경우에 한해 허용됩니다",
    "en": "Your question does not make clear whether {risks} would go into the tool; it is allowed only if none does",
}
RISK_NAMES = {
    "ko": {"personal_data": "개인정보", "sensitive": "민감정보", "non_public": "비공개 정보"},
    "en": {"personal_data": "personal data", "sensitive": "sensitive data", "non_public": "non-public information"},
}
READING = {
    "ko": {Intent.PERMISSION: "질문을 해도 되는지 묻는 것으로 이해하고 답합니다",
           Intent.OBLIGATION: "질문을 반드시 해야 하는지 묻는 것으로 이해하고 답합니다",
           Intent.INFORMATION: "질문을 지침의 내용을 묻는 것으로 이해하고 답합니다"},
    "en": {Intent.PERMISSION: "I read your question as asking whether you may do this",
           Intent.OBLIGATION: "I read your question as asking whether you must do this",
           Intent.INFORMATION: "I read your question as asking what the guidelines say"},
}
PII_RULE = {
    "ko": "질문에 담긴 것과 같은 개인정보({kinds})는 생성형 AI에 입력해서는 안 됩니다",
    "en": "Personal data such as that in your question ({kinds}) must not be entered into generative AI",
}
PII_MASKED_NOTE = {
    "ko": "질문에 포함된 개인정보({kinds})는 처리 전에 가렸습니다.",
    "en": "Personal data in your question ({kinds}) was masked before processing.",
}
PII_KIND_NAMES = {
    "ko": {"rrn": "주민등록번호", "frn": "외국인등록번호", "phone": "전화번호", "email": "이메일", "card": "카드번호", "account": "계좌번호",
           "passport": "여권번호", "driver_licence": "운전면허번호", "car_plate": "차량번호", "address": "주소", "name": "이름"},
    "en": {"rrn": "resident registration number", "frn": "foreign registration number", "phone": "phone number",
           "email": "e-mail address", "card": "card number", "account": "account number", "passport": "passport number",
           "driver_licence": "driving licence number", "car_plate": "car number plate", "address": "address", "name": "name"},
}
CLOSING = {
    "ko": "최종 판단과 책임은 담당 공무원에게 있으며, AI가 만든 결과물은 반드시 직접 확인해야 합니다",
    "en": "The final decision and responsibility remain with you, the official, and any AI output must be verified before use",
}
NOTICE = {
    "ko": "guidebot은 지침을 요약한 자료를 인용합니다. 최종 판단은 담당 공무원의 책임이며, 중요한 결정 전에는 공식 원문을 확인하십시오.",
    "en": "guidebot quotes summaries of the guidelines. The final decision is yours; check the official text before relying on it.",
}
INJECTION_NOTE = {
    "ko": "질문에 포함된 규칙 변경 지시는 따르지 않았으며, 나머지 질문에 답합니다.",
    "en": "Instructions in the question to change the rules were ignored; the rest of the question is answered.",
}


def pick_quote(chunk_text: str, query: str, lang: str, stance: str) -> str:
    """A verbatim span of ``chunk_text``: the sentence that carries the clause's stance or best
    matches the question, extended by the next sentence when short."""
    sentences = split_sentences(chunk_text)
    if not sentences:
        return chunk_text[:MAX_QUOTE]
    query_tokens = set(tokenize(query, lang))

    def overlap(sentence: str) -> float:
        tokens = set(tokenize(sentence, lang))
        return len(tokens & query_tokens) / (1 + len(tokens) ** 0.5)

    best = None
    if stance != "informs":
        best = next((s for s in sentences if detect_stance(s, 1) == stance), None)
    if best is None:
        best = max(sentences, key=overlap)
    start = chunk_text.find(best)
    if start < 0:
        return best[:MAX_QUOTE]
    end = start + len(best)
    index = sentences.index(best)
    if len(best) < 70 and index + 1 < len(sentences):
        following = chunk_text.find(sentences[index + 1], end)
        if following >= 0 and following + len(sentences[index + 1]) - start <= MAX_QUOTE:
            end = following + len(sentences[index + 1])
    quote = chunk_text[start:end]
    if len(quote) > MAX_QUOTE:
        cut = quote.rfind(" ", 0, MAX_QUOTE)
        quote = quote[: cut if cut > 80 else MAX_QUOTE]
    return quote.strip()


def best_chunk(clause: Clause, lang: str, query: str, index: ClauseIndex) -> ChunkRecord:
    """The clause's chunk (in ``lang`` where it has one) that holds most of the question's tokens."""
    chunks = clause.chunks_in(lang)
    if len(chunks) == 1:
        return chunks[0]
    query_tokens = tokenize(query, lang)
    return max(chunks, key=lambda c: index.token_overlap(c, query_tokens))


class Composer:
    """Builds citations and the answer text for one decision."""

    def __init__(self, understanding: Understanding, query: str, index: ClauseIndex) -> None:
        self.u = understanding
        self.index = index
        self.lang = understanding.lang if understanding.lang in LEAD else "en"
        self.query = query
        self.citations: list[Citation] = []

    def cite(self, clause: Clause, score: float) -> Citation:
        for citation in self.citations:
            if citation.clause == clause.key:
                return citation
        chunk = best_chunk(clause, self.lang, self.query, self.index)
        meta = chunk.meta
        quote = pick_quote(chunk.text, self.query, self.lang, clause.stance)
        other = None
        other_lang = next((lg for lg in clause.chunks if lg != chunk.lang), None)
        if other_lang:
            other_chunk = clause.chunks[other_lang][min(int(meta.get("part", 0)), len(clause.chunks[other_lang]) - 1)]
            other = {"lang": other_lang, "title": str(other_chunk.meta.get("title", "")),
                     "section": str(other_chunk.meta.get("section", "")), "text": other_chunk.text,
                     "source": str(other_chunk.meta.get("source", ""))}
        citation = Citation(
            stance_source=str(meta.get("stance_source", "authored")),
            n=len(self.citations) + 1, doc_id=clause.doc_id, lang=chunk.lang, section_id=clause.section_id,
            title=str(meta.get("title", "")), section=str(meta.get("section", "")), quote=quote,
            source=str(meta.get("source", "")), basis=str(meta.get("basis", "")), score=score,
            issued=str(meta.get("issued", "")), kind=str(meta.get("kind", "")), stance=clause.stance,
            chunk_id=chunk.id, chunk_text=chunk.text, other_lang=other,
        )
        self.citations.append(citation)
        return citation

    def quote_line(self, citation: Citation) -> str:
        heading = citation.section.split(" > ")[-1]
        return f"- {citation.title} · {heading}: “{citation.quote}” [{citation.n}]"

    def compose(self, decision: Decision, pii_kinds: list[str]) -> tuple[str, list[str], list[str]]:
        """The answer text, the conditions and (for a no) what can be done instead.

        A "not allowed" answer never says the use may become acceptable: what the official can do
        instead is its own list, of clauses that describe such an action.
        """
        lang = self.lang
        if decision.verdict is Verdict.NOT_COVERED:
            text = NOT_COVERED[lang]
            if pii_kinds and decision.pii_rule is not None:
                rule = self.cite(decision.pii_rule, 0.0)
                kinds = ", ".join(PII_KIND_NAMES[lang].get(k, k) for k in pii_kinds)
                text += "\n" + PII_RULE[lang].format(kinds=kinds) + f" [{rule.n}].\n" + self.quote_line(rule)
            return text, [], []
        score = decision.scores
        law = [self.cite(c, score.get(c.key, 0.0)) for c in decision.law]
        deciding = [self.cite(c, score.get(c.key, 0.0)) for c in decision.deciding]
        conditions = [self.cite(c, score.get(c.key, 0.0)) for c in decision.conditions]
        supporting = [self.cite(c, score.get(c.key, 0.0)) for c in decision.supporting]
        lines: list[str] = []
        if decision.reading is not None:
            lines.append(f"{READING[lang][decision.reading]}.")
        if decision.rule == "uncertain_risk":
            risks = (" 또는 " if lang == "ko" else " or ").join(RISK_NAMES[lang][r] for r in sorted(self.u.risks))
            lines.append(f"{UNSURE_RISK[lang].format(risks=risks)}.")
        markers = "".join(f"[{c.n}]" for c in (deciding or conditions or supporting)[:2])
        lead = HARMFUL_LEAD[lang] if decision.rule == "harmful_purpose" else LEAD[lang][decision.verdict.value]
        lines.append(f"{lead} {markers}.")
        law_only = [c for c in law if c not in deciding + supporting + conditions]
        if law_only:  # the law's own sections that the question names, before what decided
            lines.append(LAW_HEAD[lang])
            lines.extend(self.quote_line(citation) for citation in law_only)
        for citation in deciding + supporting:
            lines.append(self.quote_line(citation))
        condition_texts = [f"{citation.quote} [{citation.n}]" for citation in conditions]
        shown = deciding + supporting
        extra = [c for c in conditions if c not in shown]
        if extra and decision.verdict is not Verdict.NOT_ALLOWED:
            lines.append(CONDITIONS_HEAD[lang])
            lines.extend(self.quote_line(citation) for citation in extra)
        alternatives = []
        if decision.verdict is Verdict.NOT_ALLOWED:
            for clause in decision.alternatives:
                citation = self.cite(clause, score.get(clause.key, 0.0))
                alternatives.append(f"{citation.quote} [{citation.n}]")
            condition_texts = []
        if pii_kinds:
            pii_citation = self._pii_rule(decision)
            kinds = ", ".join(PII_KIND_NAMES[lang].get(k, k) for k in pii_kinds)
            marker = f" [{pii_citation.n}]" if pii_citation else ""
            lines.append(PII_RULE[lang].format(kinds=kinds) + f"{marker}.")
        # The closing line keeps the decision with the official when the use goes ahead; a no or a
        # statement of what the documents say has nothing left to decide.
        if self.u.asks_permission and decision.responsibility is not None \
                and decision.verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL):
            resp = self.cite(decision.responsibility, score.get(decision.responsibility.key, 0.0))
            lines.append(f"{CLOSING[lang]} [{resp.n}].")
        return "\n".join(lines), condition_texts, alternatives

    def _pii_rule(self, decision: Decision) -> Citation | None:
        if decision.pii_rule is not None:
            return self.cite(decision.pii_rule, decision.scores.get(decision.pii_rule.key, 0.0))
        for citation in self.citations:
            if citation.stance == "prohibits":
                return citation
        return None


TEMPLATE_SENTENCES = [
    *[t for table in LEAD.values() for t in table.values()],
    *[t.split("(")[0] for t in PII_RULE.values()],
    *HARMFUL_LEAD.values(),
    *[t for table in READING.values() for t in table.values()],
    *CLOSING.values(),
]

_MARKER = re.compile(r"\[(\d+)\]")


def markers_in(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]
