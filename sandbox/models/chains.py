"""LangChain over the gateway: a chat model and an embeddings class that any LangChain chain
(prompt templates, few-shot prompts, output parsers, retrievers) can use, while every call still
goes through :class:`~sandbox.models.gateway.Gateway` (privacy guard, quotas, audit).

Example::

    from langchain_core.prompts import ChatPromptTemplate
    gateway = Gateway(settings, "embedded", policy=GatewayPolicy(deterministic=True))
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | GatewayChatModel(
        gateway=gateway, max_new_tokens=64
    )
    chain.invoke({"question": "What is FPS?"}).content
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompt_values import PromptValue
from pydantic import ConfigDict, Field

from sandbox.errors import ConfigError
from sandbox.models.base import GenerationConfig, Message
from sandbox.models.gateway import Gateway

__all__ = ["GatewayChatModel", "GatewayEmbeddings", "to_messages"]

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def to_messages(messages: Sequence[BaseMessage] | PromptValue) -> list[Message]:
    """LangChain messages (or a chat prompt value) as the sandbox's ``{role, content}`` turns."""
    if isinstance(messages, PromptValue):
        messages = messages.to_messages()
    turns: list[Message] = []
    for message in messages:
        role = _ROLES.get(message.type)
        if role is None:
            raise ConfigError(
                f"LangChain message type {message.type!r} is not supported by the sandbox "
                "gateway; use system, human and ai messages"
            )
        if not isinstance(message.content, str):
            raise ConfigError("only plain-text message content is supported")
        turns.append({"role": role, "content": message.content})
    return turns


class GatewayChatModel(BaseChatModel):
    """A LangChain chat model whose every call goes through the sandbox gateway.

    The AI message carries token counts in ``usage_metadata`` and, in ``response_metadata``, the
    model name, latency and the redacted text.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    gateway: Gateway
    max_new_tokens: int = Field(default=128, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = Field(default=0, ge=0)

    @property
    def _llm_type(self) -> str:
        return "sandbox-gateway"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.gateway.model_name,
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        config = GenerationConfig(
            max_new_tokens=kwargs.get("max_new_tokens", self.max_new_tokens),
            temperature=kwargs.get("temperature", self.temperature),
            seed=kwargs.get("seed", self.seed),
            stop=stop,
        )
        reply = self.gateway.chat(to_messages(messages), config)
        message = AIMessage(
            content=reply.text,
            usage_metadata={
                "input_tokens": reply.prompt_tokens,
                "output_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
            response_metadata={
                "model_name": reply.model,
                "latency_s": reply.latency_s,
                "model_text": reply.model_text,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def label_probabilities(
        self,
        prompts: Sequence[Sequence[BaseMessage] | PromptValue],
        labels: Sequence[str],
        **kwargs: Any,
    ) -> list[dict[str, float]]:
        """Label probabilities for many prompts (e.g. from a few-shot prompt template)."""
        return self.gateway.label_probabilities([to_messages(p) for p in prompts], labels, **kwargs)


class GatewayEmbeddings(Embeddings):
    """LangChain embeddings (MiniLM) through the gateway: redacted, audited, quota-counted."""

    def __init__(self, gateway: Gateway, purpose: str = "embedding") -> None:
        self.gateway = gateway
        self.purpose = purpose

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.gateway.embed(texts, purpose=self.purpose).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.gateway.embed([text], purpose=self.purpose)[0].tolist()
