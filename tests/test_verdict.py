"""The verdict rules, one by one, on hand-built understanding and evidence (no model, no store).

Each test says which rule must decide and why; `decide` is a pure function of its inputs.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.config import AnswerConfig
from app.evidence import Evidence
from app.retrieval import Clause, ClauseHit
from app.understand import Intent, LawRef, Understanding
from app.verdict import RULES, Verdict, decide

CFG = AnswerConfig()


def clause(key: str, stance: str, features: set[str] | None = None, kind: str = "guideline", role: str = "guideline") -> Clause:
    doc, section = key.split("#")
    return Clause(key, doc, section, kind, stance, role, features=frozenset(features or set()))


def hit(c: Clause, score: float = 0.1, dense: float = 0.6) -> ClauseHit:
    return ClauseHit(c, score, dense=dense)


def understanding(intent: Intent = Intent.PERMISSION, conf: float = 0.9, features: set[str] | None = None, **kw: object) -> Understanding:
    confidence = {"intent": conf, "harmful": 0.9 if "harmful" in (features or set()) else 0.0}
    return Understanding(lang="ko", intent=intent, confidence=confidence, features=frozenset(features or set()), query="q", **kw)  # type: ignore[arg-type]


PROHIBIT_PII = clause("mois#no-pii", "prohibits", {"personal_data"})
PSEUDONYMISE = clause("pipc#pseudonymise", "requires", {"personal_data"})
VERIFY = clause("busan#final-responsibility", "requires", {"responsibility"})
PERMIT_DRAFT = clause("mois#uses-language", "permits", {"output_use", "public_tool"})
LABEL_DUTY = clause("act#art-31", "requires", set(), kind="law")
DEFINITION = clause("act#art-2-4", "informs", set(), kind="law")
NO_HARM = clause("ethics#req-no-harm", "requires", {"discrimination"})


def evidence(*hits: ClauseHit, **kw: object) -> Evidence:
    defaults: dict[str, object] = {"best_dense": max((h.dense for h in hits), default=0.0), "best_coverage": 0.9,
                                   "question_tags": frozenset({"public_tool"})}
    defaults.update(kw)
    return Evidence(hits=tuple(hits), **defaults)  # type: ignore[arg-type]


def test_rules_are_named_and_ordered() -> None:
    names = [name for name, _ in RULES]
    assert names[0] == "out_of_domain" and names[-1] == "descriptive_only"
    assert names.index("harmful_purpose") < names.index("information") < names.index("risky_data")
    assert len(set(names)) == len(names)


def test_out_of_domain_is_not_covered() -> None:
    d = decide(understanding(Intent.OUT_OF_DOMAIN, 0.9), evidence(hit(VERIFY), best_coverage=0.2), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_COVERED, "out_of_domain")
    assert not d.deciding and not d.conditions


def test_out_of_domain_reading_yields_to_words_the_documents_hold() -> None:
    """A question about the Act's own fines can read like another law's: coverage keeps it in."""
    d = decide(understanding(Intent.OUT_OF_DOMAIN, 0.7), evidence(hit(LABEL_DUTY), best_coverage=0.95), CFG)
    assert d.verdict is not Verdict.NOT_COVERED


def test_an_article_reference_is_never_out_of_domain() -> None:
    u = understanding(Intent.OUT_OF_DOMAIN, 0.9, law_refs=(LawRef("act", "art-31"),))
    d = decide(u, evidence(hit(LABEL_DUTY), law=(LABEL_DUTY,), best_coverage=0.1), CFG)
    assert d.verdict is Verdict.INFO or d.verdict is Verdict.CONDITIONAL


def test_information_question_without_evidence_is_not_covered() -> None:
    d = decide(understanding(Intent.INFORMATION), evidence(hit(VERIFY, dense=0.2), best_coverage=0.1), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_COVERED, "no_evidence")


def test_permission_question_about_ai_use_is_never_not_covered_for_weak_evidence() -> None:
    d = decide(understanding(), evidence(hit(PERMIT_DRAFT, dense=0.2), hit(VERIFY, dense=0.2), best_coverage=0.1), CFG)
    assert d.verdict is not Verdict.NOT_COVERED


def test_harmful_purpose_is_not_allowed_and_cites_the_principle() -> None:
    u = understanding(features={"harmful", "images_of_people"})
    d = decide(u, evidence(hit(PERMIT_DRAFT), hit(VERIFY), harm=(NO_HARM,)), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "harmful_purpose")
    assert d.deciding == (NO_HARM,) and not d.conditions and not d.alternatives


def test_information_cites_the_law_it_names_first() -> None:
    u = understanding(Intent.INFORMATION, law_mention=True)
    d = decide(u, evidence(hit(clause("omb#memo", "informs", role="comparator")), law=(DEFINITION,)), CFG)
    assert d.verdict is Verdict.INFO and d.supporting[0] is DEFINITION


def test_must_we_about_the_statute_is_answered_with_what_it_says() -> None:
    d = decide(understanding(Intent.OBLIGATION, law_mention=True), evidence(hit(LABEL_DUTY)), CFG)
    assert (d.verdict, d.rule) == (Verdict.INFO, "information")


def test_personal_data_into_ai_is_not_allowed_with_alternatives_apart() -> None:
    u = understanding(features={"personal_data"})
    ev = evidence(hit(PERMIT_DRAFT), hit(VERIFY), prohibitions=(PROHIBIT_PII,), remedies=(PSEUDONYMISE,))
    d = decide(u, ev, CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "risky_data")
    assert d.deciding == (PROHIBIT_PII,)
    assert d.alternatives == (PSEUDONYMISE,) and not d.conditions


def _leaning(p: float, **kw: object) -> Understanding:
    """A permission question the model reads as carrying personal data with probability ``p``."""
    extra = kw.pop("confidence", {})
    u = understanding(features={"personal_data"}, **kw)
    return replace(u, confidence={**u.confidence, **extra, "personal_data": p})


@pytest.mark.parametrize(("p", "kw", "rule"), [
    (0.55, {}, "uncertain_risk"),  # between feature_min and risk_sure_min: uncertain
    (0.9, {}, "risky_data"),  # sure
    (0.55, {"pii_found": True}, "risky_data"),  # the masker found personal data in the question
    (0.55, {"named": frozenset({"personal_data"})}, "risky_data"),  # a data word of the lexicon names it
    (0.2, {}, "risky_data"),  # under feature_min: only a data word, a mask label or the masker put it there
    (0.55, {"confidence": {"intent": 0.9, "images_of_people": 0.9}}, "risky_data"),  # photos of real people
])
def test_an_uncertain_risk_allows_on_condition_of_the_prohibition(p: float, kw: dict[str, object], rule: str) -> None:
    cfg = CFG.with_(feature_min=0.5, risk_sure_min=0.6)
    ev = evidence(hit(PERMIT_DRAFT), hit(VERIFY), prohibitions=(PROHIBIT_PII,), remedies=(PSEUDONYMISE,))
    d = decide(_leaning(p, **kw), ev, cfg)
    assert d.rule == rule
    if rule == "uncertain_risk":
        assert d.verdict is Verdict.CONDITIONAL
        assert d.conditions == (PROHIBIT_PII,) and not d.alternatives  # the prohibition is the condition
        assert d.deciding == (PERMIT_DRAFT, PROHIBIT_PII)  # with what the documents permit
    else:
        assert d.verdict is Verdict.NOT_ALLOWED


def test_an_empty_uncertainty_band_refuses_as_before() -> None:
    ev = evidence(hit(PERMIT_DRAFT), prohibitions=(PROHIBIT_PII,))
    d = decide(_leaning(0.55), ev, CFG.with_(feature_min=0.5, risk_sure_min=0.5))
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "risky_data")


def test_removed_data_is_no_longer_a_risk() -> None:
    u = understanding(features={"personal_data"}, mitigated=True)
    ev = evidence(hit(PERMIT_DRAFT), hit(VERIFY), prohibitions=(PROHIBIT_PII,), responsibility=VERIFY)
    d = decide(u, ev, CFG)
    assert d.verdict is Verdict.CONDITIONAL


def test_skipping_a_duty_is_not_allowed() -> None:
    d = decide(understanding(Intent.PERMISSION, omission=True), evidence(hit(LABEL_DUTY), hit(VERIFY)), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "skip_duty")
    assert d.deciding == (LABEL_DUTY,)


def test_a_best_clause_that_prohibits_the_activity_decides() -> None:
    ban = clause("nis#no-account-sharing", "prohibits")
    d = decide(understanding(), evidence(hit(ban), hit(VERIFY)), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "direct_prohibition")


def test_a_comparator_never_decides_a_no_for_korean_officials() -> None:
    foreign_ban = clause("foreign#uk-ban", "prohibits", role="comparator")
    d = decide(understanding(), evidence(hit(foreign_ban), hit(VERIFY)), CFG)
    assert d.rule != "direct_prohibition"


def test_uncertain_intent_answers_with_standing_rules_and_says_its_reading() -> None:
    u = understanding(Intent.PERMISSION, conf=0.2)
    d = decide(u, evidence(hit(PERMIT_DRAFT), responsibility=VERIFY, pii_rule=PROHIBIT_PII), CFG)
    assert (d.verdict, d.rule) == (Verdict.CONDITIONAL, "uncertain_intent")
    assert d.reading is Intent.PERMISSION and VERIFY in d.conditions


def test_decisions_about_people_bring_their_requirements() -> None:
    oversight = clause("ethics#req-oversight", "requires", {"decision"})
    u = understanding(features={"decision"})
    d = decide(u, evidence(hit(PERMIT_DRAFT), people_duties=(oversight,)), CFG)
    assert (d.verdict, d.rule) == (Verdict.CONDITIONAL, "people_decisions") and oversight in d.conditions


def test_ai_use_is_bound_by_the_standing_rules() -> None:
    d = decide(understanding(), evidence(hit(PERMIT_DRAFT), responsibility=VERIFY, pii_rule=PROHIBIT_PII), CFG)
    assert (d.verdict, d.rule) == (Verdict.CONDITIONAL, "standing_rules")
    assert VERIFY in d.conditions and PERMIT_DRAFT in d.deciding


def test_a_permission_with_no_requirement_is_allowed() -> None:
    textbook = clause("framework#textbook-modular", "permits")
    d = decide(understanding(), evidence(hit(textbook), question_tags=frozenset()), CFG)
    assert (d.verdict, d.rule) == (Verdict.ALLOWED, "permitted")


def test_only_descriptive_clauses_give_information() -> None:
    d = decide(understanding(), evidence(hit(DEFINITION), question_tags=frozenset()), CFG)
    assert (d.verdict, d.rule) == (Verdict.INFO, "descriptive_only")


@pytest.mark.parametrize("name", [n for n, _ in RULES])
def test_every_rule_is_pure(name: str) -> None:
    """Calling a rule twice on the same inputs gives the same decision and changes nothing."""
    rule = dict(RULES)[name]
    u = understanding(features={"personal_data"})
    ev = evidence(hit(PERMIT_DRAFT), hit(VERIFY), prohibitions=(PROHIBIT_PII,), remedies=(PSEUDONYMISE,))
    first, second = rule(u, ev, CFG), rule(u, ev, CFG)
    assert first == second


def test_a_question_naming_an_ai_tool_needs_a_confident_reading_to_be_refused() -> None:
    """"May I ask ChatGPT for ideas?" read as out of domain at 0.6: the tool keeps it in scope."""
    u = understanding(Intent.OUT_OF_DOMAIN, 0.6)
    d = decide(u, evidence(hit(PERMIT_DRAFT), best_coverage=0.2, question_tags=frozenset({"public_tool"})), CFG)
    assert d.verdict is not Verdict.NOT_COVERED
    d = decide(u, evidence(hit(PERMIT_DRAFT), best_coverage=0.2, question_tags=frozenset()), CFG)
    assert d.verdict is Verdict.NOT_COVERED


def test_naming_the_act_keeps_a_question_in_scope_unless_it_is_a_foreign_law() -> None:
    d = decide(understanding(Intent.OUT_OF_DOMAIN, 0.9, law_mention=True), evidence(hit(LABEL_DUTY), best_coverage=0.2), CFG)
    assert d.verdict is not Verdict.NOT_COVERED
    u = understanding(Intent.OUT_OF_DOMAIN, 0.9, law_mention=True, foreign_law=True)
    d = decide(u, evidence(hit(LABEL_DUTY), best_coverage=0.9, question_tags=frozenset()), CFG)
    assert d.verdict is Verdict.NOT_COVERED


def test_a_question_the_act_answers_unnamed_is_kept_in_scope_and_answered_with_what_it_says() -> None:
    """"과태료 누가 매겨요?" names neither the Act nor an article; the statute head reads it as one
    the Act answers: the gate keeps it in, and a "must we" about it is answered with the law's text."""
    u = understanding(Intent.OUT_OF_DOMAIN, 0.9, about_law=True)
    d = decide(u, evidence(hit(LABEL_DUTY), best_coverage=0.2, question_tags=frozenset()), CFG)
    assert d.verdict is not Verdict.NOT_COVERED
    assert decide(replace(u, about_law=False), evidence(hit(LABEL_DUTY), best_coverage=0.2, question_tags=frozenset()),
                  CFG).verdict is Verdict.NOT_COVERED
    d = decide(understanding(Intent.OBLIGATION, about_law=True), evidence(hit(VERIFY), law=(LABEL_DUTY,)), CFG)
    assert (d.verdict, d.rule) == (Verdict.INFO, "information") and d.law[0] is LABEL_DUTY
    u = understanding(Intent.OUT_OF_DOMAIN, 0.9, about_law=True, foreign_law=True)  # what GDPR says stays out
    assert decide(u, evidence(hit(LABEL_DUTY), question_tags=frozenset()), CFG).verdict is Verdict.NOT_COVERED


def test_a_foreign_law_that_names_ai_is_still_out_of_domain() -> None:
    """"The EU AI Act's maximum fine" names AI; the AI-use escape is for using AI, not for other laws."""
    u = understanding(Intent.OUT_OF_DOMAIN, 0.7, foreign_law=True)
    d = decide(u, evidence(hit(LABEL_DUTY), best_coverage=0.9, question_tags=frozenset({"ai_mention"})), CFG)
    assert d.verdict is Verdict.NOT_COVERED
    d = decide(understanding(Intent.OUT_OF_DOMAIN, 0.7), evidence(hit(PERMIT_DRAFT), best_coverage=0.2,
                                                                 question_tags=frozenset({"ai_mention"})), CFG)
    assert d.verdict is not Verdict.NOT_COVERED


def test_a_foreign_law_read_as_a_request_for_information_is_out_of_domain() -> None:
    """"For comparison, what is the EU AI Act's top fine?" reads as information; the documents only
    compare the Act with it.  Naming the Act too keeps it in scope, and a use question that only
    mentions the place ("EU 출장 중에 써도 되나요?") is not refused by this."""
    ev = evidence(hit(DEFINITION), best_coverage=0.9, question_tags=frozenset({"ai_mention"}))
    d = decide(understanding(Intent.INFORMATION, 0.95, foreign_law=True), ev, CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_COVERED, "out_of_domain")
    assert decide(understanding(Intent.INFORMATION, 0.95, foreign_law=True, law_mention=True), ev, CFG).verdict is Verdict.INFO
    assert decide(understanding(Intent.INFORMATION, 0.95), ev, CFG).verdict is Verdict.INFO
    use = evidence(hit(PERMIT_DRAFT), hit(VERIFY))
    assert decide(understanding(Intent.PERMISSION, 0.9, foreign_law=True), use, CFG).verdict is not Verdict.NOT_COVERED


def test_the_laws_own_sections_lead_whatever_rule_decides() -> None:
    """A question naming the Act or a term it defines cites the Act's section, even when a prohibition decides."""
    u = understanding(features={"personal_data"})
    d = decide(u, evidence(hit(PROHIBIT_PII), law=(DEFINITION,), prohibitions=(PROHIBIT_PII,)), CFG)
    assert d.verdict is Verdict.NOT_ALLOWED and d.law == (DEFINITION,)
    d = decide(u, evidence(hit(PROHIBIT_PII), prohibitions=(PROHIBIT_PII,)), CFG)
    assert d.law == ()
    d = decide(understanding(Intent.OUT_OF_DOMAIN, 0.9), evidence(hit(VERIFY), law=(DEFINITION,), best_coverage=0.1,
                                                                 question_tags=frozenset()), CFG)
    assert d.verdict is Verdict.NOT_COVERED and d.law == ()


def test_an_out_of_domain_reading_the_gate_keeps_in_takes_the_next_reading() -> None:
    """"May officials use ChatGPT to learn Excel formulas?" read as out of domain (0.54) but naming an AI
    tool: the rules after the gate read it as the permission question it next most likely is."""
    conf = {"intent": 0.54, "p_out_of_domain": 0.54, "p_permission": 0.3, "p_information": 0.1, "p_obligation": 0.06}
    u = Understanding(lang="en", intent=Intent.OUT_OF_DOMAIN, confidence=conf, query="q")
    d = decide(u, evidence(hit(PERMIT_DRAFT), hit(VERIFY), best_coverage=0.3), CFG)
    assert (d.verdict, d.rule, d.reading) == (Verdict.CONDITIONAL, "uncertain_intent", Intent.PERMISSION)
    info = {**conf, "p_permission": 0.1, "p_information": 0.3}
    d = decide(Understanding(lang="en", intent=Intent.OUT_OF_DOMAIN, confidence=info, query="q"),
               evidence(hit(PERMIT_DRAFT), hit(VERIFY), best_coverage=0.3), CFG)
    assert (d.verdict, d.reading) == (Verdict.INFO, Intent.INFORMATION)


def test_must_we_with_risky_data_gets_the_requirements_not_a_no() -> None:
    """"Must we publish the overseer's name and contact?" asks what is required."""
    u = understanding(Intent.OBLIGATION, features={"personal_data"})
    d = decide(u, evidence(hit(LABEL_DUTY), prohibitions=(PROHIBIT_PII,)), CFG)
    assert d.verdict is not Verdict.NOT_ALLOWED


def test_skipping_a_duty_is_never_allowed_even_without_a_matching_duty() -> None:
    textbook = clause("framework#textbook-modular", "permits")
    d = decide(understanding(omission=True), evidence(hit(textbook), question_tags=frozenset()), CFG)
    assert d.verdict is not Verdict.ALLOWED


def test_a_named_article_is_answered_with_what_it_says() -> None:
    u = understanding(Intent.PERMISSION, law_refs=(LawRef("act", "art-39"),))
    d = decide(u, evidence(hit(clause("act#art-39", "permits", kind="law")), law=(clause("act#art-39", "permits", kind="law"),)), CFG)
    assert (d.verdict, d.rule) == (Verdict.INFO, "information")


def test_who_must_asks_for_a_fact() -> None:
    """"Who must a department head notify?" names a duty but asks who: information, not a no."""
    u = understanding(Intent.OBLIGATION, features={"personal_data"}, wh=True)
    d = decide(u, evidence(hit(VERIFY), prohibitions=(PROHIBIT_PII,), question_tags=frozenset()), CFG)
    assert (d.verdict, d.rule) == (Verdict.INFO, "information")


def test_in_domain_information_is_answered_on_weak_but_real_evidence() -> None:
    """The domain classifier says the documents' subject is asked about: a modest match answers."""
    weak = evidence(hit(DEFINITION, dense=0.32), best_coverage=0.3)
    d = decide(understanding(Intent.INFORMATION, 0.9), weak, CFG)
    assert d.verdict is Verdict.INFO
    # The same evidence for a question the classifier leans to read as out of domain (under its
    # refusal threshold) is not enough.
    d = decide(understanding(Intent.OUT_OF_DOMAIN, CFG.ood_min - 0.1), weak, CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_COVERED, "no_evidence")


def test_a_harmful_purpose_is_refused_even_when_retrieval_found_little() -> None:
    u = understanding(Intent.OUT_OF_DOMAIN, 0.4, features={"harmful"})
    d = decide(u, evidence(hit(VERIFY, dense=0.1), best_coverage=0.1, harm=(NO_HARM,)), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "harmful_purpose")


def test_skipping_a_duty_cites_the_closest_requirement_wherever_retrieval_ranked_it() -> None:
    u = understanding(omission=True)
    d = decide(u, evidence(hit(PERMIT_DRAFT), hit(DEFINITION), duties=(LABEL_DUTY,)), CFG)
    assert (d.verdict, d.rule) == (Verdict.NOT_ALLOWED, "skip_duty")
    assert d.deciding == (LABEL_DUTY,)
