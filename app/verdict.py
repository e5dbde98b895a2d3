"""From what a question asks and the evidence for it to a verdict: an ordered table of named rules.

``decide(understanding, evidence, config)`` is a pure function: it searches nothing and changes
nothing, and the first rule that applies decides.  Each rule is a small function, tested on its
own in tests/test_verdict.py.  In order:

1. ``out_of_domain``: the question is about something the documents do not govern.
2. ``harmful_purpose``: the use serves harassment, deception, covert surveillance, discrimination
   or election manipulation: not allowed, citing the principles and rules it breaks (whatever the
   retrieval found: the principles it breaks are chosen for it).
3. ``no_evidence``: a question for information that no clause comes close to.
4. ``information``: a question for information (the intent is confident).
5. ``risky_data``: a use that puts personal, sensitive or non-public data (not removed first)
   where a prohibition forbids it: not allowed; what can be done instead is listed apart.
6. ``skip_duty``: a question whether a duty may be skipped, where a matching clause requires it.
7. ``direct_prohibition``: the best clause prohibits the very activity asked about.
8. ``uncertain_intent``: the intent is not confident: the standing rules answer, with the reading taken.
9. ``people_decisions``: decisions about people, hiring or images of people: their requirements.
10. ``standing_rules``: using (generative) AI at work is bound by the standing requirements.
11. ``relevant_requirements``: other requirements among the best clauses.
12. ``permitted``: a relevant clause permits it and nothing requires more.
13. ``descriptive_only``: only descriptive clauses are relevant.

Comparator documents (foreign guidance) decide only when the question is about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from app.config import AnswerConfig
from app.evidence import AI_NAMED, AI_USE_TAGS, Evidence, _distinct_docs
from app.retrieval import Clause, ClauseHit
from app.understand import Intent, Understanding


class Verdict(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    NOT_ALLOWED = "not_allowed"
    NOT_COVERED = "not_covered"
    INFO = "info"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    rule: str
    deciding: tuple[Clause, ...] = ()
    conditions: tuple[Clause, ...] = ()
    alternatives: tuple[Clause, ...] = ()
    supporting: tuple[Clause, ...] = ()
    law: tuple[Clause, ...] = ()  # the Act's or Decree's own sections the question names: cited first
    responsibility: Clause | None = None
    pii_rule: Clause | None = None
    reading: Intent | None = None  # set when the intent was uncertain: the reading the answer took
    scores: dict[str, float] = field(default_factory=dict)


Rule = Callable[[Understanding, Evidence, AnswerConfig], Decision | None]


def _binding(ev: Evidence, cfg: AnswerConfig) -> list[ClauseHit]:
    """The best hits that may decide (comparators only when among the two best: the question is about them)."""
    return [h for i, h in enumerate(ev.hits[: cfg.top_deciding]) if h.clause.role != "comparator" or i < 2]


def _informative(ev: Evidence, cfg: AnswerConfig, k: int = 5) -> tuple[Clause, ...]:
    """The clauses worth quoting for an information question: the law's own sections it names,
    then those close to the best hit."""
    if not ev.hits:
        return tuple(ev.law[:k])
    floor = ev.hits[0].score * cfg.info_relative
    chosen = [h.clause for h in ev.hits[:k] if h.score >= floor and (h.clause.section_id != "about" or h is ev.hits[0])]
    return tuple(dict.fromkeys([*ev.law[: cfg.law_first], *(chosen or [ev.hits[0].clause])]))[:k]


def _decision(verdict: Verdict, rule: str, ev: Evidence, **parts: object) -> Decision:
    return Decision(verdict, rule, scores=ev.scores, responsibility=ev.responsibility, pii_rule=ev.pii_rule, **parts)  # type: ignore[arg-type]


# -- the rules ---------------------------------------------------------------------------------------


def out_of_domain(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    """The domain gate: the classifier's reading, unless the documents plainly hold the question's
    words (a question about the Act's own fines reads like one about another law's)."""
    p_ood = u.confidence.get("intent", 0.0)
    if u.foreign_law and not (u.law_mention or u.law_refs) and u.intent in (Intent.INFORMATION, Intent.OUT_OF_DOMAIN):
        # What a foreign law (the EU AI Act, GDPR) says: the documents only compare the Act with it.
        # Every training question that names one and names neither the Act nor an article is
        # labelled out of domain (57 of 57 when this was written).
        return _decision(Verdict.NOT_COVERED, "out_of_domain", ev)
    if u.intent is not Intent.OUT_OF_DOMAIN or p_ood < cfg.ood_min or u.law_refs:
        return None
    if not u.foreign_law and (ev.best_coverage >= cfg.ood_coverage_max or u.law_mention or u.about_law):
        return None
    # Using an AI tool at work is the documents' subject: only a confident reading refuses it
    # (a question about a foreign law names AI too: "the EU AI Act's fines").
    if ev.question_tags & AI_NAMED and p_ood < cfg.ood_ai_min and not u.foreign_law:
        return None
    return _decision(Verdict.NOT_COVERED, "out_of_domain", ev)


def no_evidence(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    """Nothing close enough to answer from.  A question the domain classifier confidently reads as
    in-domain information needs far weaker evidence than one it leans to read as out of domain."""
    if not ev.hits and not ev.law:
        return _decision(Verdict.NOT_COVERED, "no_evidence", ev)
    if ev.law or u.intent not in (Intent.INFORMATION, Intent.OUT_OF_DOMAIN):
        return None
    in_domain = u.intent is Intent.INFORMATION and u.confidence.get("intent", 0.0) >= cfg.intent_min
    relevance, coverage = (cfg.info_relevance_min, cfg.info_coverage_min) if in_domain else (cfg.relevance_min, cfg.coverage_min)
    if ev.best_dense < relevance and ev.best_coverage < coverage:
        return _decision(Verdict.NOT_COVERED, "no_evidence", ev)
    return None


def harmful_purpose(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if u.confidence.get("harmful", 0.0) < cfg.harmful_min or u.intent is Intent.INFORMATION:
        return None
    deciding = _distinct_docs([*ev.people_duties, *ev.harm], 3)
    if not deciding:
        return None
    return _decision(Verdict.NOT_ALLOWED, "harmful_purpose", ev, deciding=deciding)


def _about_law(u: Understanding, ev: Evidence) -> bool:
    return bool(u.law_refs or u.law_mention or u.about_law or ev.law or (ev.hits and ev.hits[0].clause.kind in ("law", "decree")))


def information(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    """A question for information; also "must we ...?" about the statute, answered with what it says."""
    confident = u.confidence.get("intent", 0.0) >= cfg.intent_min
    if u.intent is Intent.INFORMATION and confident:
        return _decision(Verdict.INFO, "information", ev, supporting=_informative(ev, cfg))
    if u.intent is Intent.OBLIGATION and not u.omission and (u.wh or _about_law(u, ev)):
        # "Who must be notified?", "몇 년간 보관해야 하나요?": a duty's content, asked as a fact.
        return _decision(Verdict.INFO, "information", ev, supporting=_informative(ev, cfg))
    # A question that names an article asks what the article says.
    if u.law_refs and u.asks_permission and not u.omission and not u.risks:
        return _decision(Verdict.INFO, "information", ev, supporting=_informative(ev, cfg))
    return None


def _uncertain_risks(u: Understanding, cfg: AnswerConfig) -> bool:
    """Whether every risk the question was read to carry is uncertain: the model leans to it (from
    feature_min) without being sure (under risk_sure_min), no data word of the clause lexicon names
    it and no personal data (or a mask label) was found in the question.  A risk under feature_min
    is there only because a word or the masker found it.  Photos, video or voices of real people
    are personal data: a sure reading of images of people makes personal data sure."""
    people = u.pii_found or u.confidence.get("images_of_people", 0.0) >= cfg.risk_sure_min

    def sure(f: str) -> bool:
        p = u.confidence.get(f, 0.0)
        return p >= cfg.risk_sure_min or p < cfg.feature_min or f in u.named or (f == "personal_data" and people)
    return bool(u.risks) and not any(sure(f) for f in u.risks)


def risky_data(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    """A use of risky data that a prohibition forbids ("must we ...?" about the statute itself was
    answered with what it says by the information rule)."""
    if not u.asks_permission or not u.risks or u.mitigated or _uncertain_risks(u, cfg):
        return None
    risks = u.risks
    head = _binding(ev, cfg)
    direct = [h.clause for i, h in enumerate(head) if h.clause.stance == "prohibits" and h.clause.features & risks]
    deciding = _distinct_docs(direct + list(ev.prohibitions), 4)
    if not deciding:
        return None
    return _decision(Verdict.NOT_ALLOWED, "risky_data", ev, deciding=deciding,
                     alternatives=tuple(c for c in ev.remedies if c not in deciding))


def uncertain_risk(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    """The question may or may not put risky data in ("보도자료 초안을 챗GPT로 작성해도 되나요?"):
    allowed on the condition that the prohibitions on that data are kept, which the answer quotes."""
    if not u.asks_permission or u.mitigated or u.omission or not _uncertain_risks(u, cfg) or not ev.prohibitions:
        return None
    conditions = _distinct_docs(list(ev.prohibitions), 3)
    permits = tuple(h.clause for h in _binding(ev, cfg) if h.clause.stance == "permits")[:1]
    return _decision(Verdict.CONDITIONAL, "uncertain_risk", ev, deciding=permits + conditions[:1], conditions=conditions)


def skip_duty(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission or not u.omission:
        return None
    duties = [h.clause for h in _binding(ev, cfg) if h.clause.stance == "requires"]
    duties += [c for c in ev.law if c.stance == "requires"]
    duties += list(ev.duties)  # the requirements closest to the question, wherever retrieval ranked them
    duties += [h.clause for h in ev.hits if h.clause.stance == "requires" and h.clause.role != "comparator"]
    duties = list(_distinct_docs(duties + list(ev.people_duties), 2))
    if not duties:
        return None
    return _decision(Verdict.NOT_ALLOWED, "skip_duty", ev, deciding=tuple(duties[:1]), supporting=tuple(duties[1:]))


def direct_prohibition(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission or not ev.hits:
        return None
    best = ev.hits[0].clause
    if best.stance == "prohibits" and not (best.features & {"personal_data", "sensitive", "non_public"}) and best.role != "comparator":
        support = tuple(h.clause for h in ev.hits[1 : cfg.top_deciding] if h.clause.stance != "informs")[:1]
        return _decision(Verdict.NOT_ALLOWED, "direct_prohibition", ev, deciding=(best,), supporting=support)
    return None


def _standing(ev: Evidence) -> list[Clause]:
    return [c for c in (ev.responsibility, ev.pii_rule) if c is not None]


def uncertain_intent(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if u.confidence.get("intent", 1.0) >= cfg.intent_min:
        return None
    if u.intent is Intent.INFORMATION:
        return _decision(Verdict.INFO, "uncertain_intent", ev, supporting=_informative(ev, cfg), reading=u.intent)
    conditions = _distinct_docs([h.clause for h in _binding(ev, cfg) if h.clause.stance in ("requires", "recommends")] + _standing(ev), 3)
    if not conditions:
        return None
    return _decision(Verdict.CONDITIONAL, "uncertain_intent", ev, conditions=conditions, reading=u.intent)


def people_decisions(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission or not (u.features & {"decision", "hiring", "images_of_people"}):
        return None
    head = _binding(ev, cfg)
    requirements = [h.clause for h in head if h.clause.stance in ("requires", "recommends")]
    conditions = _distinct_docs(requirements + list(ev.people_duties), 3)
    if not conditions:
        return None
    permits = tuple(h.clause for h in head if h.clause.stance == "permits")[:1]
    return _decision(Verdict.CONDITIONAL, "people_decisions", ev, deciding=permits + conditions[:1], conditions=conditions)


def standing_rules(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission or not (ev.question_tags & AI_USE_TAGS):
        return None
    head = _binding(ev, cfg)
    requirements = [h.clause for h in head if h.clause.stance in ("requires", "recommends")]
    conditions = _distinct_docs(requirements + _standing(ev), 3)
    if not conditions:
        return None
    permits = tuple(h.clause for h in head if h.clause.stance == "permits")[:1]
    return _decision(Verdict.CONDITIONAL, "standing_rules", ev, deciding=permits + conditions[:1], conditions=conditions)


def relevant_requirements(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission:
        return None
    head = [h for h in _binding(ev, cfg) if h.clause.role != "comparator" or h is ev.hits[0]]
    requirements = [h.clause for h in head if h.clause.stance in ("requires", "recommends")]
    if not requirements:
        return None
    permits = tuple(h.clause for h in head if h.clause.stance == "permits")[:1]
    return _decision(Verdict.CONDITIONAL, "relevant_requirements", ev, deciding=permits + tuple(requirements[:1]),
                     conditions=_distinct_docs(requirements, 3))


def permitted(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    if not u.asks_permission or u.omission:  # no clause says a duty may be skipped
        return None
    permits = [h.clause for h in _binding(ev, cfg) if h.clause.stance == "permits"]
    if not permits:
        return None
    return _decision(Verdict.ALLOWED, "permitted", ev, deciding=tuple(permits[:2]))


def descriptive_only(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision | None:
    return _decision(Verdict.INFO, "descriptive_only", ev, supporting=_informative(ev, cfg))


# The gates decide whether the question is answered at all; the rules after them read what it asks.
GATES: tuple[tuple[str, Rule], ...] = (
    ("out_of_domain", out_of_domain),
    ("harmful_purpose", harmful_purpose),
    ("no_evidence", no_evidence),
)
RULES: tuple[tuple[str, Rule], ...] = GATES + (
    ("information", information),
    ("risky_data", risky_data),
    ("uncertain_risk", uncertain_risk),
    ("skip_duty", skip_duty),
    ("direct_prohibition", direct_prohibition),
    ("uncertain_intent", uncertain_intent),
    ("people_decisions", people_decisions),
    ("standing_rules", standing_rules),
    ("relevant_requirements", relevant_requirements),
    ("permitted", permitted),
    ("descriptive_only", descriptive_only),
)


def kept_in(u: Understanding) -> Understanding:
    """A question read as out of domain that passed the gates (it names an AI tool, the Act, an
    article, or the documents hold its words, and there is evidence enough to answer): the rules
    after the gates take the next most likely reading, with its own (low) confidence."""
    if u.intent is not Intent.OUT_OF_DOMAIN:
        return u
    reading = max((i for i in Intent if i is not Intent.OUT_OF_DOMAIN), key=lambda i: u.confidence.get(f"p_{i.value}", 0.0))
    return replace(u, intent=reading, confidence={**u.confidence, "intent": u.confidence.get(f"p_{reading.value}", 0.0)})


def decide(u: Understanding, ev: Evidence, cfg: AnswerConfig) -> Decision:
    """The first rule of :data:`RULES` that applies.  Whatever it decides, an answer to a question
    that names the Act, its Decree, an article or a term the Act defines cites the law's own
    sections first."""
    for n, (_, rule) in enumerate(RULES):
        if n == len(GATES):
            u = kept_in(u)
        decision = rule(u, ev, cfg)
        if decision is not None:
            if ev.law and decision.verdict is not Verdict.NOT_COVERED:
                decision = replace(decision, law=ev.law[: cfg.law_first])
            return decision
    raise AssertionError("descriptive_only always decides")  # pragma: no cover
