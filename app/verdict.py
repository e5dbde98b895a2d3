"""From a question and its retrieved clauses to a verdict, by rules that fit in a sentence each.

1. No clause reaches the relevance threshold (a permission question about using AI is always in
   scope): ``not_covered``.
2. A question for information (not permission): ``info``, citing the best clauses.
3. A permission question whose risk features (personal data, sensitive or non-public
   information) match a prohibition in the documents: ``not_allowed``, with the requirements
   that would make a use acceptable, where the documents give them, as conditions.
4. A permission question whose best clause prohibits what is asked, or that asks to skip (or
   to discriminate against) what a matching requirement protects: ``not_allowed``.
5. A permission question about using generative AI is bound by the standing requirements
   (check the output; keep personal and non-public data out), and any other permission question
   with a relevant requirement (or recommendation) is too: ``conditional``, those requirements
   being the conditions.
Comparator documents (foreign guidance) decide only when the question is about them.
6. A permission question with a relevant permission and no requirement: ``allowed``.
7. A permission question answered only by descriptive clauses: ``info``.

Every verdict but ``not_covered`` carries the clauses that decided it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.question import RISK_FEATURES, Understanding
from app.retrieval import Clause, ClauseHit, ClauseIndex

# Calibrated on the dev split (evals/calibrate.py); see evals/README.md.
RELEVANCE_MIN = 0.40  # best clause's dense cosine ...
COVERAGE_MIN = 0.50  # ... and idf-weighted token coverage both below these: not covered
TOP_DECIDING = 4  # how many of the best hits may decide a verdict directly
POLICY_POOL = 12  # the most similar policy clauses among which feature overlap decides
AI_USE = {"public_tool", "internal_tool"}
AI_USE_ANY = AI_USE | {"output_use"}
INFO_RELATIVE = 0.6  # an information answer quotes clauses whose fused score is within this share of the best


@dataclass
class Decision:
    verdict: str
    rule: str
    deciding: list[Clause] = field(default_factory=list)
    conditions: list[Clause] = field(default_factory=list)
    supporting: list[Clause] = field(default_factory=list)
    responsibility: Clause | None = None
    pii_rule: Clause | None = None
    scores: dict[str, float] = field(default_factory=dict)


def relevant(hits: list[ClauseHit], understanding: Understanding | None = None) -> bool:
    """Whether the documents speak to the question.

    A question about using generative AI at work is always in scope (the guidelines govern every
    such use); any other question needs a clause that is close in meaning or covers its words.
    """
    if not hits:
        return False
    if understanding is not None and understanding.intent == "permission" and understanding.features & (AI_USE | {"ai_mention"}):
        return True
    return max(h.dense for h in hits) >= RELEVANCE_MIN or max(h.coverage for h in hits) >= COVERAGE_MIN


def decide(understanding: Understanding, hits: list[ClauseHit], index: ClauseIndex, vector: list[float], k: int = 5) -> Decision:
    """Apply the rules of this module to one question."""
    scores = {h.clause.key: h.dense for h in hits}
    if not relevant(hits, understanding):
        return Decision("not_covered", "no clause reaches the relevance threshold", scores=scores)
    if understanding.intent != "permission":
        return Decision("info", "a question for information", supporting=_informative(hits, k), scores=scores)

    def best(stances: set[str], features: set[str] | None, n: int, exclude: list[Clause] = ()) -> list[Clause]:  # type: ignore[assignment]
        """The clauses of ``stances`` that match most of what the question is about, then closest."""
        ranked = index.policy_clauses(vector, stances, features, rank_by=understanding.features, limit=POLICY_POOL + len(exclude))
        return _distinct_docs([c for c, _ in ranked if c not in exclude][:POLICY_POOL], n)

    responsibility = next(iter(best({"requires"}, {"responsibility"}, 1)), None)
    risks = understanding.risks
    head = hits[:TOP_DECIDING]
    if risks:
        # A comparator (foreign guidance) decides only when the question is about it: among the two best hits.
        deciding = _distinct_docs([h.clause for i, h in enumerate(head) if h.clause.stance == "prohibits" and h.clause.features & risks
                                   and (h.clause.role != "comparator" or i < 2)]
                                  + best({"prohibits"}, risks, 3), 3)
        if deciding:
            # What would make such a use acceptable: a requirement about the same data (pseudonymise,
            # use public information only), or a permitted internal tool that keeps data in-house.
            remedies = _distinct_docs(best({"requires", "recommends"}, risks, 1, deciding)
                                      + best({"permits"}, {"internal_tool"}, 1, deciding), 2)
            return Decision("not_allowed", "a prohibition matches the question's risk features", deciding=deciding,
                            conditions=remedies, responsibility=responsibility, scores=scores)

    # A prohibition conditioned on a risk (personal data, ...) applies only through the rule above;
    # one that forbids the activity itself applies when it is the best match.
    direct = [h.clause for h in head[:1] if h.clause.stance == "prohibits" and not (h.clause.features & set(RISK_FEATURES))
              and h.clause.role != "comparator"]
    if direct:
        return Decision("not_allowed", "the best clause prohibits what is asked", deciding=direct,
                        supporting=_policy(head, direct, 1), responsibility=responsibility, scores=scores)

    binding = [h for h in head if h.clause.role != "comparator"]
    requirements = [h.clause for h in binding if h.clause.stance in ("requires", "recommends")]
    permissions = [h.clause for h in binding if h.clause.stance == "permits"]
    duties = [h.clause for h in binding[:2] if h.clause.stance == "requires"]
    if understanding.omission:
        wanted = understanding.features & {"discrimination", "decision", "hiring", "images_of_people"}
        duties = _distinct_docs(duties + best({"requires", "prohibits"}, wanted or None, 2), 2)
    if understanding.omission and duties:
        return Decision("not_allowed", "the question would skip a duty that a matching clause requires", deciding=duties[:1],
                        conditions=_distinct_docs(duties, 2), responsibility=responsibility, scores=scores)
    if understanding.features & AI_USE_ANY:
        # Any use of generative AI at work is bound by the standing rules: check the output, and
        # keep personal and non-public information out of it.
        standing = [c for c in (responsibility, *best({"prohibits"}, set(RISK_FEATURES), 1)) if c is not None]
        conditions = _distinct_docs(requirements + standing, 3)
        if conditions:
            return Decision("conditional", "using generative AI is bound by the standing requirements",
                            deciding=permissions[:1] + conditions[:1], conditions=conditions,
                            responsibility=responsibility, scores=scores)
    topical = understanding.features & {"decision", "hiring", "images_of_people", "discrimination"}
    if topical:
        requirements = requirements + best({"requires", "recommends"}, topical, 2, requirements)
    if requirements:
        return Decision("conditional", "relevant requirements apply", deciding=permissions[:1] + requirements[:1],
                        conditions=_distinct_docs(requirements, 3), responsibility=responsibility, scores=scores)
    if permissions:
        return Decision("allowed", "a relevant clause permits it and no requirement applies", deciding=permissions[:2],
                        supporting=_policy(head, permissions[:2], 1), responsibility=responsibility, scores=scores)
    return Decision("info", "only descriptive clauses are relevant", supporting=_informative(hits, k), scores=scores)


def _informative(hits: list[ClauseHit], k: int) -> list[Clause]:
    """The clauses worth quoting for an information question: those close to the best one."""
    if not hits:
        return []
    floor = hits[0].score * INFO_RELATIVE
    chosen = [h.clause for h in hits[:k] if h.score >= floor and (h.clause.section_id != "about" or h is hits[0])]
    return chosen or [hits[0].clause]


def _policy(head: list[ClauseHit], taken: list[Clause], n: int) -> list[Clause]:
    return [h.clause for h in head if h.clause not in taken and h.clause.stance != "informs"][:n]


def _first(ranked: list[tuple[Clause, float]], floor: float) -> Clause | None:
    return next((c for c, sim in ranked if sim >= floor), None)


def _distinct_docs(clauses: list[Clause], n: int) -> list[Clause]:
    """Up to ``n`` clauses, preferring one per document, in order."""
    out: list[Clause] = []
    docs: set[str] = set()
    for clause in clauses:
        if clause not in out and clause.doc_id not in docs:
            out.append(clause)
            docs.add(clause.doc_id)
    for clause in clauses:
        if len(out) >= n:
            break
        if clause not in out:
            out.append(clause)
    return out[:n]


