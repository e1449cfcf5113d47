"""The customer assistant's conduct policy: what it must do before (and instead of) generating.

Owns the decision for one conversation: its conduct category, the assistant's actions (disclose,
answer, handover, refuse), the policy's fixed reply in the customer's language, and the check of
retrieved passages for hidden instructions. Rules from ``lexicon.yaml`` (high precision) override a
classifier trained on ``training_utterances.yaml`` (recall); a classifier that is unsure hands over
to a human (HKMA-GENAI-HITL, HKMA-GENAI-OPTOUT, SFC-GENAI-2024).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sandbox.conversation import AgentAction, Conversation
from use_cases.customer_service.conduct.classifier import CLASSIFIER_ID, ConductClassifier
from use_cases.customer_service.conduct.data import (
    ANSWER_CATEGORIES,
    HANDOVER_CATEGORIES,
    REFUSAL_CATEGORIES,
    ConductCategory,
    Lexicon,
    Replies,
    load_lexicon,
    load_replies,
    load_utterances,
)
from use_cases.customer_service.conduct.text import (
    SCRIPT_VARIANTS_FILE,
    Language,
    TypoRepairer,
    detect_language,
    fold,
)

HERE = Path(__file__).resolve().parent
LEXICON_FILE = HERE / "lexicon.yaml"
REPLIES_FILE = HERE / "replies.yaml"
TRAINING_FILE = HERE / "training_utterances.yaml"
GENERALISATION_FILE = HERE / "training_generalisation.yaml"
ROUND3_FILE = HERE / "training_round3.yaml"
ROUND4_FILE = HERE / "training_round4.yaml"
TRAINING_FILES: tuple[Path, ...] = (
    TRAINING_FILE,
    GENERALISATION_FILE,
    ROUND3_FILE,
    ROUND4_FILE,
)

LOW_CONFIDENCE_THRESHOLD = 0.5
"""Below this probability for the most likely action group (no rule fired) the classifier is
unsure; see :data:`HANDOVER_MARGIN` for when that leads to a handover."""
HANDOVER_MARGIN = 0.2
"""An unsure "answer" hands over only when the handover group is the runner-up within this margin
and the turn carries a risk cue (lexicon ``risk_cues``): benign questions are not punished for
being phrased in a way the classifier has not seen."""
RULE_CONFIDENCE = 0.9
"""Floor of the confidence reported when a lexicon rule decided."""
HISTORY_TURNS = 6
"""Previous user turns read for handover, vulnerability and scam signals."""
OFF_DOMAIN_MAX_HANDOVER = 0.25
"""The out-of-scope check (no banking word at all) applies only when the classifier gives every
handover category less than this probability and no risk cue is present: an opt-out or a plea for
help phrased without banking words is not "out of scope". (Per category, not per group: the five
handover categories share 0.2 or so of residual probability on any unfamiliar text.)"""
BANKING_PART_CONFIDENCE = 0.6
"""A message that only a prompt-injection rule flags is still answered when one of its sentences
is, on its own, a banking question no rule flags and the classifier gives the answer group at least
this probability (the assistant answers that question and nothing else)."""
LOW_CONFIDENCE_ID = "classifier:low_confidence"
UNSURE_ID = "classifier:unsure"
NO_BANKING_TERMS_ID = "domain:no_banking_terms"
BANKING_PART_ID = "injection:banking_part_answered"

_CATEGORY_ACTION: dict[ConductCategory, AgentAction] = {
    **{c: AgentAction.HANDOVER for c in HANDOVER_CATEGORIES},
    **{c: AgentAction.REFUSE for c in REFUSAL_CATEGORIES},
    **{c: AgentAction.ANSWER for c in ANSWER_CATEGORIES},
}
_GROUPS: dict[AgentAction, frozenset[ConductCategory]] = {
    AgentAction.HANDOVER: HANDOVER_CATEGORIES,
    AgentAction.REFUSE: REFUSAL_CATEGORIES,
    AgentAction.ANSWER: ANSWER_CATEGORIES,
}
_HAS_CONTENT = re.compile(r"[a-z\u3400-\u9fff]", re.IGNORECASE)
_SENTENCE_END = re.compile(
    r"(?<=[?!;。？！；])\s*|(?<=\.)\s+|\s*\b(?:also|and also|plus|then|p\.?s\.?)\b[,:]?\s*|"
    r"(?:另外|此外|仲有|順便|同埋|然後|跟住)[,，:：]?"
)
_QUESTION = re.compile(
    r"\?|\b(what|what's|how|when|where|which|who|why|can|could|may|is|are|do|does|will|"
    r"should)\b|多少|幾多|幾耐|幾時|點樣|點|如何|怎樣|怎麼|甚麼|什麼|咩|嗎|呢|可否|可唔可以|"
    r"可不可以|能否|是否|有冇|有沒有|邊度|哪裡|哪裏"
)


def actions_for(category: ConductCategory, first_turn: bool) -> list[AgentAction]:
    """The assistant's actions for a category: ``disclose`` first on the opening reply."""
    actions = [AgentAction.DISCLOSE] if first_turn else []
    return [*actions, _CATEGORY_ACTION[category]]


class PolicyDecision(BaseModel):
    """What the policy decided for one conversation (never holds the customer's text)."""

    model_config = ConfigDict(extra="forbid")

    category: ConductCategory
    actions: list[AgentAction]
    confidence: float = Field(ge=0.0, le=1.0)
    language: Language
    matched: list[str] = Field(
        description="Ids of the lexicon rules, history signals or classifier that decided"
    )
    reply: str | None = Field(
        description="The policy's fixed reply for non-answer categories (and greetings), in the "
        "customer's language; None for banking questions, which the assistant answers. The "
        "disclosure sentence is not included: see disclosure_sentence()"
    )

    @property
    def action(self) -> AgentAction:
        """The one non-disclosure action (answer, handover or refuse)."""
        return _CATEGORY_ACTION[self.category]


@dataclass
class TurnAssessment:
    """The policy's reading of one user turn."""

    category: ConductCategory
    confidence: float
    matched: list[str]
    rule_categories: set[ConductCategory] = field(default_factory=set)
    probabilities: dict[ConductCategory, float] = field(default_factory=dict)

    @property
    def by_rule(self) -> bool:
        return bool(self.rule_categories)

    def with_matched(self, earlier: list[str]) -> TurnAssessment:
        """The same assessment with ``earlier`` evidence ids listed first."""
        return TurnAssessment(
            category=self.category,
            confidence=self.confidence,
            matched=[*earlier, *self.matched],
            rule_categories=self.rule_categories,
            probabilities=self.probabilities,
        )

    @property
    def low_confidence(self) -> bool:
        """The classifier was unsure (whether or not that led to a handover)."""
        return LOW_CONFIDENCE_ID in self.matched or UNSURE_ID in self.matched


@dataclass(frozen=True)
class _CompiledRule:
    id: str
    category: ConductCategory
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]

    def fires(self, texts: tuple[str, ...]) -> bool:
        if not any(p.search(t) for p in self.patterns for t in texts):
            return False
        return not any(u.search(t) for u in self.unless for t in texts)


def _compile_rules(lexicon: Lexicon) -> list[_CompiledRule]:
    return [
        _CompiledRule(
            id=rule.id,
            category=rule.category,
            patterns=tuple(re.compile(p) for p in rule.patterns),
            unless=tuple(re.compile(p) for p in rule.unless),
        )
        for rule in lexicon.rules
    ]


class ConductPolicy:
    """Decides, for each conversation, what the assistant must do before free generation.

    Args:
        lexicon_file: Rules per category and the passage-injection patterns (YAML).
        replies_file: Fixed replies per category and language, and the disclosure (YAML).
        training_files: The classifier's training utterances (YAML files, templates x slots).
        variants_file: Simplified -> Traditional folding and Cantonese markers (YAML).
        low_confidence_threshold: Below this action-group probability (no rule fired) the
            classifier is unsure; an unsure answer hands over when the handover group is close
            behind and a risk cue is present.
        handover_margin: How close behind the handover group must be for that.

    Raises:
        DataError: A data file is missing or malformed (the message names it).
    """

    def __init__(
        self,
        lexicon_file: Path = LEXICON_FILE,
        replies_file: Path = REPLIES_FILE,
        training_files: Sequence[Path] = TRAINING_FILES,
        variants_file: Path = SCRIPT_VARIANTS_FILE,
        low_confidence_threshold: float = LOW_CONFIDENCE_THRESHOLD,
        handover_margin: float = HANDOVER_MARGIN,
    ) -> None:
        self.lexicon = load_lexicon(lexicon_file)
        self.replies = load_replies(replies_file)
        self.variants_file = variants_file
        self.low_confidence_threshold = low_confidence_threshold
        self.handover_margin = handover_margin
        self._risk_cues = tuple(re.compile(p) for p in self.lexicon.risk_cues)
        self._rules = _compile_rules(self.lexicon)
        self._priority = {c: i for i, c in enumerate(self.lexicon.priority)}
        self._banking_terms = tuple(re.compile(p) for p in self.lexicon.banking_terms)
        self._injection = [
            (rule.id, tuple(re.compile(p) for p in rule.patterns))
            for rule in self.lexicon.passage_injection
        ]
        training = [row for path in training_files for row in load_utterances(path)]
        folded = [fold(row.text, variants_file) for row in training]
        self._repairer = TypoRepairer.from_texts(folded)
        self.classifier = ConductClassifier.fit(folded, [row.category for row in training])
        self.training_size = len(training)

    # -- text ------------------------------------------------------------------------------

    def _views(self, text: str) -> tuple[str, ...]:
        folded = fold(text, self.variants_file)
        repaired = self._repairer.repair(folded)
        return (folded,) if repaired == folded else (folded, repaired)

    def rule_hits(self, text: str) -> list[tuple[str, ConductCategory]]:
        """The lexicon rules that fire on ``text``: (rule id, category), in lexicon order."""
        views = self._views(text)
        return [(rule.id, rule.category) for rule in self._rules if rule.fires(views)]

    # -- one turn --------------------------------------------------------------------------

    def assess_turns(self, texts: list[str]) -> list[TurnAssessment]:
        """Rules, then the classifier, for each text (one classifier call for all)."""
        if not texts:
            return []
        views = [self._views(t) for t in texts]
        probabilities = self.classifier.probabilities([v[-1] for v in views])
        return [self._assess(v, row) for v, row in zip(views, probabilities, strict=True)]

    def has_risk_cue(self, text: str) -> bool:
        """Whether a message carries a sign of risk (money under pressure, distress, a scam
        word): the condition for an unsure classifier to hand over."""
        return self._has_risk_cue(self._views(text))

    def _has_risk_cue(self, views: tuple[str, ...]) -> bool:
        return any(p.search(v) for p in self._risk_cues for v in views)

    def _assess(self, views: tuple[str, ...], row: np.ndarray) -> TurnAssessment:
        probs = dict(zip(self.classifier.categories, (float(p) for p in row), strict=True))
        hits = [(rule.id, rule.category) for rule in self._rules if rule.fires(views)]
        if hits:
            categories = {category for _, category in hits}
            if categories == {ConductCategory.PROMPT_INJECTION}:
                answered = self._banking_part(views[0], probs)
                if answered is not None:
                    return answered.with_matched([rule_id for rule_id, _ in hits])
            best = min(categories, key=lambda c: self._priority[c])
            return TurnAssessment(
                category=best,
                confidence=max(RULE_CONFIDENCE, probs.get(best, 0.0)),
                matched=[rule_id for rule_id, _ in hits],
                rule_categories=categories,
                probabilities=probs,
            )
        group_probs = {
            action: sum(probs.get(c, 0.0) for c in members) for action, members in _GROUPS.items()
        }
        ranked = sorted(group_probs, key=lambda a: (group_probs[a], a.value), reverse=True)
        action, runner_up = ranked[0], ranked[1]
        confidence = group_probs[action]
        unsure_answer = (
            action is AgentAction.ANSWER
            and confidence < self.low_confidence_threshold
            and runner_up is AgentAction.HANDOVER
            and confidence - group_probs[runner_up] < self.handover_margin
            and self._has_risk_cue(views)
        )
        unsure_handover = (
            action is AgentAction.HANDOVER
            and confidence < self.low_confidence_threshold
            and runner_up is AgentAction.ANSWER
            and confidence - group_probs[runner_up] < self.handover_margin
            and not self._has_risk_cue(views)
        )
        if unsure_handover:
            # An unsure handover with nothing risky in the message: answer (the customer can
            # still ask for a person, and the knowledge base says how).
            action = AgentAction.ANSWER
            confidence = group_probs[action]
        if unsure_answer:
            handover = max(HANDOVER_CATEGORIES, key=lambda c: (probs.get(c, 0.0), c.value))
            if probs.get(handover, 0.0) < 0.1:
                handover = ConductCategory.HANDOVER_REQUEST
            return TurnAssessment(
                category=handover,
                confidence=confidence,
                matched=[CLASSIFIER_ID, LOW_CONFIDENCE_ID],
                probabilities=probs,
            )
        best = max(_GROUPS[action], key=lambda c: (probs.get(c, 0.0), c.value))
        unsure = confidence < self.low_confidence_threshold
        return TurnAssessment(
            category=best,
            confidence=confidence,
            matched=[CLASSIFIER_ID, UNSURE_ID] if unsure else [CLASSIFIER_ID],
            probabilities=probs,
        )

    def _banking_part(
        self, folded: str, probs: dict[ConductCategory, float]
    ) -> TurnAssessment | None:
        """An answerable banking question inside a message that also tries an injection.

        The message is split into sentences (and at "also", "另外", "仲有" ...). When one of them,
        read alone, fires no rule, names a banking word, is phrased as a question and the
        classifier reads it as answerable, the turn is a banking question: the assistant answers
        it from the knowledge base (whose passages it may quote, never the customer's orders).
        """
        segments = [s.strip(" ,，、") for s in _SENTENCE_END.split(folded) if s and s.strip()]
        segments = [s for s in segments if _HAS_CONTENT.search(s)]
        if len(segments) < 2:
            return None
        candidates = [
            s
            for s in segments
            if _QUESTION.search(s)
            and any(p.search(s) for p in self._banking_terms)
            and not any(rule.fires(self._views(s)) for rule in self._rules)
        ]
        if not candidates:
            return None
        rows = self.classifier.probabilities(candidates)
        for row in rows:
            part = dict(zip(self.classifier.categories, (float(p) for p in row), strict=True))
            answer = sum(part.get(c, 0.0) for c in ANSWER_CATEGORIES)
            if (
                answer >= BANKING_PART_CONFIDENCE
                and max(part, key=lambda c: (part[c], c.value)) == ConductCategory.BANKING_QUESTION
            ):
                return TurnAssessment(
                    category=ConductCategory.BANKING_QUESTION,
                    confidence=answer,
                    matched=[BANKING_PART_ID],
                    probabilities=probs,
                )
        return None

    # -- a conversation --------------------------------------------------------------------

    def _language(self, conversation: Conversation) -> Language:
        user_turns = [t.content for t in conversation.messages if t.role == "user"]
        for text in reversed(user_turns):
            if _HAS_CONTENT.search(fold(text, self.variants_file)):
                return detect_language(text, self.variants_file)
        return "en"

    def _with_history(self, last: TurnAssessment, previous: list[TurnAssessment]) -> TurnAssessment:
        """Escalate an answerable (or unsure) last turn on earlier handover-family signals."""
        if last.category not in ANSWER_CATEGORIES and not last.low_confidence:
            return last
        strong = [
            turn
            for turn in previous
            if turn.category in HANDOVER_CATEGORIES
            and (turn.by_rule or turn.confidence >= 0.8)
            and not turn.low_confidence
        ]
        if not strong:
            return last
        counts: dict[ConductCategory, int] = {}
        for turn in strong:
            counts[turn.category] = counts.get(turn.category, 0) + 1
        for category in (ConductCategory.SCAM_IN_PROGRESS, ConductCategory.VULNERABLE_CUSTOMER):
            if category in counts and last.category == ConductCategory.BANKING_QUESTION:
                return TurnAssessment(
                    category=category,
                    confidence=max(turn.confidence for turn in strong),
                    matched=[*last.matched, f"history:{category.value}"],
                )
        asked = counts.get(ConductCategory.HANDOVER_REQUEST, 0) + counts.get(
            ConductCategory.OPT_OUT, 0
        )
        if asked >= 2 or (
            asked >= 1
            and (last.category == ConductCategory.GREETING_OR_SMALLTALK or last.low_confidence)
        ):
            category = max(
                (ConductCategory.HANDOVER_REQUEST, ConductCategory.OPT_OUT),
                key=lambda c: (counts.get(c, 0), c == ConductCategory.HANDOVER_REQUEST),
            )
            return TurnAssessment(
                category=category,
                confidence=max(turn.confidence for turn in strong),
                matched=[*last.matched, f"history:{category.value}"],
            )
        return last

    def _mentions_banking(self, texts: list[str]) -> bool:
        return any(
            p.search(v) for text in texts for v in self._views(text) for p in self._banking_terms
        )

    def _off_domain(self, verdict: TurnAssessment, texts: list[str]) -> TurnAssessment:
        """A classifier verdict of "banking question" (or an unsure one leaning there) for a
        conversation without a single banking word is out of scope, unless the conversation shows
        a risk cue or the classifier gives the handover group a real chance."""
        if (
            verdict.by_rule
            or not verdict.probabilities
            or any(m.startswith("history:") for m in verdict.matched)
        ):
            return verdict
        handover = max(verdict.probabilities.get(c, 0.0) for c in HANDOVER_CATEGORIES)
        if handover >= OFF_DOMAIN_MAX_HANDOVER:
            return verdict
        if any(self._has_risk_cue(self._views(text)) for text in texts):
            return verdict
        top = max(verdict.probabilities, key=lambda c: (verdict.probabilities[c], c.value))
        if top not in (ConductCategory.BANKING_QUESTION, ConductCategory.OUT_OF_SCOPE):
            return verdict
        if self._mentions_banking(texts):
            return verdict
        return TurnAssessment(
            category=ConductCategory.OUT_OF_SCOPE,
            confidence=verdict.confidence,
            matched=[CLASSIFIER_ID, NO_BANKING_TERMS_ID],
            probabilities=verdict.probabilities,
        )

    def decide(self, conversation: Conversation) -> PolicyDecision:
        """The category, actions, confidence, language, evidence ids and fixed reply."""
        return self.decide_many([conversation])[0]

    def decide_many(self, conversations: list[Conversation]) -> list[PolicyDecision]:
        """:meth:`decide` for many conversations with one classifier call."""
        turns = [
            [t.content for t in c.messages if t.role == "user"][-(HISTORY_TURNS + 1) :]
            for c in conversations
        ]
        flat = [text for texts in turns for text in texts]
        assessed = self.assess_turns(flat)
        decisions = []
        start = 0
        for conversation, texts in zip(conversations, turns, strict=True):
            mine = assessed[start : start + len(texts)]
            start += len(texts)
            verdict = self._off_domain(self._with_history(mine[-1], mine[:-1]), texts)
            language = self._language(conversation)
            decisions.append(
                PolicyDecision(
                    category=verdict.category,
                    actions=actions_for(verdict.category, conversation.is_first_turn),
                    confidence=round(min(1.0, max(0.0, verdict.confidence)), 4),
                    language=language,
                    matched=list(dict.fromkeys(verdict.matched)),
                    reply=self.replies.reply(verdict.category, language),
                )
            )
        return decisions

    def decide_text(self, text: str, first_turn: bool = False) -> PolicyDecision:
        """Decide a single user message (a one-turn conversation, or a later turn)."""
        messages = [] if first_turn else [{"role": "assistant", "content": "..."}]
        conversation = Conversation(
            id="text", messages=[*messages, {"role": "user", "content": text}]
        )
        return self.decide(conversation)

    # -- disclosure and passages -----------------------------------------------------------

    def disclosure_sentence(self, language: str) -> str:
        """The AI disclosure and how to reach a human (prepended to the first reply)."""
        return self.replies.disclosure_sentence(language)

    def injection_hits(self, text: str) -> list[str]:
        """Ids of the passage-injection patterns found in a retrieved passage."""
        views = self._views(text)
        return [
            rule_id
            for rule_id, patterns in self._injection
            if any(p.search(v) for p in patterns for v in views)
        ]

    def looks_like_injection(self, text: str) -> bool:
        """Whether a retrieved passage hides instructions to the model (drop it if so)."""
        return bool(self.injection_hits(text))


@lru_cache(maxsize=1)
def default_policy() -> ConductPolicy:
    """The policy built from the data files beside this module (fitted once per process)."""
    return ConductPolicy()


@lru_cache(maxsize=1)
def _default_replies() -> Replies:
    return load_replies(REPLIES_FILE)


@lru_cache(maxsize=1)
def _default_injection() -> tuple[re.Pattern[str], ...]:
    lexicon = load_lexicon(LEXICON_FILE)
    return tuple(re.compile(p) for rule in lexicon.passage_injection for p in rule.patterns)


def disclosure_sentence(language: str) -> str:
    """The AI disclosure and how to reach a human, in ``en``, ``zh-Hant`` or ``yue``."""
    return _default_replies().disclosure_sentence(language)


def looks_like_injection(text: str) -> bool:
    """Whether a retrieved passage hides instructions to the model ("ignore previous
    instructions", "reply with the code", "system prompt", "你而家係", "忽略之前嘅指示" ...).

    Needs no classifier: only the folded text and the lexicon's ``passage_injection`` patterns.
    """
    folded = fold(text)
    return any(p.search(folded) for p in _default_injection())
