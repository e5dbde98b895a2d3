"""Evidence: everything the verdict rules may look at, gathered once per question.

Retrieval runs once (the fused clause search for the question); the pools below are cheap
numpy selections over the in-memory policy clauses (prohibitions sharing the question's risks,
remedies an official can act on, the clause that keeps the final responsibility with the
official, ...).  :func:`app.verdict.decide` is a pure function of this object, and every clause
it cites comes from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.config import AnswerConfig
from app.retrieval import Clause, ClauseHit, ClauseIndex
from app.understand import LawRef, Understanding
from ingest.features import features_of
from ingest.tokens import tokenize

RISK_TAGS = frozenset({"personal_data", "sensitive", "non_public"})
PEOPLE_TAGS = frozenset({"decision", "hiring", "images_of_people", "discrimination"})
AI_USE_TAGS = frozenset({"public_tool", "internal_tool", "output_use"})
AI_NAMED = frozenset({"public_tool", "internal_tool", "ai_mention"})
LAW_KINDS = ("law", "decree")
# An alternative is something an official can do: the kinds of documents that tell officials what to do.
ACTIONABLE_KINDS = frozenset({"guideline", "notice", "checklist"})
BUNDLED_LAW = {"act": "kr-ai-basic-act", "decree": "kr-ai-basic-act-decree"}
# "AI" is how questions write 인공지능 / artificial intelligence, the words of the Act's headings.
AI_WORDS = {"ai": ("인공", "지능", "artificial", "intelligence")}
_AI_TOKENS = frozenset(["ai", *AI_WORDS["ai"]])
_TERM_NUMBER = re.compile(r"^\s*(?:제\d+조(?:제\d+호)?|Article \d+\(\d+\):)\s*")  # "제2조제4호 ", "Article 2(4): "


@dataclass(frozen=True)
class Evidence:
    hits: tuple[ClauseHit, ...]
    law: tuple[Clause, ...] = ()  # the law's own sections the question names, in order
    prohibitions: tuple[Clause, ...] = ()  # prohibitions sharing the question's risks, best first
    remedies: tuple[Clause, ...] = ()  # requirements, recommendations or permissions an official can act on
    people_duties: tuple[Clause, ...] = ()  # requirements about decisions on people, hiring, images
    harm: tuple[Clause, ...] = ()  # the principles and rules closest to a harmful purpose
    duties: tuple[Clause, ...] = ()  # requirements closest to a question that proposes skipping one
    responsibility: Clause | None = None
    pii_rule: Clause | None = None
    question_tags: frozenset[str] = frozenset()  # clause-lexicon tags of the question (AI tool, task)
    best_dense: float = 0.0
    best_coverage: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Clause keys in the order they were retrieved (law sections the question names first)."""
        return list(dict.fromkeys([c.key for c in self.law] + [h.clause.key for h in self.hits]))


def _distinct_docs(clauses: list[Clause], n: int) -> tuple[Clause, ...]:
    """Up to ``n`` clauses, one per document first, in order."""
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
    return tuple(out[:n])


def _law_sections(index: ClauseIndex, refs: tuple[LawRef, ...]) -> list[Clause]:
    """The sections of the Act or Decree that the question names by number (or that answered the
    training questions nearest to it)."""
    out: list[Clause] = []
    for ref in refs:
        kind = "decree" if ref.doc == "decree" else "law"
        candidates = [c for c in index.clauses.values() if c.kind == kind and (c.section_id == ref.anchor or c.section_id.startswith(ref.anchor + "-"))]
        if not candidates:
            continue
        bundled = [c for c in candidates if c.doc_id == BUNDLED_LAW[ref.doc]]
        pool = bundled or candidates
        exact = [c for c in pool if c.section_id == ref.anchor]
        out.append((exact or sorted(pool, key=lambda c: c.section_id))[0])
    return out


def gather(index: ClauseIndex, u: Understanding, vector: list[float], config: AnswerConfig, k: int,
           mode: str = "hybrid") -> Evidence:
    """Retrieve once and collect every pool the rules may use."""
    hits = index.search(u.query, u.lang, max(k, 8), vector=vector, mode=mode)
    law: list[Clause] = _law_sections(index, u.law_refs)
    if u.law_mention or u.law_refs or u.about_law or _names_defined_term(index, u, config):
        law_hits = _own_text_first(index.search(u.query, u.lang, 4, kinds=LAW_KINDS, vector=vector, mode=mode))
        searched = law_hits[: config.law_first]
        # The articles that answered the nearest training questions about the law lead, then the
        # search's: law_first sections in all.
        lead = list(dict.fromkeys(_law_sections(index, u.suggested) + [h.clause for h in searched]))[: config.law_first]
        law += lead
        hits = _law_first(hits, [h for h in searched if h.clause in lead])
    risks = set(u.risks) if not u.mitigated else set()
    limit = config.policy_pool

    sims = index.policy_sims(vector)  # once: every pool below ranks by the same similarities

    def pool(stances: set[str], tags: set[str] | None, rank_by: set[str] | None = None, n: int = limit) -> list[Clause]:
        return [c for c, _ in index.policy_clauses(vector, stances, tags, rank_by=rank_by or set(u.features), limit=n, sims=sims)]

    prohibitions = _distinct_docs(pool({"prohibits"}, risks), 4) if risks else ()
    remedies: tuple[Clause, ...] = ()
    if risks:
        acts = [c for c in pool({"requires", "recommends", "permits"}, {"remedy"}) if c.kind in ACTIONABLE_KINDS and c not in prohibitions]
        tools = [c for c in pool({"permits"}, {"internal_tool"}) if c.kind in ACTIONABLE_KINDS]
        remedies = _distinct_docs(acts[:1] + tools[:1], 2)
    people = set(u.features) & {"decision", "hiring", "images_of_people"}
    if "harmful" in u.features:
        people.add("discrimination")
    people_duties = _distinct_docs(pool({"requires", "prohibits"}, people), 2) if people else ()
    harm = _distinct_docs(pool({"prohibits", "requires"}, None, rank_by=set()), 3) if "harmful" in u.features else ()
    duties = tuple(pool({"requires"}, None, rank_by=set(), n=2)) if u.omission else ()
    responsibility = next(iter(pool({"requires"}, {"responsibility"}, n=1)), None)
    pii_rule = next(iter(pool({"prohibits"}, {"personal_data"}, n=1)), None)
    return Evidence(
        hits=tuple(hits), law=tuple(dict.fromkeys(law)), prohibitions=prohibitions, remedies=remedies,
        people_duties=people_duties, harm=harm, duties=duties, responsibility=responsibility, pii_rule=pii_rule,
        question_tags=frozenset(features_of(u.query)),
        best_dense=max((h.dense for h in hits), default=0.0),
        best_coverage=max((h.coverage for h in hits), default=0.0),  # computed by the search
        scores={h.clause.key: h.dense for h in hits},
    )


def _own_text_first(law_hits: list[ClauseHit]) -> list[ClauseHit]:
    """The law's own text (articles, annexes) before the summary's commentary on it ("the fine cap
    is 30 million, not 3", "Decree Article 29 is not Act Article 29"), each kept in its order:
    a question about the Act cites the Act's own section first."""
    def commentary(hit: ClauseHit) -> bool:
        chunks = hit.clause.chunks_in("ko")
        return bool(chunks) and str(chunks[0].meta.get("basis", "official-text")) != "official-text"

    return sorted(law_hits, key=commentary)


def _law_first(hits: list[ClauseHit], law_hits: list[ClauseHit]) -> list[ClauseHit]:
    """The law's own best sections first, then the rest in their fused order."""
    keys = {h.clause.key for h in law_hits}
    return list(law_hits) + [h for h in hits if h.clause.key not in keys]


def _names_defined_term(index: ClauseIndex, u: Understanding, config: AnswerConfig) -> bool:
    """Whether the question names a term the Act defines (a heading of an Article 2 section):
    "고영향 AI" names 제2조제4호 고영향 인공지능."""
    tokens = tokenize(u.query, u.lang)
    tokens = tokens + [w for t in tokens for w in AI_WORDS.get(t, ())]
    ranks: dict[str, Any] = index.heading_ranks(tokens)
    return any(_specific_term(index, index.clauses[key], config) for key in list(ranks)[:3])


def _specific_term(index: ClauseIndex, clause: Clause, config: AnswerConfig) -> bool:
    """An Article 2 term that points to the Act.  AI itself, and terms whose every word the whole
    corpus uses (generative AI, AI ethics: idf under ``term_idf_min``), are the domain's everyday
    words: naming them does not make a question one about the Act."""
    if clause.kind != "law" or not clause.section_id.startswith("art-2-"):
        return False
    idf = index.lexicon.idf
    vocab = index.lexicon.vocab
    for chunks in clause.chunks.values():
        name = _TERM_NUMBER.sub("", str(chunks[0].meta.get("section", "")).split(" > ")[-1])
        words = [t for t in tokenize(name) if t not in _AI_TOKENS and t in vocab]
        if words and max(float(idf[vocab[t]]) for t in words) >= config.term_idf_min:
            return True
    return False
