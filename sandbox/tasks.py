"""Task kinds: what an experiment's models produce, which decides how they are run and scored."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TaskKind"]


class TaskKind(StrEnum):
    """What an experiment's candidate models produce.

    - ``binary_classification``: ``predict_proba(X)[:, 1]`` is the positive-class score;
      decisions at an operating threshold or capacity (fraud alerts, scam flags).
    - ``multiclass_classification``: ``predict_proba(X)`` is one column per class in
      ``classes_``; the decision is the top class, or a hand-off when the use case says so.
    - ``conversational``: the candidate is a conversational agent
      (:class:`sandbox.conversation.ConversationalAgent`) that replies to conversations; it is
      scored by conduct and GenAI scorers, not by class probabilities.
    """

    BINARY = "binary_classification"
    MULTICLASS = "multiclass_classification"
    CONVERSATIONAL = "conversational"
