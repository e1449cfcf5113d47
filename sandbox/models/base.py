"""The provider-neutral chat-model contract: what a generative model is (ModelCard), how it is
asked (GenerationConfig), what it answers (GenerationResult) and the ChatModel protocol that every
provider (``embedded``, ``hf-local``, ``openai-compatible``) implements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ConfigError
from sandbox.experiment import ModelProvenance

__all__ = [
    "CHAT_ROLES",
    "ChatModel",
    "GenerationConfig",
    "GenerationResult",
    "Message",
    "ModelCard",
    "Provider",
    "TOP_LOGPROBS",
    "check_labels",
    "check_messages",
    "label_distribution",
]

Provider = Literal["embedded", "hf-local", "openai-compatible"]
"""The model providers of DESIGN section 4."""

Message = dict[str, str]
"""One chat turn: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

CHAT_ROLES = ("system", "user", "assistant")


class ModelCard(BaseModel):
    """What a generative model is and where it comes from (HKMA-AI-7)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Model name as its publisher gives it")
    version: str = Field(description="Exact version, e.g. the package pin that ships the weights")
    provider: Provider
    weights_sha256: str = Field(description="sha256 of the weights file as shipped")
    licence: str
    base_model: str = ""
    source: str = Field(description="Where the weights come from and how they are loaded")

    def to_provenance(self) -> ModelProvenance:
        """The card as the RunRecord's model provenance; the provider is named in ``source``."""
        return ModelProvenance(
            name=self.name,
            version=self.version,
            source=f"{self.source} [provider: {self.provider}]",
            licence=self.licence,
            base_model=self.base_model,
            weights_sha256=self.weights_sha256,
        )


class GenerationConfig(BaseModel):
    """How to generate: length, randomness and stop strings.

    ``temperature == 0`` means greedy decoding, which is deterministic and ignores ``seed``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(default=128, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="0 means greedy decoding")
    seed: int = Field(default=0, ge=0, description="Seed for sampling when temperature > 0")
    stop: list[str] | None = Field(
        default=None, description="Strings that end the answer; the answer is cut before them"
    )


class GenerationResult(BaseModel):
    """One generated answer with its cost in tokens and seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    seconds: float = Field(ge=0.0, description="Wall-clock time of the generation call")

    @property
    def tokens_per_second(self) -> float:
        """Completion tokens per second of wall-clock time (0 when nothing was generated)."""
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0


@runtime_checkable
class ChatModel(Protocol):
    """A chat model any provider can implement; use cases depend on this and nothing else."""

    @property
    def card(self) -> ModelCard:
        """What the model is (name, version, weights hash, licence)."""
        ...

    def generate(
        self, messages: list[Message], config: GenerationConfig | None = None
    ) -> GenerationResult:
        """Answer a chat conversation.

        Args:
            messages: Chat turns in order, each with ``role`` and ``content``.
            config: Generation settings; ``None`` means ``GenerationConfig()`` (greedy, 128 tokens).

        Returns:
            The answer text (without the prompt) and its token counts.
        """
        ...

    def top_logprobs(self, messages: list[Message], k: int = 20) -> list[tuple[str, float]]:
        """The ``k`` most likely first tokens of the assistant's answer with their log-probability.

        This is what an OpenAI-compatible server returns for ``logprobs=true, top_logprobs=k,
        max_tokens=1``, so every provider can score labels the same way.
        """
        ...

    def label_probabilities(
        self, messages: list[Message], labels: Sequence[str]
    ) -> dict[str, float]:
        """Probability that the assistant's answer is each label, normalised over the labels.

        Scored from the next-token distribution at the start of the assistant turn
        (:meth:`top_logprobs` with :data:`TOP_LOGPROBS` tokens, aggregated by
        :func:`label_distribution`), not by free generation: every label gets a number, the result
        does not depend on sampling, and an in-process model and the same model behind an
        OpenAI-compatible server give the same numbers.

        Args:
            messages: Chat turns ending with the question the labels answer.
            labels: Distinct, non-empty candidate answers.

        Returns:
            ``{label: probability}`` in the order of ``labels``, summing to 1.
        """
        ...


def check_messages(messages: list[Message]) -> None:
    """Raise ConfigError unless ``messages`` is a non-empty list of well-formed chat turns."""
    if not messages:
        raise ConfigError("messages is empty; give at least one chat turn")
    for index, message in enumerate(messages):
        if set(message) != {"role", "content"}:
            raise ConfigError(
                f"messages[{index}] has keys {sorted(message)}; expected exactly role and content"
            )
        if message["role"] not in CHAT_ROLES:
            raise ConfigError(
                f"messages[{index}] has role {message['role']!r}; expected one of "
                f"{', '.join(CHAT_ROLES)}"
            )
        if not isinstance(message["content"], str):
            raise ConfigError(f"messages[{index}].content is not a string")


def check_labels(labels: Sequence[str]) -> list[str]:
    """Return ``labels`` as a list; raise ConfigError if empty, blank or repeated."""
    items = list(labels)
    if len(items) < 2:
        raise ConfigError(f"label_probabilities needs at least two labels; got {items}")
    if any(not isinstance(label, str) or not label.strip() for label in items):
        raise ConfigError(f"labels must be non-empty strings; got {items}")
    if len(set(items)) != len(items):
        raise ConfigError(f"labels must be distinct; got {items}")
    return items


TOP_LOGPROBS = 20
"""How many first-token candidates label scoring looks at (OpenAI's API allows at most 20)."""


def _normalise_token(token: str) -> str:
    return token.strip().casefold()


def label_distribution(top: Sequence[tuple[str, float]], labels: Sequence[str]) -> dict[str, float]:
    """Turn first-token log-probabilities into a distribution over ``labels``.

    A candidate token counts for a label when, ignoring case and surrounding spaces, one is a
    prefix of the other (``"Sc"`` and ``" scam"`` count for ``scam``; ``"Yes,"`` for ``yes``) and it
    matches no other label. The probabilities that count for each label are summed and normalised
    over the labels. When no candidate matches any label the model gave no information and every
    label gets the same probability.

    Args:
        top: ``(token, log-probability)`` pairs, e.g. from :meth:`ChatModel.top_logprobs`.
        labels: Checked with :func:`check_labels`.

    Returns:
        ``{label: probability}`` in the order of ``labels``, summing to 1.
    """
    import math

    items = check_labels(labels)
    keys = [_normalise_token(label) for label in items]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"labels must differ ignoring case and spaces; got {items}")
    mass = [0.0] * len(items)
    for token, logprob in top:
        piece = _normalise_token(token)
        if not piece:
            continue
        matches = [
            i for i, key in enumerate(keys) if key.startswith(piece) or piece.startswith(key)
        ]
        if len(matches) == 1:
            mass[matches[0]] += math.exp(logprob)
    total = sum(mass)
    if total <= 0.0:
        return {label: 1.0 / len(items) for label in items}
    return {label: value / total for label, value in zip(items, mass, strict=True)}
