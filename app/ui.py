"""guidebot's Gradio UI: Ask, Training, Library and Evals tabs, in Korean or English.

``build(assistant=None, settings=None)`` returns the ``gr.Blocks``; ``serve(host, port)`` runs it
(``guidebot serve``).  The only answering path is :meth:`app.assistant.Assistant.ask`; the Gradio
API endpoint ``/ask`` takes (question, lang) and returns the answer contract's JSON object, or
``{"error": message}``.

Per-session state lives only in ``gr.State`` and component values, so one official's session never
shows another's answers.  Handlers catch every exception and show a message (never a traceback);
what the official typed stays in the question box when answering fails.
"""

# No ``from __future__ import annotations`` here: gr.api reads the /ask function's type hints.

import html
import logging
import math
import random
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import ingest.settings  # noqa: F401  (offline switches first)
from app.answer import BASIS_LABELS, VERDICT_LABELS, VERDICTS
from app.compose import PII_KIND_NAMES
from ingest.settings import Settings, get_settings

log = logging.getLogger(__name__)

UI_LANGS = ("ko", "en")
EXAMPLES = [
    "민원인 이름과 전화번호가 들어간 민원을 챗GPT로 요약해도 되나요?",
    "부산시 지침의 4대 가치는?",
    "보도자료 초안을 생성형 AI로 작성해도 되나요?",
    "May I use ChatGPT to draft a press release?",
    "Can I paste an unpublished policy draft into a public chatbot?",
]
STREAM_WORDS = 6  # words per streamed chunk
STREAM_DELAY_S = 0.012

# -- labels ----------------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "ko": {
        "app_title": "guidebot · 공무원 AI 윤리·생성형 AI 활용 지침 안내",
        "app_sub": "질문하면 판단과 근거 조항을 함께 보여 드립니다. 인터넷 연결 없이 작동합니다.",
        "ui_lang": "화면 언어",
        "tab_ask": "질문하기",
        "tab_train": "교육",
        "tab_lib": "자료실",
        "tab_eval": "평가",
        "standing": "guidebot은 안내 도구이며 공식 원문이 아닙니다. 최종 판단과 책임은 담당 공무원에게 있습니다. "
                    "업무에 적용하기 전에 인용된 조항의 공식 원문을 꼭 확인하십시오. 개인정보는 입력하지 마십시오.",
        "chat": "대화",
        "question": "질문",
        "question_ph": "예: 민원 답변 초안을 생성형 AI로 써도 되나요? (Enter로 보내기, Shift+Enter로 줄바꿈)",
        "ask_lang": "답변 언어",
        "lang_auto": "자동",
        "lang_ko": "한국어",
        "lang_en": "English",
        "ask": "질문하기",
        "examples": "예시 질문",
        "followups": "이어서 물어보기",
        "export": "답변 복사·내보내기 (Markdown, 출처 포함)",
        "md": "Markdown (복사 버튼으로 복사)",
        "download": "Markdown 파일 내려받기",
        "feedback": "이 답변이 도움이 되었나요?",
        "up": "✓ 도움이 됨",
        "down": "✗ 도움이 안 됨",
        "comment": "의견 (선택, 개인정보는 자동으로 가립니다)",
        "comment_ph": "무엇이 맞거나 틀렸는지 적어 주세요",
        "fb_thanks": "의견을 저장했습니다. 감사합니다.",
        "fb_none": "먼저 질문을 하고 답변을 받은 뒤 평가해 주세요.",
        "panel_empty": "질문하면 여기에 판단, 조건, 근거 조항이 표시됩니다.",
        "thinking": "지침을 찾고 있습니다…",
        "verdict": "판단",
        "conditions": "지켜야 할 조건",
        "answer": "답변",
        "sources": "근거 조항",
        "sources_none": "인용할 조항이 없습니다.",
        "pii": "개인정보 보호",
        "pii_text": "질문에서 {kinds}을(를) 가렸습니다. 이런 정보는 생성형 AI에 입력하면 안 됩니다.",
        "injection": "질문 속의 규칙 변경 지시는 따르지 않았습니다.",
        "other_lang": "같은 조항 영어판 보기",
        "other_lang_en": "Same clause in Korean",
        "issued": "발표일",
        "basis_press": "공식 원문을 확인하지 못해 언론 보도에 근거한 요약입니다",
        "basis_summary": "공식 발표를 요약한 것입니다",
        "basis_text": "공식 원문에 근거합니다",
        "stance_prohibits": "금지",
        "stance_requires": "의무",
        "stance_permits": "허용",
        "stance_recommends": "권고",
        "stance_informs": "설명",
        "err_empty": "질문을 입력해 주세요.",
        "err_long": "질문이 너무 깁니다 ({n:,}자, 최대 {max:,}자). 답을 원하는 부분만 남겨 주세요.",
        "err_internal": "답변을 만드는 중 문제가 생겼습니다 ({kind}). 입력한 질문은 그대로 두었으니 다시 시도해 주세요.",
        "err_generic": "처리 중 문제가 생겼습니다: {msg}",
        "hint_allowed": "지침이 질문한 방식의 사용을 허용합니다.",
        "hint_conditional": "아래 조건을 모두 지킬 때만 허용됩니다.",
        "hint_not_allowed": "지침이 질문한 방식의 사용을 금지합니다.",
        "hint_not_covered": "불러온 지침에는 이 질문의 답이 없습니다. guidebot은 추측하지 않습니다.",
        "hint_info": "허용 여부가 아니라 정보를 묻는 질문입니다.",
        # training
        "train_docs": "지침 문서 살펴보기 (한국어·영어 나란히)",
        "train_doc": "문서",
        "train_filter": "조항 찾기",
        "train_filter_ph": "예: 보안성, 투명성, 제31조",
        "projector": "큰 글씨 (프로젝터)",
        "col_ko": "한국어",
        "col_en": "English",
        "missing_lang": "(이 언어로는 없음)",
        "no_docs": "색인된 문서가 없습니다. 자료실에서 다시 색인하거나 'guidebot ingest'를 실행하십시오.",
        "no_match": "찾는 말이 들어간 조항이 없습니다.",
        "scenarios": "사례 퀴즈: 판단을 고른 뒤 확인하세요",
        "scen_lang": "사례 언어",
        "scen_all": "모두",
        "next": "다음 사례 ▶",
        "check": "확인",
        "reveal": "정답 보기",
        "quiz_pick": "나의 판단",
        "score": "점수: {c} / {n}",
        "correct": "정답입니다!",
        "wrong": "아쉽습니다. 기대 판단은 아래와 같습니다.",
        "pick_first": "먼저 판단을 하나 고르세요.",
        "expected": "기대 판단",
        "gold": "근거 조항",
        "why": "해설",
        "no_cases": "평가 사례를 불러오지 못했습니다.",
        "case_of": "사례 {i} / {n}",
        "gold_missing": "(불러온 문서에 없는 조항)",
        # library
        "lib_status": "문서 {docs}개, 조각 {chunks}개가 색인되어 있습니다.",
        "docs_table": "문서 목록",
        "h_id": "ID",
        "h_title": "제목",
        "h_issuer": "발행 기관",
        "h_date": "발표일",
        "h_basis": "근거",
        "h_langs": "언어",
        "h_chunks": "조각 수",
        "h_origin": "출처",
        "origin_corpus": "기본 자료",
        "origin_upload": "업로드",
        "lib_doc": "문서 보기",
        "lib_doc_lang": "언어",
        "toc": "목차",
        "upload_h": "문서 추가 (PDF, DOCX, HWPX, Markdown, 텍스트, HTML)",
        "upload": "파일 선택",
        "upload_btn": "추가하고 색인하기",
        "upload_none": "먼저 파일을 선택하세요.",
        "reindex": "전체 다시 색인",
        "delete": "업로드한 문서 삭제",
        "delete_btn": "삭제",
        "delete_none": "삭제할 업로드 문서를 고르세요.",
        "deleted": "{name}을(를) 삭제하고 색인에서 뺐습니다.",
        "ingest_done": "색인 완료: 추가 {added}, 갱신 {updated}, 변경 없음 {unchanged}, 삭제 {deleted}, 전체 조각 {chunks}개.",
        "ingest_failed": "실패한 파일",
        "ingest_removed": "읽을 수 없는 파일은 업로드 폴더에서 다시 지웠습니다: {names}",
        "ingesting": "색인 중",
        # evals
        "eval_intro": "평가 세트(test)로 guidebot과 비교 기준(naive RAG, BM25, dense)을 채점합니다. 몇 분 걸릴 수 있습니다.",
        "run_eval": "평가 실행",
        "open_eval": "마지막 보고서 열기",
        "no_report": "아직 평가 보고서가 없습니다. '평가 실행'을 누르십시오.",
        "eval_running": "평가 실행 중",
        "eval_error": "평가를 실행할 수 없습니다: {msg}",
        "headline": "주요 지표 (guidebot)",
        "vs": "guidebot과 비교 기준",
        "charts": "차트",
        "failing": "틀린 사례 (guidebot)",
        "confusion": "판단 혼동표 (행: 기대, 열: 예측)",
        "passed": "모든 기준치를 통과했습니다",
        "not_passed": "기준치에 못 미친 지표가 있습니다",
        "metric": "지표",
        "threshold": "기준",
        "report_file": "보고서 내려받기 (HTML)",
        "no_failing": "틀린 사례가 없습니다.",
        "h_case": "사례",
        "h_category": "유형",
        "h_verdict": "예측",
        "h_expected": "기대",
        "h_question": "질문",
        "h_top": "상위 조항",
    },
    "en": {
        "app_title": "guidebot · AI ethics and generative-AI guidelines for public officials",
        "app_sub": "Ask a question; get a verdict with the clauses behind it. Works offline.",
        "ui_lang": "Interface language",
        "tab_ask": "Ask",
        "tab_train": "Training",
        "tab_lib": "Library",
        "tab_eval": "Evals",
        "standing": "guidebot is a guide, not the official text. You, the official, remain responsible for the decision. "
                    "Check the official text of the cited clauses before you act on an answer. Do not enter personal data.",
        "chat": "Conversation",
        "question": "Question",
        "question_ph": "e.g. May I draft a reply to a complaint with generative AI? (Enter sends, Shift+Enter for a new line)",
        "ask_lang": "Answer language",
        "lang_auto": "Auto",
        "lang_ko": "한국어",
        "lang_en": "English",
        "ask": "Ask",
        "examples": "Example questions",
        "followups": "Follow-up questions",
        "export": "Copy or export this answer (Markdown, with sources)",
        "md": "Markdown (use the copy button)",
        "download": "Download Markdown",
        "feedback": "Was this answer helpful?",
        "up": "✓ Helpful",
        "down": "✗ Not helpful",
        "comment": "Comment (optional; personal data is masked)",
        "comment_ph": "What was right or wrong?",
        "fb_thanks": "Thank you, your feedback was saved.",
        "fb_none": "Ask a question first, then rate the answer.",
        "panel_empty": "The verdict, conditions and cited clauses appear here once you ask.",
        "thinking": "Searching the guidelines…",
        "verdict": "Verdict",
        "conditions": "Conditions that must hold",
        "answer": "Answer",
        "sources": "Cited clauses",
        "sources_none": "No clause to cite.",
        "pii": "Personal data",
        "pii_text": "We masked the {kinds} in your question. Such data must not go into generative AI.",
        "injection": "Instructions in the question to change the rules were not followed.",
        "other_lang": "Same clause in English",
        "other_lang_en": "Same clause in Korean",
        "issued": "Issued",
        "basis_press": "official text not seen; summary based on press reports",
        "basis_summary": "summary of an official announcement",
        "basis_text": "based on the official text",
        "stance_prohibits": "prohibits",
        "stance_requires": "requires",
        "stance_permits": "permits",
        "stance_recommends": "recommends",
        "stance_informs": "informs",
        "err_empty": "Please type a question.",
        "err_long": "The question is too long ({n:,} characters; the limit is {max:,}). Keep the part you want answered.",
        "err_internal": "Something went wrong while answering ({kind}). Your question is still in the box; please try again.",
        "err_generic": "Something went wrong: {msg}",
        "hint_allowed": "The guidelines permit this use as asked.",
        "hint_conditional": "Allowed only if all the conditions below hold.",
        "hint_not_allowed": "The guidelines forbid this use as asked.",
        "hint_not_covered": "The loaded guidelines do not answer this; guidebot does not guess.",
        "hint_info": "A question for information, not permission.",
        "train_docs": "Browse the guidelines (Korean and English side by side)",
        "train_doc": "Document",
        "train_filter": "Find a clause",
        "train_filter_ph": "e.g. security, transparency, Article 31",
        "projector": "Large type (projector)",
        "col_ko": "한국어",
        "col_en": "English",
        "missing_lang": "(not available in this language)",
        "no_docs": "No documents are indexed. Re-index in the Library tab or run 'guidebot ingest'.",
        "no_match": "No clause contains those words.",
        "scenarios": "Scenario quiz: pick a verdict, then check",
        "scen_lang": "Scenario language",
        "scen_all": "All",
        "next": "Next scenario ▶",
        "check": "Check",
        "reveal": "Reveal",
        "quiz_pick": "Your verdict",
        "score": "Score: {c} / {n}",
        "correct": "Correct!",
        "wrong": "Not quite. The expected verdict is below.",
        "pick_first": "Pick a verdict first.",
        "expected": "Expected verdict",
        "gold": "Clauses",
        "why": "Why",
        "no_cases": "The evaluation cases could not be loaded.",
        "case_of": "Scenario {i} of {n}",
        "gold_missing": "(clause not in the loaded documents)",
        "lib_status": "{docs} documents, {chunks} chunks indexed.",
        "docs_table": "Documents",
        "h_id": "id",
        "h_title": "title",
        "h_issuer": "issuer",
        "h_date": "issued",
        "h_basis": "basis",
        "h_langs": "languages",
        "h_chunks": "chunks",
        "h_origin": "origin",
        "origin_corpus": "corpus",
        "origin_upload": "upload",
        "lib_doc": "Read a document",
        "lib_doc_lang": "Language",
        "toc": "Contents",
        "upload_h": "Add documents (PDF, DOCX, HWPX, Markdown, text, HTML)",
        "upload": "Files",
        "upload_btn": "Add and index",
        "upload_none": "Choose files first.",
        "reindex": "Re-index everything",
        "delete": "Delete an uploaded document",
        "delete_btn": "Delete",
        "delete_none": "Choose an uploaded document to delete.",
        "deleted": "Deleted {name} and removed it from the index.",
        "ingest_done": "Indexed: {added} added, {updated} updated, {unchanged} unchanged, {deleted} deleted; {chunks} chunks in all.",
        "ingest_failed": "Files that failed",
        "ingest_removed": "Files that could not be read were removed from the uploads folder again: {names}",
        "ingesting": "Indexing",
        "eval_intro": "Scores guidebot and the baselines (naive RAG, BM25, dense) on the test split. This can take a few minutes.",
        "run_eval": "Run the evaluation",
        "open_eval": "Open the last report",
        "no_report": "No evaluation report yet. Press 'Run the evaluation'.",
        "eval_running": "Running the evaluation",
        "eval_error": "The evaluation could not run: {msg}",
        "headline": "Headline metrics (guidebot)",
        "vs": "guidebot against the baselines",
        "charts": "Charts",
        "failing": "Failing cases (guidebot)",
        "confusion": "Verdict confusion (rows expected, columns predicted)",
        "passed": "All thresholds passed",
        "not_passed": "Some metrics are below their thresholds",
        "metric": "metric",
        "threshold": "threshold",
        "report_file": "Download the report (HTML)",
        "no_failing": "No failing cases.",
        "h_case": "case",
        "h_category": "category",
        "h_verdict": "predicted",
        "h_expected": "expected",
        "h_question": "question",
        "h_top": "top clauses",
    },
}

CATEGORY_LABELS = {
    "ko": {"info": "정보", "allowed": "허용", "conditional": "조건부", "not_allowed": "금지", "not_covered": "지침 밖",
           "pii": "개인정보", "injection": "지시 주입", "cross_lingual": "다국어"},
    "en": {"info": "information", "allowed": "allowed", "conditional": "conditional", "not_allowed": "not allowed",
           "not_covered": "not covered", "pii": "personal data", "injection": "injection", "cross_lingual": "cross-lingual"},
}
VERDICT_ICONS = {"allowed": "✔", "conditional": "!", "not_allowed": "✖", "not_covered": "?", "info": "i"}


def t(lang: str, key: str, **kwargs: Any) -> str:
    table = LABELS.get(lang) or LABELS["en"]
    text = table.get(key) or LABELS["en"].get(key, key)
    return text.format(**kwargs) if kwargs else text


def _ui(lang: Any) -> str:
    return lang if lang in UI_LANGS else "ko"


def esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


# -- CSS -------------------------------------------------------------------------------------------

CSS = """
.gb-header h1 {font-size: 1.35rem; margin: 0; color: var(--body-text-color);}
.gb-header p {margin: .1rem 0 0; color: var(--body-text-color-subdued);}
.gb-standing {background: #fff8e1; color: #3d2c00; border: 1px solid #b7791f; border-left: 6px solid #b7791f;
  border-radius: 6px; padding: .5rem .8rem; font-size: .95rem;}
.gb-standing strong {color: #3d2c00;}
.gb-panel {background: #ffffff; color: #1a202c; border: 1px solid #cbd5e0; border-radius: 8px; padding: .8rem 1rem;}
.gb-panel h3 {font-size: 1.05rem; margin: .8rem 0 .3rem; color: #1a202c;}
.gb-panel p, .gb-panel li {color: #1a202c; line-height: 1.55;}
.gb-muted {color: #4a5568 !important;}
.gb-badge {display: flex; align-items: center; gap: .6rem; border-radius: 8px; padding: .55rem .8rem;
  border: 2px solid; border-left-width: 10px; font-size: 1.1rem;}
.gb-badge .gb-icon {display: inline-flex; width: 1.7rem; height: 1.7rem; border-radius: 50%; align-items: center;
  justify-content: center; font-weight: 700; color: #fff;}
.gb-badge .gb-k {font-size: .85rem; text-transform: uppercase; letter-spacing: .04em;}
.gb-badge .gb-hint {display: block; font-size: .9rem; font-weight: 400;}
.gb-v-allowed {background: #e6f4ea; color: #0d4a1f; border-color: #1e7b34;} .gb-v-allowed .gb-icon {background: #1e7b34;}
.gb-v-conditional {background: #fff4d6; color: #5c3a00; border-color: #b7791f;} .gb-v-conditional .gb-icon {background: #8a5a00;}
.gb-v-not_allowed {background: #fde8e8; color: #7f1d1d; border-color: #c53030;} .gb-v-not_allowed .gb-icon {background: #b91c1c;}
.gb-v-not_covered {background: #edf0f4; color: #1f2937; border-color: #64748b;} .gb-v-not_covered .gb-icon {background: #475569;}
.gb-v-info {background: #e7f0fb; color: #163d6b; border-color: #2b6cb0;} .gb-v-info .gb-icon {background: #2b6cb0;}
.gb-badge.gb-small {display: inline-flex; font-size: .95rem; padding: .2rem .55rem; border-left-width: 6px;}
.gb-note {border-radius: 6px; padding: .45rem .7rem; margin: .5rem 0; font-size: .95rem;}
.gb-pii {background: #fde8e8; color: #7f1d1d; border: 1px solid #c53030;}
.gb-inject {background: #fff4d6; color: #5c3a00; border: 1px solid #b7791f;}
.gb-notice {background: #f1f5f9; color: #1f2937; border: 1px solid #94a3b8;}
.gb-error {background: #fde8e8; color: #7f1d1d; border: 2px solid #c53030; border-radius: 6px; padding: .5rem .8rem;}
a.gb-cite {font-weight: 700; color: #1a4fa0; text-decoration: underline; padding: 0 .1rem;}
a.gb-cite:focus, a.gb-cite:hover {background: #dbe7fb; outline: none;}
.gb-source {border: 1px solid #cbd5e0; border-left: 5px solid #1a4fa0; border-radius: 6px; padding: .55rem .75rem;
  margin: .55rem 0; background: #fbfcfe; color: #1a202c; scroll-margin-top: 4rem;}
.gb-source:target {outline: 3px solid #f59e0b; background: #fffbeb;}
.gb-source header {font-weight: 700;}
.gb-source .gb-n {color: #1a4fa0; margin-right: .25rem;}
.gb-path {font-size: .92rem; color: #2d3748; margin: .15rem 0;}
.gb-path code, .gb-doc code {font-size: .82rem; background: #edf2f7; color: #1a202c; padding: 0 .25rem; border-radius: 3px;}
.gb-tags {display: flex; flex-wrap: wrap; gap: .35rem; margin: .3rem 0;}
.gb-tag {font-size: .8rem; border: 1px solid #718096; color: #1a202c; background: #fff; border-radius: 999px; padding: 0 .5rem;}
.gb-b-press-reports {background: #fff4d6; color: #5c3a00; border-color: #b7791f;}
.gb-b-official-summary {background: #e7f0fb; color: #163d6b; border-color: #2b6cb0;}
.gb-b-official-text {background: #e6f4ea; color: #0d4a1f; border-color: #1e7b34;}
.gb-s-prohibits {background: #fde8e8; color: #7f1d1d; border-color: #c53030;}
.gb-s-requires {background: #fff4d6; color: #5c3a00; border-color: #b7791f;}
.gb-s-permits {background: #e6f4ea; color: #0d4a1f; border-color: #1e7b34;}
.gb-chunk {margin: .35rem 0; padding: .4rem .6rem; border-left: 3px solid #a0aec0; background: #fff; color: #1a202c;
  white-space: pre-wrap; line-height: 1.55;}
.gb-chunk mark {background: #fde68a; color: #1a202c; padding: 0 .1rem;}
.gb-other summary {cursor: pointer; color: #1a4fa0; font-weight: 600;}
.gb-other > div {padding: .3rem .6rem; border-left: 3px solid #cbd5e0; margin-top: .3rem; color: #1a202c;}
.gb-sbs {width: 100%; border-collapse: collapse; table-layout: fixed;}
.gb-sbs th {background: #1a4fa0; color: #fff; padding: .35rem .5rem; text-align: left; position: sticky; top: 0;}
.gb-sbs td {vertical-align: top; border: 1px solid #cbd5e0; padding: .45rem .6rem; color: #1a202c; background: #fff;}
.gb-sec-head {font-weight: 700; color: #163d6b; margin-bottom: .2rem;}
.gb-sec-id {font-weight: 400; font-size: .8rem; color: #4a5568;}
.gb-scroll {max-height: 60vh; overflow-y: auto;}
.gb-card {background: #fff; color: #1a202c; border: 2px solid #1a4fa0; border-radius: 10px; padding: .8rem 1rem;}
.gb-card-meta {font-size: .85rem; color: #4a5568;}
.gb-card-q {font-size: 1.25rem; font-weight: 600; margin: .4rem 0; color: #1a202c;}
.gb-result-ok {background: #e6f4ea; color: #0d4a1f; border: 2px solid #1e7b34;}
.gb-result-bad {background: #fde8e8; color: #7f1d1d; border: 2px solid #c53030;}
.gb-projector, .gb-projector .gb-panel {font-size: 1.55rem; line-height: 1.5;}
.gb-projector .gb-card-q {font-size: 2.3rem;}
.gb-projector .gb-sbs td {font-size: 1.45rem;}
.gb-projector .gb-badge {font-size: 1.6rem;}
.gb-projector-col label span, .gb-projector-col button {font-size: 1.35rem !important;}
.gb-projector-col .prose, .gb-projector-col #gb-score {font-size: 1.35rem !important;}
.gb-doc {background: #fff; color: #1a202c; border: 1px solid #cbd5e0; border-radius: 8px; padding: .8rem 1rem;}
.gb-doc h2 {font-size: 1.2rem; margin: 0 0 .3rem; color: #1a202c;}
.gb-doc h3 {font-size: 1rem; margin: .9rem 0 .2rem; color: #163d6b;}
.gb-doc section:target {outline: 3px solid #f59e0b; background: #fffbeb;}
.gb-doc a {color: #1a4fa0;}
.gb-toc {columns: 2; font-size: .9rem; margin: .4rem 0 .8rem; text-align: left;}
.gb-toc a {display: block; text-align: left;}
.gb-doc, .gb-panel, .gb-card {text-align: left;}
.gb-metrics {display: flex; flex-wrap: wrap; gap: .5rem;}
.gb-metric {border: 2px solid #94a3b8; border-radius: 8px; padding: .4rem .7rem; min-width: 9.5rem; background: #fff; color: #1a202c;}
.gb-metric b {display: block; font-size: 1.3rem;}
.gb-metric.ok {border-color: #1e7b34;} .gb-metric.bad {border-color: #c53030; background: #fde8e8;}
.gb-table {border-collapse: collapse; font-size: .9rem; background: #fff; color: #1a202c;}
.gb-table th, .gb-table td {border: 1px solid #a0aec0; padding: .2rem .5rem; text-align: right; color: #1a202c;}
.gb-table th {background: #edf2f7;}
.gb-table td:first-child, .gb-table th:first-child {text-align: left;}
.gb-table td.l {text-align: left;}
.gb-charts img {max-width: 100%; margin: .3rem 0; background: #fff;}
"""


# -- rendering: the Ask tab ----------------------------------------------------------------------

_MARKER = re.compile(r"\[(\d{1,3})\]")


def link_markers(text: str, numbers: set[int]) -> str:
    """Escape ``text`` and turn its [n] markers into links to the source entries."""

    def repl(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return f'<a class="gb-cite" href="#gb-src-{n}" title="[{n}]">[{n}]</a>'

    return _MARKER.sub(repl, esc(text))


def render_answer_text(text: str, numbers: set[int]) -> str:
    """Paragraphs and lists ("- " lines are quoted clauses) with linked markers."""
    out: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{link_markers(line[2:], numbers)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            out.append(f"<p>{link_markers(line, numbers)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def highlight(chunk_text: str, quote: str) -> str:
    """The chunk with the quoted passage wrapped in <mark> (exact match, then whitespace-insensitive)."""
    chunk_text = chunk_text or ""
    quote = (quote or "").strip()
    if not chunk_text:
        return f"<mark>{esc(quote)}</mark>"
    if not quote:
        return esc(chunk_text)
    start = chunk_text.find(quote)
    if start >= 0:
        end = start + len(quote)
        return f"{esc(chunk_text[:start])}<mark>{esc(chunk_text[start:end])}</mark>{esc(chunk_text[end:])}"
    pattern = r"\s+".join(re.escape(part) for part in quote.split())
    match = re.search(pattern, chunk_text)
    if match:
        return f"{esc(chunk_text[:match.start()])}<mark>{esc(match.group(0))}</mark>{esc(chunk_text[match.end():])}"
    return f"{esc(chunk_text)}<br><mark>{esc(quote)}</mark>"


def verdict_badge(verdict: str, ui: str, small: bool = False, hint: bool = True) -> str:
    ui = _ui(ui)
    verdict = verdict if verdict in VERDICTS else "not_covered"
    label = VERDICT_LABELS[ui][verdict]
    extra = f'<span class="gb-hint">{esc(t(ui, "hint_" + verdict))}</span>' if hint and not small else ""
    return (
        f'<div class="gb-badge gb-v-{verdict}{" gb-small" if small else ""}" role="status" data-verdict="{verdict}">'
        f'<span class="gb-icon" aria-hidden="true">{VERDICT_ICONS[verdict]}</span>'
        f'<span><span class="gb-k">{esc(t(ui, "verdict"))}</span> <strong>{esc(label)}</strong>{extra}</span></div>'
    )


def _basis_tag(basis: str, ui: str) -> str:
    label = BASIS_LABELS[ui].get(basis, basis)
    why = {"press-reports": "basis_press", "official-summary": "basis_summary", "official-text": "basis_text"}.get(basis)
    title = f' title="{esc(t(ui, why))}"' if why else ""
    return f'<span class="gb-tag gb-b-{esc(basis)}"{title}>{esc(label)}</span>'


def render_source(c: dict[str, Any], ui: str) -> str:
    n = int(c.get("n", 0))
    stance = str(c.get("stance") or "informs")
    issued = f'<span class="gb-tag">{esc(t(ui, "issued"))}: {esc(c.get("issued"))}</span>' if c.get("issued") else ""
    other = c.get("other_lang") or None
    other_html = ""
    if other:
        toggle = t(ui, "other_lang") if other.get("lang") == "en" else t(ui, "other_lang_en")
        other_html = (
            f'<details class="gb-other"><summary>{esc(toggle)}</summary><div lang="{esc(other.get("lang"))}">'
            f'<b>{esc(other.get("title"))}</b> · {esc(other.get("section"))}'
            f'<p>{esc(other.get("text"))}</p><div class="gb-path"><code>{esc(other.get("source"))}#{esc(c.get("section_id"))}</code></div>'
            "</div></details>"
        )
    return (
        f'<article class="gb-source" id="gb-src-{n}" data-clause="{esc(c.get("clause") or "")}">'
        f'<header><span class="gb-n">[{n}]</span> {esc(c.get("title"))}</header>'
        f'<div class="gb-path">{esc(c.get("section"))} · <code>{esc(c.get("source"))}#{esc(c.get("section_id"))}</code></div>'
        f'<div class="gb-tags">{_basis_tag(str(c.get("basis", "")), ui)}{issued}'
        f'<span class="gb-tag gb-s-{esc(stance)}">{esc(t(ui, "stance_" + stance))}</span></div>'
        f'<blockquote class="gb-chunk" lang="{esc(c.get("lang"))}">{highlight(str(c.get("chunk_text") or ""), str(c.get("quote") or ""))}</blockquote>'
        f"{other_html}</article>"
    )


def render_answer_panel(d: dict[str, Any] | None, ui: str, *, thinking: bool = False) -> str:
    """The evidence panel: badge, notices, conditions, answer with linked markers, sources."""
    ui = _ui(ui)
    if thinking:
        return f'<div class="gb-panel" id="gb-panel"><p class="gb-muted">{esc(t(ui, "thinking"))}</p></div>'
    if not d:
        return f'<div class="gb-panel" id="gb-panel"><p class="gb-muted">{esc(t(ui, "panel_empty"))}</p></div>'
    citations = d.get("citations") or []
    numbers = {int(c.get("n", 0)) for c in citations}
    parts = ['<div class="gb-panel" id="gb-panel">', verdict_badge(str(d.get("verdict")), ui)]
    if d.get("pii_masked"):
        kinds = ", ".join(PII_KIND_NAMES[ui].get(k, k) for k in d["pii_masked"])
        parts.append(f'<div class="gb-note gb-pii" role="alert"><b>{esc(t(ui, "pii"))}:</b> {esc(t(ui, "pii_text", kinds=kinds))}</div>')
    if d.get("injection_detected"):
        parts.append(f'<div class="gb-note gb-inject">{esc(t(ui, "injection"))}</div>')
    if d.get("conditions"):
        parts.append(f'<h3>{esc(t(ui, "conditions"))}</h3><ul class="gb-conditions">')
        parts += [f"<li>{link_markers(str(c), numbers)}</li>" for c in d["conditions"]]
        parts.append("</ul>")
    parts.append(f'<h3>{esc(t(ui, "answer"))}</h3><div class="gb-answer-text" lang="{esc(d.get("language"))}">')
    parts.append(render_answer_text(str(d.get("answer", "")), numbers))
    parts.append("</div>")
    parts.append(f'<h3>{esc(t(ui, "sources"))}</h3>')
    if citations:
        parts += [render_source(c, ui) for c in citations]
    else:
        parts.append(f'<p class="gb-muted">{esc(t(ui, "sources_none"))}</p>')
    if d.get("notice"):
        parts.append(f'<div class="gb-note gb-notice" lang="{esc(d.get("language"))}">{esc(d["notice"])}</div>')
    parts.append("</div>")
    return "".join(parts)


def render_error(message: str) -> str:
    return f'<div class="gb-error" role="alert">⚠ {esc(message)}</div>' if message else ""


def render_standing(ui: str) -> str:
    return f'<div class="gb-standing" role="note"><strong>ⓘ</strong> {esc(t(ui, "standing"))}</div>'


def render_header(ui: str) -> str:
    return f'<div class="gb-header"><h1>{esc(t(ui, "app_title"))}</h1><p>{esc(t(ui, "app_sub"))}</p></div>'


def chat_markdown(d: dict[str, Any], ui: str, text: str | None = None) -> str:
    """The chat bubble: the verdict in words, then the (possibly partial) answer text."""
    label = VERDICT_LABELS[_ui(ui)].get(str(d.get("verdict")), str(d.get("verdict")))
    body = d.get("answer", "") if text is None else text
    body = _MARKER.sub(r"\\[\1\\]", str(body))  # keep [n] literal (not Markdown link syntax)
    return f"**{t(ui, 'verdict')}: {label}** {VERDICT_ICONS.get(str(d.get('verdict')), '')}\n\n{body}"


# -- rendering: training ---------------------------------------------------------------------------


def _paragraphs(text: str) -> str:
    return "<br>".join(esc(line) for line in text.splitlines() if line.strip())


def render_side_by_side(index: Any, doc_id: str | None, ui: str, query: str = "", large: bool = False) -> str:
    from app.library import merged_order, sections

    ui = _ui(ui)
    wrap = "gb-projector" if large else ""
    if not doc_id:
        return f'<div class="gb-panel {wrap}"><p>{esc(t(ui, "no_docs"))}</p></div>'
    by_lang = {lang: sections(index, doc_id, lang) for lang in ("ko", "en")}
    by_lang = {k: v for k, v in by_lang.items() if v}
    if not by_lang:
        return f'<div class="gb-panel {wrap}"><p>{esc(t(ui, "no_docs"))}</p></div>'
    views = {lang: {v.section_id: v for v in items} for lang, items in by_lang.items()}
    q = query.strip().lower()
    rows = []
    for section_id in merged_order(by_lang):
        cells = []
        found = not q
        for lang in ("ko", "en"):
            view = views.get(lang, {}).get(section_id)
            if view is None:
                cells.append(f'<td lang="{lang}" class="gb-muted">{esc(t(ui, "missing_lang"))}</td>')
                continue
            found = found or q in view.section.lower() or q in view.text.lower() or q in section_id.lower()
            stance = f' <span class="gb-tag gb-s-{esc(view.stance)}">{esc(t(ui, "stance_" + view.stance))}</span>' if view.stance != "informs" else ""
            cells.append(
                f'<td lang="{lang}"><div class="gb-sec-head">{esc(view.section)}{stance}</div>'
                f'<div>{_paragraphs(view.text)}</div></td>'
            )
        if found:
            rows.append(f'<tr id="gb-t-{esc(section_id)}" title="#{esc(section_id)}">{"".join(cells)}</tr>')
    if not rows:
        return f'<div class="gb-panel {wrap}"><p>{esc(t(ui, "no_match"))}</p></div>'
    head = f'<tr><th lang="ko">{esc(t(ui, "col_ko"))}</th><th lang="en">{esc(t(ui, "col_en"))}</th></tr>'
    return f'<div class="gb-scroll {wrap}"><table class="gb-sbs"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def new_quiz(cases: list[Any], lang_filter: str = "all", seed: int | None = None) -> dict[str, Any]:
    ids = [c.id for c in cases if lang_filter == "all" or c.lang == lang_filter]
    random.Random(seed).shuffle(ids)
    return {"order": ids, "pos": 0, "asked": 0, "correct": 0, "checked": False, "revealed": False,
            "result": None, "filter": lang_filter}


def render_card(quiz: dict[str, Any], cases: dict[str, Any], ui: str, large: bool = False, note: str | None = None) -> str:
    from app.pii import mask

    ui = _ui(ui)
    wrap = " gb-projector" if large else ""
    order = quiz.get("order") or []
    if not order:
        return f'<div class="gb-card{wrap}"><p>{esc(note or t(ui, "no_cases"))}</p></div>'
    pos = int(quiz.get("pos", 0)) % len(order)
    case = cases[order[pos]]
    question = mask(case.question, case.lang).text
    meta = f'{t(ui, "case_of", i=pos + 1, n=len(order))} · {CATEGORY_LABELS[ui].get(case.category, case.category)} · {case.lang}'
    return (
        f'<div class="gb-card{wrap}" data-case="{esc(case.id)}"><div class="gb-card-meta">{esc(meta)}</div>'
        f'<p class="gb-card-q" lang="{esc(case.lang)}">{esc(question)}</p></div>'
    )


def render_reveal(quiz: dict[str, Any], cases: dict[str, Any], index: Any, ui: str, large: bool = False) -> str:
    ui = _ui(ui)
    order = quiz.get("order") or []
    if not order or not (quiz.get("revealed") or quiz.get("checked")):
        return ""
    case = cases[order[int(quiz.get("pos", 0)) % len(order)]]
    wrap = " gb-projector" if large else ""
    parts = [f'<div class="gb-panel{wrap}">']
    result = quiz.get("result")
    if result is not None:
        cls, key = ("gb-result-ok", "correct") if result else ("gb-result-bad", "wrong")
        parts.append(f'<div class="gb-note {cls}" role="status"><b>{esc(t(ui, key))}</b></div>')
    badges = " ".join(verdict_badge(v, ui, small=True) for v in case.expected_verdicts)
    parts.append(f'<h3>{esc(t(ui, "expected"))}</h3><div class="gb-tags">{badges}</div>')
    if case.gold_clauses:
        parts.append(f'<h3>{esc(t(ui, "gold"))}</h3>')
        for key in case.gold_clauses:
            clause = getattr(index, "clauses", {}).get(key)
            if clause is None:
                parts.append(f'<p><code>{esc(key)}</code> {esc(t(ui, "gold_missing"))}</p>')
                continue
            chunk = clause.chunks_in(ui)[0]
            parts.append(
                f'<div class="gb-source"><header>{esc(chunk.meta.get("title"))}</header>'
                f'<div class="gb-path">{esc(chunk.meta.get("section"))} · <code>{esc(key)}</code></div>'
                f'<blockquote class="gb-chunk" lang="{esc(chunk.lang)}">{esc(clause.text_in(ui))}</blockquote></div>'
            )
    if case.notes:
        parts.append(f'<h3>{esc(t(ui, "why"))}</h3><p lang="en">{esc(case.notes)}</p>')
    parts.append("</div>")
    return "".join(parts)


# -- rendering: library ----------------------------------------------------------------------------


def docs_table(docs: list[Any], ui: str) -> Any:
    import pandas as pd

    ui = _ui(ui)
    headers = [t(ui, k) for k in ("h_id", "h_title", "h_issuer", "h_date", "h_basis", "h_langs", "h_chunks", "h_origin")]
    rows = [
        [d.doc_id, d.title(ui), d.issuer(ui), d.issued, BASIS_LABELS[ui].get(d.basis, d.basis), ", ".join(d.langs), d.chunks,
         t(ui, "origin_upload" if d.origin == "upload" else "origin_corpus")]
        for d in docs
    ]
    return pd.DataFrame(rows, columns=headers)


def render_document(index: Any, docs: list[Any], doc_id: str | None, lang: str, ui: str) -> str:
    from app.library import sections

    ui = _ui(ui)
    info = next((d for d in docs if d.doc_id == doc_id), None)
    if info is None:
        return f'<div class="gb-doc"><p>{esc(t(ui, "no_docs"))}</p></div>'
    if lang not in info.langs:
        lang = info.langs[0]
    views = sections(index, info.doc_id, lang)
    toc = "".join(f'<a href="#gb-d-{esc(v.section_id)}">{esc(v.section)}</a>' for v in views)
    body = "".join(
        f'<section id="gb-d-{esc(v.section_id)}"><h3>{esc(v.section)} '
        f'<a class="gb-anchor" href="#gb-d-{esc(v.section_id)}" title="#{esc(v.section_id)}">#{esc(v.section_id)}</a></h3>'
        f"<p>{_paragraphs(v.text)}</p></section>"
        for v in views
    )
    meta = " · ".join(x for x in (info.issuer(lang), info.issued, BASIS_LABELS[ui].get(info.basis, info.basis)) if x)
    return (
        f'<div class="gb-doc gb-scroll" lang="{esc(lang)}"><h2>{esc(info.title(lang))}</h2>'
        f'<p class="gb-muted">{esc(meta)} · <code>{esc(info.sources.get(lang, ""))}</code></p>'
        f'<nav class="gb-toc" aria-label="{esc(t(ui, "toc"))}">{toc}</nav>{body}</div>'
    )


def render_ingest(summary: dict[str, Any] | None, failed: list[dict[str, str]], removed: list[str], ui: str) -> str:
    parts = []
    if summary:
        parts.append(f'<div class="gb-note gb-notice" role="status">{esc(t(ui, "ingest_done", **{k: summary.get(k, 0) for k in ("added", "updated", "unchanged", "deleted", "chunks")}))}</div>')
    if failed:
        items = "".join(f"<li><code>{esc(Path(f.get('path', '')).name)}</code>: {esc(f.get('reason'))}</li>" for f in failed)
        parts.append(f'<div class="gb-error" role="alert"><b>{esc(t(ui, "ingest_failed"))}</b><ul>{items}</ul></div>')
    if removed:
        parts.append(f'<p class="gb-muted">{esc(t(ui, "ingest_removed", names=", ".join(removed)))}</p>')
    return "".join(parts)


# -- rendering: evals ------------------------------------------------------------------------------

HEADLINE_CARDS = ["verdict_accuracy", "hit@5", "citation_precision", "citation_recall", "faithfulness", "quote_alignment",
                  "abstention_f1", "pii_leaks", "latency_p50_ms"]


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if math.isnan(v):
        return "–"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3f}"


def render_report(folder: Path | None, ui: str, cases: dict[str, Any] | None = None) -> str:
    from app.library import failing_cases, load_report, report_charts

    ui = _ui(ui)
    try:
        report = load_report(folder) if folder else None
    except Exception as exc:
        return render_error(t(ui, "eval_error", msg=str(exc)))
    if not report:
        return f'<div class="gb-panel"><p>{esc(t(ui, "no_report"))}</p></div>'
    systems: dict[str, dict[str, float]] = report.get("systems") or {}
    thresholds: dict[str, dict[str, float]] = (report.get("thresholds") or {}).get("guidebot", {})
    ours = systems.get("guidebot", {})
    parts = ['<div class="gb-panel">']
    status = t(ui, "passed") if report.get("passed") else t(ui, "not_passed")
    cls = "gb-result-ok" if report.get("passed") else "gb-result-bad"
    parts.append(f'<div class="gb-note {cls}" role="status"><b>{esc(status)}</b> · {esc(report.get("dataset"))} / {esc(report.get("split"))}'
                 f' · {esc(report.get("created", ""))}</div>')
    if report.get("failures"):
        parts.append("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in report["failures"]) + "</ul>")
    parts.append(f'<h3>{esc(t(ui, "headline"))}</h3><div class="gb-metrics">')
    for metric in HEADLINE_CARDS:
        if metric not in ours:
            continue
        bound = thresholds.get(metric, {})
        value = ours.get(metric)
        ok = None
        if bound and value is not None:
            ok = not (("min" in bound and value < bound["min"]) or ("max" in bound and value > bound["max"]))
        limit = f'{t(ui, "threshold")} {"≥ " + _fmt(bound["min"]) if "min" in bound else "≤ " + _fmt(bound.get("max"))}' if bound else ""
        mark = "" if ok is None else (" ✔" if ok else " ✖")
        parts.append(f'<div class="gb-metric {"" if ok is None else "ok" if ok else "bad"}"><span>{esc(metric)}</span>'
                     f"<b>{_fmt(value)}{mark}</b><small>{esc(limit)}</small></div>")
    parts.append("</div>")
    try:
        from evals.report import HEADLINE
    except Exception:
        HEADLINE = HEADLINE_CARDS  # noqa: N806
    names = list(systems)
    limit_head = f"<th>{esc(t(ui, 'threshold'))}</th>" if thresholds else ""
    parts.append(f'<h3>{esc(t(ui, "vs"))}</h3><table class="gb-table"><tr><th>{esc(t(ui, "metric"))}</th>'
                 + "".join(f"<th>{esc(n)}</th>" for n in names) + f"{limit_head}</tr>")
    for metric in HEADLINE:
        if not any(metric in systems[n] for n in names):
            continue
        bound = thresholds.get(metric, {})
        limit = ("≥ " + _fmt(bound["min"])) if "min" in bound else ("≤ " + _fmt(bound["max"])) if "max" in bound else ""
        limit_cell = f"<td>{esc(limit)}</td>" if thresholds else ""
        parts.append(f"<tr><td>{esc(metric)}</td>" + "".join(f"<td>{_fmt(systems[n].get(metric))}</td>" for n in names)
                     + f"{limit_cell}</tr>")
    parts.append("</table>")
    charts = report_charts(folder) if folder else []
    if charts:
        parts.append(f'<h3>{esc(t(ui, "charts"))}</h3><div class="gb-charts">')
        parts += [f'<img alt="{esc(name)}" src="{uri}">' for name, uri in charts]
        parts.append("</div>")
    confusion = report.get("confusion") or {}
    if confusion:
        cols = list(confusion)
        parts.append(f'<h3>{esc(t(ui, "confusion"))}</h3><table class="gb-table"><tr><th></th>'
                     + "".join(f"<th>{esc(VERDICT_LABELS[ui].get(c, c))}</th>" for c in cols) + "</tr>")
        for row in cols:
            parts.append(f"<tr><td>{esc(VERDICT_LABELS[ui].get(row, row))}</td>"
                         + "".join(f"<td>{esc(confusion[row].get(c, 0))}</td>" for c in cols) + "</tr>")
        parts.append("</table>")
    failing = failing_cases(folder) if folder else []
    parts.append(f'<h3>{esc(t(ui, "failing"))}</h3>')
    if failing:
        heads = ("h_case", "h_category", "h_question", "h_verdict", "h_expected", "h_top")
        parts.append('<table class="gb-table"><tr>' + "".join(f"<th>{esc(t(ui, h))}</th>" for h in heads) + "</tr>")
        for row in failing:
            case = (cases or {}).get(str(row.get("id")))
            question = ""
            if case is not None:
                from app.pii import mask

                question = mask(case.question, case.lang).text
            parts.append(
                f'<tr><td class="l"><code>{esc(row.get("id"))}</code></td><td class="l">{esc(row.get("category"))}</td>'
                f'<td class="l">{esc(question)}</td><td class="l">{esc(row.get("verdict"))}</td>'
                f'<td class="l">{esc(", ".join(row.get("expected") or []))}</td>'
                f'<td class="l">{esc(", ".join((row.get("retrieved") or [])[:3]))}</td></tr>'
            )
        parts.append("</table>")
    else:
        parts.append(f'<p class="gb-muted">{esc(t(ui, "no_failing"))}</p>')
    parts.append("</div>")
    return "".join(parts)


# -- the app ---------------------------------------------------------------------------------------

_EXPORT_ROOT: Path | None = None


def _export_file(text: str, name: str = "guidebot-answer.md") -> str:
    """Write ``text`` to its own temporary folder (Gradio serves it from its cache)."""
    global _EXPORT_ROOT
    if _EXPORT_ROOT is None:
        _EXPORT_ROOT = Path(tempfile.mkdtemp(prefix="guidebot-export-"))
    folder = _EXPORT_ROOT / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


_REPORT_COPIES: dict[tuple[str, float], str] = {}


def _report_copy(html_file: Path) -> str:
    """A temporary copy of report.html to download, made once per version of the report."""
    key = (str(html_file), html_file.stat().st_mtime)
    if key not in _REPORT_COPIES or not Path(_REPORT_COPIES[key]).is_file():
        _REPORT_COPIES[key] = _export_file(html_file.read_text(encoding="utf-8"), "guidebot-eval-report.html")
    return _REPORT_COPIES[key]


def _question_error(exc: Exception, text: Any, ui: str, max_chars: int) -> str:
    raw = text if isinstance(text, str) else ""
    if not raw.strip():
        return t(ui, "err_empty")
    if len(raw.strip()) > max_chars:
        return t(ui, "err_long", n=len(raw.strip()), max=max_chars)
    return str(exc)


def build(assistant: Any = None, settings: Settings | None = None) -> Any:
    """The Gradio Blocks of guidebot's UI (not yet launched).

    Args:
        assistant: an :class:`app.assistant.Assistant`; made from ``settings`` when omitted.
        settings: defaults to the assistant's settings, then to :func:`get_settings`.
    """
    import gradio as gr

    from app import library
    from app.assistant import Assistant, QuestionError
    from app.feedback import FeedbackStore, feedback_path
    from app.pii import mask
    from ingest.documents import detect_lang
    from ingest.loaders import SUPPORTED

    settings = settings or (assistant.settings if assistant is not None else get_settings())
    assistant = assistant or Assistant(settings)
    feedback = FeedbackStore(feedback_path(settings))
    case_list, case_note = library.training_cases()
    cases = {c.id: c for c in case_list}
    eval_lock = threading.Lock()
    report_folder = library.report_dir(settings, "test")
    default_ui = "ko"

    def doc_choices(ui: str) -> list[tuple[str, str]]:
        return [(f"{d.title(ui)} ({d.doc_id})", d.doc_id) for d in library.documents(assistant.index, settings)]

    def upload_choices() -> list[str]:
        return [p.name for p in library.uploaded_files(settings)]

    def verdict_choices(ui: str) -> list[tuple[str, str]]:
        return [(VERDICT_LABELS[ui][v], v) for v in VERDICTS]

    def lang_choices(ui: str) -> list[tuple[str, str]]:
        return [(t(ui, "lang_auto"), "auto"), (t(ui, "lang_ko"), "ko"), (t(ui, "lang_en"), "en")]

    def scen_choices(ui: str) -> list[tuple[str, str]]:
        return [(t(ui, "scen_all"), "all"), ("한국어", "ko"), ("English", "en")]

    first_docs = doc_choices(default_ui)
    first_doc = first_docs[0][1] if first_docs else None
    relabels: list[tuple[Any, Any]] = []  # (component, fn(ui) -> gr.update)

    def i18n(component: Any, fn: Any) -> Any:
        relabels.append((component, fn))
        return component

    with gr.Blocks(title="guidebot", fill_width=True) as demo:
        last = gr.State(None)  # {"answer": dict, "markdown": str} of this session's latest answer
        quiz = gr.State(new_quiz(case_list, seed=0))

        with gr.Row(equal_height=True):
            header = gr.HTML(render_header(default_ui), elem_id="gb-header", js_on_load=None)
            ui_lang = gr.Radio([("한국어", "ko"), ("English", "en")], value=default_ui, label=t(default_ui, "ui_lang"),
                               elem_id="gb-ui-lang", scale=0, min_width=220)
            i18n(ui_lang, lambda ui: gr.update(label=t(ui, "ui_lang")))

        with gr.Tabs(elem_id="gb-tabs"):
            # ---------------------------------------------------------------- Ask
            with gr.Tab(t(default_ui, "tab_ask"), id="ask", elem_id="gb-tab-ask") as tab_ask:
                i18n(tab_ask, lambda ui: gr.update(label=t(ui, "tab_ask")))
                standing = gr.HTML(render_standing(default_ui), elem_id="gb-standing", js_on_load=None)
                with gr.Row():
                    with gr.Column(scale=5, min_width=400):
                        chatbot = gr.Chatbot(label=t(default_ui, "chat"), height=340, elem_id="gb-chat", buttons=["copy"],
                                             feedback_options=None, group_consecutive_messages=False)
                        i18n(chatbot, lambda ui: gr.update(label=t(ui, "chat")))
                        question = gr.Textbox(label=t(default_ui, "question"), placeholder=t(default_ui, "question_ph"),
                                              lines=1, max_lines=8, elem_id="gb-question")
                        i18n(question, lambda ui: gr.update(label=t(ui, "question"), placeholder=t(ui, "question_ph")))
                        with gr.Row():
                            ask_lang = gr.Radio(lang_choices(default_ui), value="auto", label=t(default_ui, "ask_lang"),
                                                elem_id="gb-ask-lang", scale=3)
                            i18n(ask_lang, lambda ui: gr.update(label=t(ui, "ask_lang"), choices=lang_choices(ui)))
                            ask_btn = gr.Button(t(default_ui, "ask"), variant="primary", elem_id="gb-ask-btn", scale=1)
                            i18n(ask_btn, lambda ui: gr.update(value=t(ui, "ask")))
                        error_box = gr.HTML("", elem_id="gb-error", js_on_load=None)
                        examples_md = gr.Markdown(f"**{t(default_ui, 'examples')}**")
                        i18n(examples_md, lambda ui: gr.update(value=f"**{t(ui, 'examples')}**"))
                        example_btns = [gr.Button(q, size="sm", elem_classes=["gb-example"]) for q in EXAMPLES]
                        followups_md = gr.Markdown(f"**{t(default_ui, 'followups')}**", visible=False)
                        followup_btns = [gr.Button("", size="sm", visible=False, elem_classes=["gb-followup"]) for _ in range(3)]
                    with gr.Column(scale=6, min_width=460):
                        panel = gr.HTML(render_answer_panel(None, default_ui), elem_id="gb-answer", js_on_load=None)
                        with gr.Accordion(t(default_ui, "export"), open=False, elem_id="gb-export") as export_acc:
                            i18n(export_acc, lambda ui: gr.update(label=t(ui, "export")))
                            md_box = gr.Textbox(label=t(default_ui, "md"), lines=8, max_lines=20, buttons=["copy"],
                                                interactive=False, elem_id="gb-markdown")
                            i18n(md_box, lambda ui: gr.update(label=t(ui, "md")))
                            download = gr.DownloadButton(t(default_ui, "download"), value=None, elem_id="gb-download", size="sm")
                            i18n(download, lambda ui: gr.update(label=t(ui, "download")))
                        fb_md = gr.Markdown(f"**{t(default_ui, 'feedback')}**")
                        i18n(fb_md, lambda ui: gr.update(value=f"**{t(ui, 'feedback')}**"))
                        with gr.Row():
                            up_btn = gr.Button(t(default_ui, "up"), size="sm", elem_id="gb-up")
                            i18n(up_btn, lambda ui: gr.update(value=t(ui, "up")))
                            down_btn = gr.Button(t(default_ui, "down"), size="sm", elem_id="gb-down")
                            i18n(down_btn, lambda ui: gr.update(value=t(ui, "down")))
                        comment = gr.Textbox(label=t(default_ui, "comment"), placeholder=t(default_ui, "comment_ph"), lines=1,
                                             max_lines=4, elem_id="gb-comment")
                        i18n(comment, lambda ui: gr.update(label=t(ui, "comment"), placeholder=t(ui, "comment_ph")))
                        fb_status = gr.HTML("", elem_id="gb-fb-status", js_on_load=None)

            # ---------------------------------------------------------------- Training
            with gr.Tab(t(default_ui, "tab_train"), id="train", elem_id="gb-tab-train") as tab_train:
                i18n(tab_train, lambda ui: gr.update(label=t(ui, "tab_train")))
                with gr.Column(elem_id="gb-train-col") as train_col:
                    with gr.Row():
                        projector = gr.Checkbox(False, label=t(default_ui, "projector"), elem_id="gb-projector", scale=1)
                        i18n(projector, lambda ui: gr.update(label=t(ui, "projector")))
                    scen_md = gr.Markdown(f"### {t(default_ui, 'scenarios')}")
                    i18n(scen_md, lambda ui: gr.update(value=f"### {t(ui, 'scenarios')}"))
                    with gr.Row():
                        scen_lang = gr.Radio(scen_choices(default_ui), value="all", label=t(default_ui, "scen_lang"), scale=2)
                        i18n(scen_lang, lambda ui: gr.update(label=t(ui, "scen_lang"), choices=scen_choices(ui)))
                        score_md = gr.Markdown(t(default_ui, "score", c=0, n=0), elem_id="gb-score")
                        next_btn = gr.Button(t(default_ui, "next"), scale=1, elem_id="gb-next")
                        i18n(next_btn, lambda ui: gr.update(value=t(ui, "next")))
                    card = gr.HTML(render_card(new_quiz(case_list, seed=0), cases, default_ui, note=case_note),
                                   elem_id="gb-card", js_on_load=None)
                    with gr.Row():
                        pick = gr.Radio(verdict_choices(default_ui), label=t(default_ui, "quiz_pick"), elem_id="gb-pick", scale=4)
                        i18n(pick, lambda ui: gr.update(label=t(ui, "quiz_pick"), choices=verdict_choices(ui)))
                        check_btn = gr.Button(t(default_ui, "check"), variant="primary", scale=1, elem_id="gb-check")
                        i18n(check_btn, lambda ui: gr.update(value=t(ui, "check")))
                        reveal_btn = gr.Button(t(default_ui, "reveal"), scale=1, elem_id="gb-reveal")
                        i18n(reveal_btn, lambda ui: gr.update(value=t(ui, "reveal")))
                    reveal = gr.HTML("", elem_id="gb-reveal-panel", js_on_load=None)
                    docs_md = gr.Markdown(f"### {t(default_ui, 'train_docs')}")
                    i18n(docs_md, lambda ui: gr.update(value=f"### {t(ui, 'train_docs')}"))
                    with gr.Row():
                        train_doc = gr.Dropdown(first_docs, value=first_doc, label=t(default_ui, "train_doc"), scale=3,
                                                elem_id="gb-train-doc")
                        train_filter = gr.Textbox(label=t(default_ui, "train_filter"), placeholder=t(default_ui, "train_filter_ph"),
                                                  scale=2, elem_id="gb-train-filter")
                        i18n(train_filter, lambda ui: gr.update(label=t(ui, "train_filter"), placeholder=t(ui, "train_filter_ph")))
                    train_view = gr.HTML("", elem_id="gb-train-view", js_on_load=None)

            # ---------------------------------------------------------------- Library
            with gr.Tab(t(default_ui, "tab_lib"), id="library", elem_id="gb-tab-lib") as tab_lib:
                i18n(tab_lib, lambda ui: gr.update(label=t(ui, "tab_lib")))
                lib_status = gr.Markdown("", elem_id="gb-lib-status")
                lib_table = gr.Dataframe(docs_table([], default_ui), interactive=False, wrap=True, elem_id="gb-docs",
                                         max_height=300, label=t(default_ui, "docs_table"),
                                         column_widths=["17%", "31%", "13%", "9%", "10%", "6%", "6%", "8%"])
                with gr.Row():
                    with gr.Column(scale=3):
                        with gr.Row():
                            lib_doc = gr.Dropdown(first_docs, value=first_doc, label=t(default_ui, "lib_doc"), scale=3,
                                                  elem_id="gb-lib-doc")
                            lib_doc_lang = gr.Radio([("한국어", "ko"), ("English", "en")], value=default_ui,
                                                    label=t(default_ui, "lib_doc_lang"), scale=1)
                            i18n(lib_doc_lang, lambda ui: gr.update(label=t(ui, "lib_doc_lang")))
                        lib_view = gr.HTML("", elem_id="gb-lib-view", js_on_load=None)
                    with gr.Column(scale=2):
                        upload_md = gr.Markdown(f"**{t(default_ui, 'upload_h')}**")
                        i18n(upload_md, lambda ui: gr.update(value=f"**{t(ui, 'upload_h')}**"))
                        files = gr.File(file_count="multiple", file_types=list(SUPPORTED), label=t(default_ui, "upload"),
                                        elem_id="gb-upload", height=140)
                        i18n(files, lambda ui: gr.update(label=t(ui, "upload")))
                        upload_btn = gr.Button(t(default_ui, "upload_btn"), variant="primary", elem_id="gb-upload-btn")
                        i18n(upload_btn, lambda ui: gr.update(value=t(ui, "upload_btn")))
                        lib_result = gr.HTML("", elem_id="gb-lib-result", js_on_load=None)
                        reindex_btn = gr.Button(t(default_ui, "reindex"), elem_id="gb-reindex")
                        i18n(reindex_btn, lambda ui: gr.update(value=t(ui, "reindex")))
                        delete_dd = gr.Dropdown(upload_choices(), value=None, label=t(default_ui, "delete"), elem_id="gb-delete-dd")
                        delete_btn = gr.Button(t(default_ui, "delete_btn"), variant="stop", elem_id="gb-delete-btn")
                        i18n(delete_btn, lambda ui: gr.update(value=t(ui, "delete_btn")))

            # ---------------------------------------------------------------- Evals
            with gr.Tab(t(default_ui, "tab_eval"), id="evals", elem_id="gb-tab-eval") as tab_eval:
                i18n(tab_eval, lambda ui: gr.update(label=t(ui, "tab_eval")))
                eval_md = gr.Markdown(t(default_ui, "eval_intro"))
                i18n(eval_md, lambda ui: gr.update(value=t(ui, "eval_intro")))
                with gr.Row():
                    run_eval_btn = gr.Button(t(default_ui, "run_eval"), variant="primary", elem_id="gb-run-eval")
                    i18n(run_eval_btn, lambda ui: gr.update(value=t(ui, "run_eval")))
                    open_eval_btn = gr.Button(t(default_ui, "open_eval"), elem_id="gb-open-eval")
                    i18n(open_eval_btn, lambda ui: gr.update(value=t(ui, "open_eval")))
                    report_dl = gr.DownloadButton(t(default_ui, "report_file"), value=None, visible=False, size="sm")
                eval_view = gr.HTML("", elem_id="gb-eval-view", js_on_load=None)

        # ======================================================================== handlers

        def library_outputs(ui: str, doc_id: str | None, lang: str) -> dict[Any, Any]:
            docs = library.documents(assistant.index, settings)
            choices = [(f"{d.title(ui)} ({d.doc_id})", d.doc_id) for d in docs]
            ids = [d.doc_id for d in docs]
            doc_id = doc_id if doc_id in ids else (ids[0] if ids else None)
            return {
                lib_status: t(ui, "lib_status", docs=len(docs), chunks=assistant.index.count) if docs else t(ui, "no_docs"),
                lib_table: gr.update(value=docs_table(docs, ui), label=t(ui, "docs_table")),
                lib_doc: gr.update(choices=choices, value=doc_id, label=t(ui, "lib_doc")),
                lib_view: render_document(assistant.index, docs, doc_id, lang, ui),
                delete_dd: gr.update(choices=upload_choices(), value=None, label=t(ui, "delete")),
            }

        def training_doc_outputs(ui: str, doc_id: str | None, query: str, large: bool) -> dict[Any, Any]:
            choices = doc_choices(ui)
            ids = [c[1] for c in choices]
            doc_id = doc_id if doc_id in ids else (ids[0] if ids else None)
            return {
                train_doc: gr.update(choices=choices, value=doc_id, label=t(ui, "train_doc")),
                train_view: render_side_by_side(assistant.index, doc_id, ui, query or "", large),
            }

        def quiz_outputs(q: dict[str, Any], ui: str, large: bool) -> dict[Any, Any]:
            return {
                quiz: q,
                card: render_card(q, cases, ui, large, note=case_note),
                reveal: render_reveal(q, cases, assistant.index, ui, large),
                score_md: t(ui, "score", c=q.get("correct", 0), n=q.get("asked", 0)),
            }

        # -- Ask ------------------------------------------------------------------------------------

        ask_outputs = [chatbot, question, panel, error_box, md_box, download, followups_md, *followup_btns, last]

        def respond(text: Any, lang_choice: str, history: list[Any] | None, ui: str, state: Any) -> Any:
            ui = _ui(ui)
            history = list(history or [])
            appended = False
            try:
                try:
                    valid = assistant.validate(text)
                except QuestionError as exc:
                    message = _question_error(exc, text, ui, settings.max_question_chars)
                    gr.Warning(message)
                    yield {error_box: render_error(message)}
                    return
                lang = lang_choice if lang_choice in ("ko", "en") else None
                shown = mask(valid, lang or detect_lang(valid)).text  # never echo personal data
                history += [{"role": "user", "content": shown}, {"role": "assistant", "content": "…"}]
                appended = True
                yield {chatbot: list(history), error_box: "", panel: render_answer_panel(None, ui, thinking=True),
                       followups_md: gr.update(visible=False), **{b: gr.update(visible=False) for b in followup_btns}}
                answer = assistant.ask(valid, lang=lang)
                d = answer.to_dict()
                markdown = answer.to_markdown()
                history[-2] = {"role": "user", "content": d["question"]}
                words = re.split(r"(\s+)", d["answer"])
                step = STREAM_WORDS * 2
                for end in range(step, len(words), step):
                    history[-1] = {"role": "assistant", "content": chat_markdown(d, ui, "".join(words[:end]) + " ▌")}
                    yield {chatbot: list(history)}
                    time.sleep(STREAM_DELAY_S)
                history[-1] = {"role": "assistant", "content": chat_markdown(d, ui)}
                follow = list(d.get("follow_ups") or [])[:3]
                yield {
                    chatbot: history, question: "", panel: render_answer_panel(d, ui), error_box: "",
                    md_box: markdown, download: gr.update(value=_export_file(markdown)),
                    followups_md: gr.update(visible=bool(follow)),
                    **{b: gr.update(value=follow[i], visible=True) if i < len(follow) else gr.update(visible=False)
                       for i, b in enumerate(followup_btns)},
                    last: {"answer": d, "markdown": markdown},
                }
            except Exception as exc:  # never a traceback in the page; the typed question stays put
                log.exception("answering failed")
                message = t(ui, "err_internal", kind=type(exc).__name__)
                gr.Warning(message)
                if appended:
                    history = history[:-2]
                yield {chatbot: history, error_box: render_error(message), panel: render_answer_panel(
                    (state or {}).get("answer") if isinstance(state, dict) else None, ui)}

        ask_inputs = [question, ask_lang, chatbot, ui_lang, last]
        ask_kwargs: dict[str, Any] = {"show_progress": "minimal", "api_visibility": "private"}
        ask_btn.click(respond, ask_inputs, ask_outputs, **ask_kwargs)
        question.submit(respond, ask_inputs, ask_outputs, **ask_kwargs)
        for btn in [*example_btns, *followup_btns]:
            btn.click(lambda q: q, btn, question, api_visibility="private", queue=False).then(
                respond, ask_inputs, ask_outputs, **ask_kwargs)

        def api_ask(question: str, lang: str = "auto") -> dict:
            """Answer one question: returns the answer contract's JSON object, or {"error": message}."""
            try:
                return assistant.ask(question, lang=lang if lang in ("ko", "en") else None).to_dict()
            except QuestionError as exc:
                return {"error": str(exc)}
            except Exception as exc:
                log.exception("/ask failed")
                return {"error": f"internal error ({type(exc).__name__}); see the server log"}

        gr.api(api_ask, api_name="ask", queue=False)

        def give_feedback(rating: str, note: str, state: Any, ui: str) -> dict[Any, Any]:
            ui = _ui(ui)
            if not isinstance(state, dict) or not state.get("answer"):
                return {fb_status: render_error(t(ui, "fb_none"))}
            d = state["answer"]
            try:
                feedback.record(rating, d.get("question", ""), verdict=d.get("verdict", ""), language=d.get("language", ""),
                                clauses=[c.get("clause", "") for c in d.get("citations", [])], comment=note or "", ui_lang=ui)
            except Exception as exc:
                log.exception("feedback failed")
                return {fb_status: render_error(t(ui, "err_generic", msg=type(exc).__name__))}
            gr.Info(t(ui, "fb_thanks"))
            return {fb_status: f'<div class="gb-note gb-result-ok" role="status">{esc(t(ui, "fb_thanks"))}</div>', comment: ""}

        up_btn.click(lambda n, s, u: give_feedback("up", n, s, u), [comment, last, ui_lang], [fb_status, comment],
                     api_visibility="private")
        down_btn.click(lambda n, s, u: give_feedback("down", n, s, u), [comment, last, ui_lang], [fb_status, comment],
                       api_visibility="private")

        # -- Training -------------------------------------------------------------------------------

        def on_train_doc(ui: str, doc_id: str | None, query: str, large: bool) -> str:
            try:
                return render_side_by_side(assistant.index, doc_id, _ui(ui), query or "", bool(large))
            except Exception as exc:
                log.exception("training view failed")
                return render_error(t(_ui(ui), "err_generic", msg=str(exc)))

        for trigger in (train_doc.change, train_filter.change):
            trigger(on_train_doc, [ui_lang, train_doc, train_filter, projector], train_view, api_visibility="private",
                    show_progress="hidden")

        def on_next(q: dict[str, Any], ui: str, large: bool) -> dict[Any, Any]:
            q = dict(q)
            if q.get("order"):
                q["pos"] = (int(q.get("pos", 0)) + 1) % len(q["order"])
            q.update(checked=False, revealed=False, result=None)
            return {**quiz_outputs(q, _ui(ui), bool(large)), pick: gr.update(value=None)}

        def on_check(choice: str | None, q: dict[str, Any], ui: str, large: bool) -> dict[Any, Any]:
            ui = _ui(ui)
            if not q.get("order"):
                return quiz_outputs(q, ui, bool(large))
            if not choice:
                gr.Warning(t(ui, "pick_first"))
                return {reveal: render_error(t(ui, "pick_first"))}
            q = dict(q)
            case = cases[q["order"][int(q.get("pos", 0)) % len(q["order"])]]
            right = choice in case.expected_verdicts
            if not q.get("checked") and not q.get("revealed"):
                q["asked"] = int(q.get("asked", 0)) + 1
                q["correct"] = int(q.get("correct", 0)) + int(right)
            q.update(checked=True, result=right)
            return quiz_outputs(q, ui, bool(large))

        def on_reveal(q: dict[str, Any], ui: str, large: bool) -> dict[Any, Any]:
            q = dict(q)
            q["revealed"] = True
            return quiz_outputs(q, _ui(ui), bool(large))

        def on_scen_lang(choice: str, ui: str, large: bool) -> dict[Any, Any]:
            q = new_quiz(case_list, choice or "all", seed=random.randrange(1 << 30))
            return {**quiz_outputs(q, _ui(ui), bool(large)), pick: gr.update(value=None)}

        quiz_views = [quiz, card, reveal, score_md]
        next_btn.click(on_next, [quiz, ui_lang, projector], [*quiz_views, pick], api_visibility="private")
        check_btn.click(on_check, [pick, quiz, ui_lang, projector], quiz_views, api_visibility="private")
        reveal_btn.click(on_reveal, [quiz, ui_lang, projector], quiz_views, api_visibility="private")
        scen_lang.change(on_scen_lang, [scen_lang, ui_lang, projector], [*quiz_views, pick], api_visibility="private")

        def on_projector(large: bool, q: dict[str, Any], ui: str, doc_id: str | None, query: str) -> dict[Any, Any]:
            ui = _ui(ui)
            out = quiz_outputs(q, ui, bool(large))
            out[train_view] = render_side_by_side(assistant.index, doc_id, ui, query or "", bool(large))
            out[train_col] = gr.update(elem_classes=["gb-projector-col"] if large else [])
            return out

        projector.change(on_projector, [projector, quiz, ui_lang, train_doc, train_filter],
                         [*quiz_views, train_view, train_col], api_visibility="private")

        # -- Library --------------------------------------------------------------------------------

        lib_outputs = [lib_status, lib_table, lib_doc, lib_view, delete_dd]

        def after_ingest(ui: str, doc_id: str | None, lang: str, result_html: str, query: str = "", large: bool = False) -> dict[Any, Any]:
            library.refresh_assistant(assistant, settings)
            out = library_outputs(ui, doc_id, lang)
            out[lib_result] = result_html
            out.update(training_doc_outputs(ui, None, query, large))
            return out

        ingest_outputs = [*lib_outputs, lib_result, train_doc, train_view, files]

        def progress_cb(progress: Any, ui: str) -> Any:
            def report(done: int, total: int, path: str) -> None:
                progress((done, total), desc=f"{t(ui, 'ingesting')}: {Path(path).name}", unit="files")

            return report

        def on_upload(paths: list[Any] | None, ui: str, doc_id: str | None, lang: str,
                      progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
            ui = _ui(ui)
            if not paths:
                gr.Warning(t(ui, "upload_none"))
                return {lib_result: render_error(t(ui, "upload_none"))}
            try:
                names = [p if isinstance(p, str) else getattr(p, "name", None) or p.get("path") for p in paths]
                progress(0, desc=t(ui, "ingesting"))
                result = library.ingest_uploads(names, settings, progress=progress_cb(progress, ui))
                html_out = render_ingest(result.summary, result.failed, result.removed, ui)
                out = after_ingest(ui, doc_id, lang, html_out)
                out[files] = None
                return out
            except Exception as exc:
                log.exception("upload failed")
                return {lib_result: render_error(t(ui, "err_generic", msg=str(exc)))}

        upload_btn.click(on_upload, [files, ui_lang, lib_doc, lib_doc_lang], ingest_outputs, api_name="upload",
                         api_visibility="undocumented")

        def on_reindex(ui: str, doc_id: str | None, lang: str, progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
            ui = _ui(ui)
            try:
                progress(0, desc=t(ui, "ingesting"))
                summary = library.reindex(settings, progress=progress_cb(progress, ui))
                return after_ingest(ui, doc_id, lang, render_ingest(summary, summary.get("failed", []), [], ui))
            except Exception as exc:
                log.exception("re-index failed")
                return {lib_result: render_error(t(ui, "err_generic", msg=str(exc)))}

        reindex_btn.click(on_reindex, [ui_lang, lib_doc, lib_doc_lang], ingest_outputs, api_visibility="private")

        def on_delete(name: str | None, ui: str, doc_id: str | None, lang: str,
                      progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
            ui = _ui(ui)
            if not name:
                gr.Warning(t(ui, "delete_none"))
                return {lib_result: render_error(t(ui, "delete_none"))}
            try:
                progress(0, desc=t(ui, "ingesting"))
                summary = library.delete_upload(name, settings, progress=progress_cb(progress, ui))
                note = f'<div class="gb-note gb-result-ok" role="status">{esc(t(ui, "deleted", name=name))}</div>'
                return after_ingest(ui, doc_id, lang, note + render_ingest(summary, summary.get("failed", []), [], ui))
            except Exception as exc:
                log.exception("delete failed")
                return {lib_result: render_error(t(ui, "err_generic", msg=str(exc)))}

        delete_btn.click(on_delete, [delete_dd, ui_lang, lib_doc, lib_doc_lang], ingest_outputs, api_visibility="private")

        def on_lib_doc(ui: str, doc_id: str | None, lang: str) -> str:
            try:
                return render_document(assistant.index, library.documents(assistant.index, settings), doc_id, lang, _ui(ui))
            except Exception as exc:
                log.exception("document view failed")
                return render_error(t(_ui(ui), "err_generic", msg=str(exc)))

        lib_doc.change(on_lib_doc, [ui_lang, lib_doc, lib_doc_lang], lib_view, api_visibility="private", show_progress="hidden")
        lib_doc_lang.change(on_lib_doc, [ui_lang, lib_doc, lib_doc_lang], lib_view, api_visibility="private",
                            show_progress="hidden")

        # -- Evals ----------------------------------------------------------------------------------

        def report_outputs(ui: str) -> dict[Any, Any]:
            html_file = report_folder / "report.html"
            download_update = gr.update(visible=False)
            if html_file.is_file():  # served from a temporary copy: the data folder stays private
                download_update = gr.update(value=_report_copy(html_file), visible=True)
            return {eval_view: render_report(report_folder, ui, cases), report_dl: download_update}

        def on_open_report(ui: str) -> dict[Any, Any]:
            try:
                return report_outputs(_ui(ui))
            except Exception as exc:
                log.exception("opening the report failed")
                return {eval_view: render_error(t(_ui(ui), "eval_error", msg=str(exc)))}

        def on_run_eval(ui: str, progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
            ui = _ui(ui)
            if not eval_lock.acquire(blocking=False):
                return {eval_view: render_error(t(ui, "eval_running") + "…")}
            try:
                try:
                    from evals.runner import run_eval
                except Exception as exc:
                    return {eval_view: render_error(t(ui, "eval_error", msg=f"{type(exc).__name__}: {exc}"))}
                outcome: dict[str, Any] = {}
                state = {"done": 0, "total": 1, "name": ""}

                def on_progress(done: int, total: int, name: str) -> None:
                    state.update(done=done, total=total, name=name)

                def work() -> None:
                    try:
                        outcome["report"] = run_eval(split="test", baselines=True, settings=settings, out=report_folder,
                                                     on_progress=on_progress)
                    except BaseException as exc:  # reported below, in the page
                        outcome["error"] = exc

                worker = threading.Thread(target=work, daemon=True)
                worker.start()
                while worker.is_alive():
                    progress(int(state["done"]) / max(1, int(state["total"])),  # type: ignore[call-overload]
                             desc=f"{t(ui, 'eval_running')} ({state['name']} {state['done']}/{state['total']})")
                    worker.join(0.5)
                if "error" in outcome:
                    failure = outcome["error"]
                    log.error("evaluation failed: %r", failure)
                    return {eval_view: render_error(t(ui, "eval_error", msg=f"{type(failure).__name__}: {failure}"))}
                library.refresh_assistant(assistant, settings)
                return report_outputs(ui)
            finally:
                eval_lock.release()

        open_eval_btn.click(on_open_report, [ui_lang], [eval_view, report_dl], api_visibility="private")
        run_eval_btn.click(on_run_eval, [ui_lang], [eval_view, report_dl], api_visibility="private")

        # -- language switch and page load ----------------------------------------------------------

        relabel_outputs = [c for c, _ in relabels] + [
            header, standing, panel, chatbot, *lib_outputs, train_doc, train_view, *quiz_views, eval_view, report_dl,
            followups_md, pick]

        def on_ui_lang(ui: str, state: Any, q: dict[str, Any], doc_id: str | None, query: str, large: bool,
                       lib_id: str | None, lib_lang: str) -> dict[Any, Any]:
            ui = _ui(ui)
            out: dict[Any, Any] = {c: fn(ui) for c, fn in relabels}
            d = state.get("answer") if isinstance(state, dict) else None
            out[header] = render_header(ui)
            out[standing] = render_standing(ui)
            out[panel] = render_answer_panel(d, ui)
            out[followups_md] = gr.update(value=f"**{t(ui, 'followups')}**")
            try:
                out.update(library_outputs(ui, lib_id, lib_lang))
                out.update(training_doc_outputs(ui, doc_id, query, bool(large)))
                out.update(quiz_outputs(q, ui, bool(large)))
                out.update(report_outputs(ui))
            except Exception:
                log.exception("re-rendering for the language switch failed")
            return out

        ui_lang.change(on_ui_lang, [ui_lang, last, quiz, train_doc, train_filter, projector, lib_doc, lib_doc_lang],
                       relabel_outputs, api_visibility="private", show_progress="hidden")

        def on_load(ui: str, lib_lang: str) -> dict[Any, Any]:
            ui = _ui(ui)
            q = new_quiz(case_list, seed=random.randrange(1 << 30))
            out: dict[Any, Any] = {}
            try:
                assistant.refresh()
                out.update(library_outputs(ui, None, lib_lang))
                out.update(training_doc_outputs(ui, None, "", False))
                out.update(quiz_outputs(q, ui, False))
                out.update(report_outputs(ui))
            except Exception:
                log.exception("page load failed")
            return out

        demo.load(on_load, [ui_lang, lib_doc_lang], [*lib_outputs, train_doc, train_view, *quiz_views, eval_view, report_dl],
                  api_visibility="private", show_progress="hidden")

    # css and theme moved to launch() in Gradio 6; set the fallbacks so a plain demo.launch() keeps them.
    demo._deprecated_css = CSS
    demo._deprecated_theme = theme()
    from app.api import routes

    demo.guidebot_routes = routes(assistant)  # the REST API, served by launch() beside the UI
    return demo


def theme() -> Any:
    """Gradio's default theme with Korean system fonts as fallbacks and high-contrast primary buttons."""
    import gradio as gr

    fonts: list[Any] = [gr.themes.LocalFont("Source Sans Pro"), "Pretendard", "Malgun Gothic", "Apple SD Gothic Neo", "Noto Sans KR",
             "NanumGothic", "NanumBarunGothic", "ui-sans-serif", "system-ui", "sans-serif"]
    return gr.themes.Default(primary_hue="blue", font=fonts).set(
        button_primary_background_fill="#1d4ed8",
        button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff",
        button_primary_border_color="#1e3a8a",
    )


def launch(demo: Any, host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None, **kwargs: Any) -> Any:
    """Queue and launch ``demo`` the way guidebot serves it (styles, no tracebacks, loopback), with
    the REST API of :mod:`app.api` on the same port."""
    settings = settings or get_settings()
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    app_kwargs = {"routes": list(getattr(demo, "guidebot_routes", []))}
    return demo.launch(server_name=host, server_port=port, show_error=False, css=CSS, theme=theme(),
                       footer_links=["api"], app_kwargs=app_kwargs, **kwargs)


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """``guidebot serve``: ingest the corpus when the index is empty, then serve the UI."""
    import sys

    from app.assistant import Assistant
    from ingest.store import StoreError

    settings = get_settings()
    try:
        assistant = Assistant(settings)
        if assistant.index.count == 0:
            from ingest.pipeline import ingest

            print("guidebot: the index is empty; ingesting the corpus first…", file=sys.stderr)
            summary = ingest(settings=settings)
            print(f"guidebot: {summary.chunks} chunks indexed", file=sys.stderr)
            assistant.refresh(force=True)
    except StoreError as exc:
        print(f"guidebot: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    launch(build(assistant, settings), host=host, port=port, settings=settings)


__all__ = ["CSS", "LABELS", "build", "launch", "serve"]
