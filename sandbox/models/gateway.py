"""The model gateway: the one door every model call of every use case goes through.

For each call it

1. checks the caller's role (``call_model``) and the tenant's quotas (tokens per day, concurrent
   requests, GPU-seconds per day), refusing with a message that says which limit and when it resets;
2. pseudonymises the prompt with the tenant's vault tokens (``<HK_ID_1>``), so the model never sees
   raw personal data, whatever provider serves it;
3. calls the model with a timeout, retrying transient failures of remote servers;
4. pseudonymises the answer too (a model can echo or invent identifiers);
5. writes one audit entry: tenant, user, model, provider, sha256 of the prompt and of the answer as
   the model saw and wrote them, token counts, latency, attempts and redaction counts, never text;
6. records usage, and hands back the answer with its pseudonyms: nobody, whatever the role, gets
   values back from a model call (re-identification needs a second person's approval and goes
   through the vault: ``sandbox vault request``).

Deterministic mode (greedy decoding, fixed seed) is what evaluations use, so a rerun gives the same
answers.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sandbox.audit import open_audit
from sandbox.config import Settings
from sandbox.errors import PrerequisiteError, SandboxError
from sandbox.identity import Action
from sandbox.models.base import ChatModel, GenerationConfig, Message, ModelCard, check_messages

__all__ = ["Gateway", "GatewayPolicy", "GatewayReply", "ModelUnavailable"]

T = TypeVar("T")
_REDACTION_CACHE_SIZE = 4096
_REDACTION_BATCH = 256


class ModelUnavailable(SandboxError):
    """The model did not answer in time, or a remote server kept failing after retries."""

    exit_code = 11


class GatewayPolicy(BaseModel):
    """How the gateway calls models; evaluations use ``deterministic=True``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deterministic: bool = Field(
        default=False, description="Greedy decoding and a fixed seed on every call"
    )
    seed: int = Field(default=0, ge=0)
    timeout_s: float = Field(default=300.0, gt=0, description="Per call, per attempt")
    retries: int = Field(default=2, ge=0, le=10, description="Extra attempts for remote servers")
    backoff_s: float = Field(default=0.5, ge=0, description="First retry delay; doubles each time")


@dataclass(frozen=True)
class GatewayReply:
    """A generated answer as the gateway hands it back."""

    text: str
    """What the caller sees: the answer with pseudonyms (the same as ``model_text``)."""
    model_text: str
    """The answer after output redaction: what is safe to store or log."""
    sent: list[Message]
    """The messages as the model received them (pseudonymised)."""
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    attempts: int
    redactions: dict[str, dict[str, int]] = field(default_factory=dict)
    """Counts per entity type found in the ``input`` and the ``output``."""


def _sha256(payload: Any) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _estimate_tokens(messages: Sequence[Message]) -> int:
    """A generous prompt-size estimate for the quota pre-check (3 characters per token)."""
    return sum(len(m["content"]) for m in messages) // 3 + 8 * len(messages)


class Gateway:
    """Privacy, quotas, audit, timeouts and retries around one catalogue model.

    Args:
        settings: Who is calling (identity) and where the sandbox keeps its state.
        model: Catalogue name (see :mod:`sandbox.models.catalog`); ``None`` is the default model.
        policy: Call policy; ``None`` is ``GatewayPolicy()``.
        chat_model: A ready ChatModel to use instead of building ``model`` from the catalogue
            (tests and ``sandbox serve-model``); its endpoint checks are the caller's duty.

    Raises:
        AccessDenied: The role may not call models, or the endpoint is not allowlisted.
        UnknownNameError: No such model in the catalogue.
    """

    def __init__(
        self,
        settings: Settings,
        model: str | None = None,
        *,
        policy: GatewayPolicy | None = None,
        chat_model: ChatModel | None = None,
    ) -> None:
        from sandbox.compute.quotas import load_quota
        from sandbox.compute.usage import open_ledger

        self.settings = settings
        self.identity = settings.identity
        self.identity.require(Action.CALL_MODEL)
        self.policy = policy or GatewayPolicy()
        if chat_model is None:
            from sandbox.models.catalog import build_chat_model

            self.model_name, self.model = build_chat_model(settings, model)
        else:
            self.model_name, self.model = model or chat_model.card.name, chat_model
        self.quota = load_quota(settings, self.identity.tenant)
        self.ledger = open_ledger(settings)
        self.audit = open_audit(settings)
        self._redactor: Any = None
        self._redaction_cache: dict[str, tuple[str, dict[str, int]]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway")

    # -- public API -----------------------------------------------------------------------------
    @property
    def card(self) -> ModelCard:
        """The model card of the model behind this gateway."""
        return self.model.card

    def chat(self, messages: list[Message], config: GenerationConfig | None = None) -> GatewayReply:
        """Ask the model; see the module docstring for what happens on the way.

        Raises:
            QuotaExceeded: A tenant quota would be exceeded; nothing was sent.
            ModelUnavailable: No answer within the timeout, or the server kept failing.
            ConfigError: Malformed messages or settings (the model's own checks).
        """
        check_messages(messages)
        config = self._config(config)
        sent, counts_in = self._redact_messages(messages)
        needed = _estimate_tokens(sent) + config.max_new_tokens
        result, latency, attempts = self._call(
            needed, lambda: self.model.generate(sent, config), what="model.chat"
        )
        model_text, counts_out = self._redact(result.text)
        tokens = result.prompt_tokens + result.completion_tokens
        entry_details = {
            "prompt_sha256": _sha256(sent),
            "response_sha256": _sha256(model_text),
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "max_new_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "seed": config.seed,
        }
        self._finish("model.chat", tokens, latency, attempts, entry_details, counts_in, counts_out)
        return GatewayReply(
            text=model_text,
            model_text=model_text,
            sent=sent,
            model=self.model_name,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            latency_s=latency,
            attempts=attempts,
            redactions={"input": counts_in, "output": counts_out},
        )

    def label_probabilities(
        self,
        conversations: Sequence[list[Message]],
        labels: Sequence[str],
        *,
        purpose: str = "classification",
        progress: Callable[[int, int], None] | None = None,
    ) -> list[dict[str, float]]:
        """Score many conversations against the same labels (one audit entry for the batch).

        Each conversation is pseudonymised, quota-checked and scored from the label tokens'
        probabilities (:meth:`ChatModel.label_probabilities`); nothing is generated.

        Args:
            conversations: Chat turns per item, each ending with the question the labels answer.
            labels: Candidate answers.
            purpose: Recorded in the audit entry (e.g. ``fraud/scam_messages llm classifier``).
            progress: Called as ``progress(done, total)`` after each item.

        Returns:
            One ``{label: probability}`` per conversation, in order.
        """
        results: list[dict[str, float]] = []
        hashes: list[str] = []
        counts_in: dict[str, int] = {}
        prompt_tokens = 0
        latency_total = 0.0
        attempts_total = 0
        for index, messages in enumerate(conversations):
            check_messages(messages)
            sent, counts = self._redact_messages(messages)
            for key, value in counts.items():
                counts_in[key] = counts_in.get(key, 0) + value
            estimate = _estimate_tokens(sent) + 1
            scores, latency, attempts = self._call(
                estimate, lambda s=sent: self.model.label_probabilities(s, labels), what="score"
            )
            results.append(scores)
            hashes.append(_sha256(sent))
            prompt_tokens += estimate
            latency_total += latency
            attempts_total += attempts
            if progress is not None:
                progress(index + 1, len(conversations))
        details = {
            "purpose": purpose,
            "items": len(results),
            "labels": list(labels),
            "prompts_sha256": _sha256(hashes),
            "results_sha256": _sha256(results),
            "prompt_tokens_estimated": prompt_tokens,
        }
        self._finish(
            "model.score", prompt_tokens, latency_total, attempts_total, details, counts_in, {}
        )
        return results

    def embed(self, texts: Sequence[str], *, purpose: str = "embedding") -> Any:
        """Sentence embeddings (MiniLM, on this machine) of pseudonymised texts; one audit entry.

        Returns:
            A float32 array of shape ``(len(texts), 384)``, L2-normalised.
        """
        from sandbox.models.embeddings import SentenceEmbedder, minilm_provenance

        sent = self._redact_many([str(text) for text in texts])
        counts: dict[str, int] = {}
        for _, found in sent:
            for key, value in found.items():
                counts[key] = counts.get(key, 0) + value
        redacted = [text for text, _ in sent]
        tokens = sum(len(t) for t in redacted) // 3
        embedder = SentenceEmbedder(cache_dir=str(self.settings.tenant_cache_dir / "embeddings"))
        vectors, latency, attempts = self._call(
            tokens, lambda: embedder.transform(redacted), what="embed"
        )
        provenance = minilm_provenance()
        self.ledger.record(
            self.identity.tenant, "tokens", tokens, user=self.identity.user, model=provenance.name
        )
        self.audit.append(
            self.identity,
            "model.embed",
            provenance.name,
            {
                "purpose": purpose,
                "items": len(redacted),
                "inputs_sha256": _sha256(redacted),
                "weights_sha256": provenance.weights_sha256,
                "latency_ms": round(latency * 1000, 1),
                "redactions_input": counts,
            },
        )
        return vectors

    def close(self) -> None:
        """Stop the worker thread (the model itself stays loaded for other gateways)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- steps ----------------------------------------------------------------------------------
    def _config(self, config: GenerationConfig | None) -> GenerationConfig:
        config = config or GenerationConfig()
        if self.policy.deterministic:
            return config.model_copy(update={"temperature": 0.0, "seed": self.policy.seed})
        return config

    def _redact(self, text: str) -> tuple[str, dict[str, int]]:
        """Pseudonymise one text (cached: few-shot prompts repeat the same examples)."""
        return self._redact_many([text])[0]

    def _redact_many(self, texts: Sequence[str]) -> list[tuple[str, dict[str, int]]]:
        """Pseudonymise many texts: each distinct text not in the cache is analysed once, in
        batches."""
        keys = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
        with self._lock:
            found = {k: self._redaction_cache[k] for k in keys if k in self._redaction_cache}
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
            if missing:
                if self._redactor is None:
                    from sandbox.privacy.redactor import Redactor

                    self._redactor = Redactor(self.settings)
                todo = list(missing.items())
                for start in range(0, len(todo), _REDACTION_BATCH):
                    part = todo[start : start + _REDACTION_BATCH]
                    batch = self._redactor.redact_batch([t for _, t in part], source=None)
                    for (key, _), redaction in zip(part, batch, strict=True):
                        found[key] = (redaction.text, dict(redaction.counts))
                if len(self._redaction_cache) + len(missing) > _REDACTION_CACHE_SIZE:
                    self._redaction_cache.clear()
                self._redaction_cache.update({k: found[k] for k in missing})
            return [found[k] for k in keys]

    def _redact_messages(self, messages: list[Message]) -> tuple[list[Message], dict[str, int]]:
        sent: list[Message] = []
        counts: dict[str, int] = {}
        for message in messages:
            text, found = self._redact(message["content"])
            sent.append({"role": message["role"], "content": text})
            for key, value in found.items():
                counts[key] = counts.get(key, 0) + value
        return sent, counts

    def _call(
        self, tokens_needed: int, call: Callable[[], T], *, what: str
    ) -> tuple[T, float, int]:
        """Run ``call`` under quotas, timeout and retries; returns ``(result, s, attempts)``."""
        tenant = self.identity.tenant
        on_gpu = getattr(self.model, "device", "cpu") == "cuda"
        self.ledger.check(tenant, "tokens", needed=tokens_needed, limit=self.quota.tokens_per_day)
        if on_gpu:
            self.ledger.check(
                tenant, "gpu_seconds", needed=0.0, limit=self.quota.gpu_seconds_per_day
            )
        remote = self.card.provider == "openai-compatible"
        attempts = 0
        with self.ledger.slot(tenant, "requests", self.quota.concurrent_requests):
            while True:
                attempts += 1
                start = time.perf_counter()
                future = self._pool.submit(call)
                try:
                    result = future.result(timeout=self.policy.timeout_s)
                except FutureTimeout:
                    self._failed(what, attempts, "timeout")
                    raise ModelUnavailable(
                        f"model '{self.model_name}' gave no answer within "
                        f"{self.policy.timeout_s:g} s; raise timeout_s or use a faster provider"
                    ) from None
                except PrerequisiteError as error:
                    if remote and attempts <= self.policy.retries:
                        time.sleep(self.policy.backoff_s * 2 ** (attempts - 1))
                        continue
                    self._failed(what, attempts, type(error).__name__)
                    if remote:
                        raise ModelUnavailable(
                            f"model '{self.model_name}' failed after {attempts} attempt(s): {error}"
                        ) from None
                    raise
                latency = time.perf_counter() - start
                if on_gpu:
                    self.ledger.record(
                        tenant,
                        "gpu_seconds",
                        latency,
                        user=self.identity.user,
                        model=self.model_name,
                    )
                return result, latency, attempts

    def _finish(
        self,
        action: str,
        tokens: int,
        latency: float,
        attempts: int,
        details: dict[str, Any],
        counts_in: dict[str, int],
        counts_out: dict[str, int],
    ) -> None:
        tenant, user = self.identity.tenant, self.identity.user
        self.ledger.record(tenant, "tokens", tokens, user=user, model=self.model_name)
        self.ledger.record(tenant, "requests", 1, user=user, model=self.model_name)
        card = self.card
        self.audit.append(
            self.identity,
            action,
            self.model_name,
            {
                "provider": card.provider,
                "model_name": card.name,
                "weights_sha256": card.weights_sha256,
                **details,
                "latency_ms": round(latency * 1000, 1),
                "attempts": attempts,
                "deterministic": self.policy.deterministic,
                "redactions_input": counts_in,
                "redactions_output": counts_out,
            },
        )

    def _failed(self, what: str, attempts: int, reason: str) -> None:
        self.audit.append(
            self.identity,
            "model.failed",
            self.model_name,
            {"call": what, "attempts": attempts, "reason": reason},
        )
