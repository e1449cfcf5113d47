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

import json
import os
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sandbox.errors import DataError

__all__ = [
    "AgentAction",
    "AgentReply",
    "ChatTurn",
    "Conversation",
    "ConversationalAgent",
    "read_conversations",
    "write_replies",
]

MAX_LISTED_ERRORS = 10


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


def read_conversations(path: Path) -> list[Conversation]:
    """Read and validate a JSONL file of conversations, all of it before anything runs.

    Raises:
        DataError: listing up to ten bad lines (line number and what is wrong, never the
            content), duplicate ids, or an empty or unreadable file. Nothing is half-done.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    conversations: list[Conversation] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            conversation = Conversation.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON ({exc.msg})")
            continue
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            errors.append(f"line {number}: {where}: {first['msg']}")
            continue
        if conversation.id in seen:
            errors.append(
                f"line {number}: id {conversation.id!r} repeats line {seen[conversation.id]}"
            )
            continue
        seen[conversation.id] = number
        conversations.append(conversation)
    if errors:
        more = len(errors) - MAX_LISTED_ERRORS
        listed = "; ".join(errors[:MAX_LISTED_ERRORS]) + (f"; and {more} more" if more > 0 else "")
        raise DataError(
            f"{path}: {len(errors)} bad line(s), nothing was run: {listed}. Each line must be "
            '{"id": "...", "messages": [{"role": "user", "content": "..."}, ...]}, ending with '
            "a user message"
        )
    if not conversations:
        raise DataError(f"{path} holds no conversations (one JSON object per line)")
    return conversations


def write_replies(replies: Sequence[AgentReply], path: Path) -> None:
    """Write the public JSONL lines atomically: the file appears whole or not at all."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for reply in replies:
                out.write(json.dumps(reply.public(), ensure_ascii=False) + "\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
