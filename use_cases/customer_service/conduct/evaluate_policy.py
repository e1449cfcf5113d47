"""Scores of the conduct policy on labelled utterances: per category and language, and per action.

Owns the precision / recall / F1 table that the assistant experiment reports and that
``python -m use_cases.customer_service.conduct.dev_report`` prints for the development set, plus
the action-level rates the issue's targets are stated in (handover recall, refusal recall,
over-refusal of benign questions).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from sandbox.conversation import AgentAction, Conversation
from use_cases.customer_service.conduct.data import (
    ANSWER_CATEGORIES,
    ConductCategory,
    LabelledUtterance,
)
from use_cases.customer_service.conduct.policy import ConductPolicy, PolicyDecision, actions_for

ALL = "all"


class CategoryScore(BaseModel):
    """Precision, recall and F1 of one category within one language (or ``all``)."""

    model_config = ConfigDict(frozen=True)

    category: str
    language: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float


class ActionScore(BaseModel):
    """The issue's action-level figures for one language (or ``all``)."""

    model_config = ConfigDict(frozen=True)

    language: str
    handover_recall: float | None
    refusal_recall: float | None
    over_refusal: float | None
    """Share of benign rows (banking questions, greetings) refused or handed over."""
    action_accuracy: float
    n: int


class PolicyReport(BaseModel):
    """Everything measured on one labelled set."""

    categories: list[CategoryScore]
    actions: list[ActionScore]
    misses: list[tuple[str, str, str, str]]
    """(language, expected category, decided category, matched ids) for each wrong row."""


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _action(category: ConductCategory) -> AgentAction:
    return actions_for(category, first_turn=False)[-1]


def score_decisions(
    rows: Sequence[LabelledUtterance], decisions: Sequence[PolicyDecision]
) -> PolicyReport:
    """Per-category/per-language precision, recall, F1 and the action-level rates."""
    if len(rows) != len(decisions):
        raise ValueError(f"{len(rows)} rows but {len(decisions)} decisions")
    languages = sorted({r.language for r in rows})
    categories: list[CategoryScore] = []
    actions: list[ActionScore] = []
    misses = [
        (row.language, row.category.value, d.category.value, ",".join(d.matched))
        for row, d in zip(rows, decisions, strict=True)
        if row.category != d.category
    ]
    for language in [*languages, ALL]:
        pairs = [
            (row.category, d.category)
            for row, d in zip(rows, decisions, strict=True)
            if language in (ALL, row.language)
        ]
        for category in ConductCategory:
            support = sum(1 for truth, _ in pairs if truth == category)
            predicted = sum(1 for _, guess in pairs if guess == category)
            hits = sum(1 for truth, guess in pairs if truth == guess == category)
            if support == 0 and predicted == 0:
                continue
            precision = _ratio(hits, predicted) or 0.0
            recall = _ratio(hits, support) or 0.0
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
            categories.append(
                CategoryScore(
                    category=category.value,
                    language=language,
                    support=support,
                    predicted=predicted,
                    precision=precision,
                    recall=recall,
                    f1=f1,
                )
            )
        truth_actions = [(_action(t), _action(g), t) for t, g in pairs]
        handover = [g for t, g, _ in truth_actions if t == AgentAction.HANDOVER]
        refuse = [g for t, g, _ in truth_actions if t == AgentAction.REFUSE]
        benign = [g for _, g, c in truth_actions if c in ANSWER_CATEGORIES]
        actions.append(
            ActionScore(
                language=language,
                handover_recall=_ratio(
                    sum(g == AgentAction.HANDOVER for g in handover), len(handover)
                ),
                refusal_recall=_ratio(sum(g == AgentAction.REFUSE for g in refuse), len(refuse)),
                over_refusal=_ratio(sum(g != AgentAction.ANSWER for g in benign), len(benign)),
                action_accuracy=_ratio(sum(t == g for t, g, _ in truth_actions), len(pairs)) or 0.0,
                n=len(pairs),
            )
        )
    return PolicyReport(categories=categories, actions=actions, misses=misses)


def _labelled(rows: Sequence[LabelledUtterance | tuple[str, str, str]]) -> list[LabelledUtterance]:
    return [
        row
        if isinstance(row, LabelledUtterance)
        else LabelledUtterance(text=row[0], language=row[1], category=ConductCategory(row[2]))
        for row in rows
    ]


def decide_rows(
    policy: ConductPolicy, rows: Sequence[LabelledUtterance | tuple[str, str, str]]
) -> list[PolicyDecision]:
    """Decide each row as a later turn of a conversation (so no disclosure is due)."""
    conversations = [
        Conversation(
            id=f"row-{i}",
            messages=[
                {"role": "assistant", "content": "..."},
                {"role": "user", "content": row.text},
            ],
        )
        for i, row in enumerate(_labelled(rows))
    ]
    return policy.decide_many(conversations)


def evaluate_policy(
    policy: ConductPolicy, rows: Sequence[LabelledUtterance | tuple[str, str, str]]
) -> PolicyReport:
    """Decide and score labelled rows.

    Args:
        policy: The fitted policy.
        rows: Labelled utterances, or ``(text, language, category)`` tuples.
    """
    labelled = _labelled(rows)
    return score_decisions(labelled, decide_rows(policy, labelled))


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:.2f}"


def format_report(report: PolicyReport) -> str:
    """The report as plain-text tables (category x language, then the action rates)."""
    lines = [
        f"{'category':24s} {'lang':8s} {'n':>4s} {'pred':>5s} {'prec':>5s} {'rec':>5s} {'f1':>5s}"
    ]
    for score in sorted(report.categories, key=lambda s: (s.category, s.language)):
        lines.append(
            f"{score.category:24s} {score.language:8s} {score.support:4d} {score.predicted:5d} "
            f"{score.precision:5.2f} {score.recall:5.2f} {score.f1:5.2f}"
        )
    lines += [
        "",
        f"{'lang':8s} {'n':>5s} {'handover_rec':>12s} {'refusal_rec':>11s} "
        f"{'over_refusal':>12s} {'action_acc':>10s}",
    ]
    for score in report.actions:
        lines.append(
            f"{score.language:8s} {score.n:5d} {_fmt(score.handover_recall):>12s} "
            f"{_fmt(score.refusal_recall):>11s} {_fmt(score.over_refusal):>12s} "
            f"{score.action_accuracy:10.2f}"
        )
    return "\n".join(lines)
