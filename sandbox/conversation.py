"""The conversation contract: what a conversational agent receives and answers.

A conversational experiment (task kind ``conversational``) declares an agent: something with
``fit(train_frame)`` and ``reply(conversations) -> list[AgentReply]``. The runner, the conduct
scorers and ``sandbox assistant reply`` speak only these types, so any bank's assistant can be
plugged in and tested the same way.

JSONL lines (``sandbox assistant reply``):
    in:  ``{"id": "c1", "messages": [{"role": "user", "content": "..."}, ...]}``
    out: ``{"id": "c1", "reply": "...", "actions": ["disclose", "answer"], "citations": [...]}``
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AgentAction",
    "AgentReply",
    "ChatTurn",
    "Conversation",
    "ConversationalAgent",
]


class AgentAction(StrEnum):
    """What an assistant did in one reply (several may apply: ``disclose`` + ``answer``)."""

    DISCLOSE = "disclose"
    """Told the customer they are talking to an AI (HKMA-GENAI-DISCLOSE)."""
    ANSWER = "answer"
    """Answered from the knowledge base, with citations."""
    HANDOVER = "handover"
    """Offered or started a transfer to a human (HKMA-GENAI-OPTOUT, HKMA-GENAI-HITL)."""
    REFUSE = "refuse"
    """Declined: investment advice, other people's data, out-of-scope or harmful requests."""
    DONT_KNOW = "dont_know"
    """Said the knowledge base has no answer instead of inventing one (HKMA-GENAI-ACCURACY)."""


class ChatTurn(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class Conversation(BaseModel):
    """A conversation so far; the agent answers its last user turn."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    messages: list[ChatTurn] = Field(min_length=1, max_length=200)

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, value: list[ChatTurn]) -> list[ChatTurn]:
        if value[-1].role != "user":
            raise ValueError("the last message must be the user's (the agent answers it)")
        return value

    @property
    def last_user_message(self) -> str:
        return self.messages[-1].content

    @property
    def is_first_turn(self) -> bool:
        """No assistant turn yet: the reply opens the conversation (disclosure is due)."""
        return not any(turn.role == "assistant" for turn in self.messages)


class AgentReply(BaseModel):
    """An agent's answer to one conversation."""

    model_config = ConfigDict(extra="forbid")

    id: str
    reply: str
    actions: list[AgentAction]
    citations: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="What the agent decided and why (policy category, confidence, retrieval "
        "scores); kept in evaluations, not written to the reply file",
    )

    def public(self) -> dict[str, Any]:
        """The JSONL output line: id, reply, actions, citations."""
        return {
            "id": self.id,
            "reply": self.reply,
            "actions": [a.value for a in self.actions],
            "citations": list(self.citations),
        }


@runtime_checkable
class ConversationalAgent(Protocol):
    """What a conversational experiment's candidate is (fitted by the runner, then asked)."""

    def fit(self, X: Any, y: Any = None) -> Any:
        """Build indexes or pick examples from the training frame; may do nothing."""
        ...

    def reply(self, conversations: Sequence[Conversation]) -> list[AgentReply]:
        """One reply per conversation, in order."""
        ...
