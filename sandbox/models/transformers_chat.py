"""Chat generation and label scoring shared by every provider that runs a transformers model in
this process (``embedded`` and ``hf-local``).

A subclass says how to load the model and tokenizer and what the model is (its card); this class
does the rest: thread-safe lazy loading, chat templating, greedy or seeded generation (single and
batched), and first-token log-probabilities for label scoring.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from sandbox.errors import ConfigError
from sandbox.models.base import (
    TOP_LOGPROBS,
    GenerationConfig,
    GenerationResult,
    Message,
    ModelCard,
    check_messages,
    label_distribution,
)

__all__ = ["TransformersChatModel"]

_MIN_SHARED_PREFIX = 16
"""Shortest shared prompt prefix worth reusing the key/value cache for."""


class TransformersChatModel(ABC):
    """A transformers causal LM behind the :class:`~sandbox.models.base.ChatModel` contract.

    The model loads on first use (or with :meth:`load`), once per instance. Calls are serialised
    by a lock: seeding is process-wide and one model instance is not re-entrant. Greedy generation
    and label scoring are deterministic on a given machine.
    """

    display_name = "model"
    """How error messages name the model."""

    def __init__(self) -> None:
        self.loaded_from: str | None = None
        """Where the weights came from once loaded (subclass-specific, e.g. ``"cache"``)."""
        self.load_seconds: float | None = None
        """Wall-clock seconds the load took, once loaded."""
        self.device: str = "cpu"
        """Where the model runs once loaded (``cpu`` or ``cuda``)."""
        self._lock = threading.RLock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._prefix: tuple[Any, list[int]] | None = None

    # -- what subclasses provide ----------------------------------------------------------------
    @property
    @abstractmethod
    def card(self) -> ModelCard:
        """Name, version, licence and weights hash of the model."""

    @abstractmethod
    def _load(self) -> tuple[Any, Any, str]:
        """Load and return ``(model, tokenizer, loaded_from)``."""

    # -- ChatModel ------------------------------------------------------------------------------
    def generate(
        self, messages: list[Message], config: GenerationConfig | None = None
    ) -> GenerationResult:
        """Answer a chat conversation (greedy unless ``config.temperature > 0``).

        Args:
            messages: Chat turns in order, each with ``role`` and ``content``; the model's chat
                template may add its default system prompt when the first turn is not ``system``.
            config: Generation settings; ``None`` means ``GenerationConfig()``.

        Returns:
            The answer without the prompt, cut before the first stop string;
            ``completion_tokens`` counts every token generated, end-of-turn token included.

        Raises:
            ConfigError: Malformed messages, or a prompt too long for the context window.
        """
        return self.generate_batch([messages], config)[0]

    def generate_batch(
        self, conversations: Sequence[list[Message]], config: GenerationConfig | None = None
    ) -> list[GenerationResult]:
        """Answer several conversations in one left-padded batch (much faster on a GPU).

        Each result's ``seconds`` is the batch's wall-clock time divided evenly; token counts are
        per conversation.
        """
        import torch

        if not conversations:
            return []
        for messages in conversations:
            check_messages(messages)
        config = config or GenerationConfig()
        with self._lock:
            model, tokenizer = self._loaded()
            prompts = [
                tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
                for messages in conversations
            ]
            tokenizer.padding_side = "left"
            inputs = tokenizer(
                prompts, return_tensors="pt", padding=True, add_special_tokens=False
            ).to(model.device)
            width = int(inputs["input_ids"].shape[1])
            self._check_length(width + config.max_new_tokens)
            options: dict[str, Any] = {
                "max_new_tokens": config.max_new_tokens,
                "pad_token_id": tokenizer.pad_token_id,
                "do_sample": config.temperature > 0,
            }
            if config.temperature > 0:
                options.update(temperature=config.temperature, top_k=0, top_p=1.0)
            else:  # greedy: silence the sampling defaults a checkpoint's generation config brings
                options.update(temperature=None, top_k=None, top_p=None)
            if config.stop:
                options.update(stop_strings=list(config.stop), tokenizer=tokenizer)
            torch.manual_seed(config.seed)
            start = time.perf_counter()
            with torch.inference_mode():
                output = model.generate(**inputs, **options)
            seconds = (time.perf_counter() - start) / len(conversations)
        results = []
        eos = {tokenizer.pad_token_id, tokenizer.eos_token_id}
        for row in range(len(conversations)):
            prompt_tokens = int(inputs["attention_mask"][row].sum())
            completion = output[row, width:].tolist()
            # drop the padding after an early end of turn, keep the end-of-turn token itself
            while len(completion) > 1 and completion[-1] in eos and completion[-2] in eos:
                completion.pop()
            text = tokenizer.decode(completion, skip_special_tokens=True)
            for stop in config.stop or []:
                text = text.split(stop, 1)[0]
            # A token limit can cut a multi-byte character (Chinese, emoji) in two; the
            # byte-level tokenizer then decodes the stub as U+FFFD. Never hand that on.
            text = text.rstrip("\ufffd")
            results.append(
                GenerationResult(
                    text=text,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=len(completion),
                    seconds=seconds,
                )
            )
        return results

    def top_logprobs(
        self, messages: list[Message], k: int = TOP_LOGPROBS
    ) -> list[tuple[str, float]]:
        """The ``k`` most likely first tokens of the answer, as ``(token text, log-probability)``.

        Raises:
            ConfigError: Malformed messages, ``k`` outside 1..100, or a prompt too long.
        """
        import torch

        check_messages(messages)
        if not 1 <= k <= 100:
            raise ConfigError(f"top_logprobs k must be between 1 and 100; got {k}")
        with self._lock:
            model, tokenizer = self._loaded()
            ids = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
            )["input_ids"]
            self._check_length(int(ids.shape[1]) + 1)
            logits = self._last_logits(ids[0].tolist())
            values, indices = torch.topk(torch.log_softmax(logits, dim=-1), k)
            return [
                (tokenizer.decode([index]), float(value))
                for value, index in zip(values.tolist(), indices.tolist(), strict=True)
            ]

    def _last_logits(self, ids: list[int]) -> Any:
        """Next-token logits after ``ids``, reusing the key/value cache of the previous prompt.

        Classification prompts share a long prefix (instructions and few-shot examples); only the
        tokens after the part shared with the previous call are computed, which makes a few-shot
        prompt cost about as much as a zero-shot one. Caller holds the lock.
        """
        import torch

        model = self._model
        cache, previous = self._prefix if self._prefix is not None else (None, [])
        shared = 0
        for a, b in zip(previous, ids, strict=False):
            if a != b:
                break
            shared += 1
        shared = min(shared, len(ids) - 1)  # always run at least the last token
        if cache is None or shared < _MIN_SHARED_PREFIX:
            cache, shared = None, 0
        else:
            cache.crop(shared - cache.get_seq_length() if shared < cache.get_seq_length() else 0)
        with torch.inference_mode():
            output = model(
                input_ids=torch.tensor([ids[shared:]], device=model.device),
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            )
        self._prefix = (output.past_key_values, list(ids))
        return output.logits[0, -1].float()

    def label_probabilities(
        self, messages: list[Message], labels: Sequence[str]
    ) -> dict[str, float]:
        """Probability that the answer is each label (see :func:`label_distribution`).

        Args:
            messages: Chat turns ending with the question the labels answer; name the labels in
                the prompt and keep their first words distinct.
            labels: At least two distinct, non-empty candidate answers, e.g. ``["scam", "safe"]``.

        Returns:
            ``{label: probability}`` in the order of ``labels``, summing to 1.
        """
        return label_distribution(self.top_logprobs(messages, TOP_LOGPROBS), labels)

    # -- loading --------------------------------------------------------------------------------
    def load(self) -> TransformersChatModel:
        """Load the model now rather than on first use; returns ``self``."""
        with self._lock:
            self._loaded()
        return self

    def _loaded(self) -> tuple[Any, Any]:
        """The model and tokenizer, loading them on first call."""
        with self._lock:
            if self._model is None:
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # the sandbox shows its own progress
                start = time.perf_counter()
                model, tokenizer, source = self._load()
                model.eval()
                if tokenizer.pad_token_id is None:
                    tokenizer.pad_token = tokenizer.eos_token
                self._model, self._tokenizer, self.loaded_from = model, tokenizer, source
                self.device = str(model.device.type)
                self.load_seconds = time.perf_counter() - start
            return self._model, self._tokenizer

    @property
    def context_window(self) -> int:
        """Most tokens (prompt plus answer) the model takes; loads the model."""
        model, _ = self._loaded()
        return int(getattr(model.config, "max_position_embeddings", 2048))

    def count_tokens(self, messages: list[Message]) -> int:
        """Prompt tokens of ``messages`` after the chat template; loads the model."""
        check_messages(messages)
        _, tokenizer = self._loaded()
        encoded = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_dict=True
        )
        return len(encoded["input_ids"])

    def _check_length(self, tokens: int) -> None:
        limit = self.context_window
        if tokens > limit:
            raise ConfigError(
                f"prompt plus answer needs {tokens} tokens; {self.display_name} takes at most "
                f"{limit}; shorten the messages or lower max_new_tokens"
            )
