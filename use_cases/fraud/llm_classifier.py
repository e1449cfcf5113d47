"""An LLM scam-message classifier: zero- or few-shot prompting through LangChain, scored from the
label tokens' probabilities (no free generation), every call through the sandbox gateway.

"Fitting" picks the few-shot examples from the (redacted) training messages, a fixed number per
class chosen with the run's seed; nothing is trained. The score of a message is the probability
the model gives to the answer ``scam`` against ``legitimate`` at the start of its reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate
from sklearn.base import BaseEstimator, ClassifierMixin

from sandbox.errors import ConfigError

__all__ = ["LABELS", "SYSTEM_PROMPT", "LLMScamClassifier"]

LABELS = ("scam", "legitimate")
SYSTEM_PROMPT = (
    "You classify SMS and chat messages sent to Hong Kong bank customers as scam or legitimate. "
    "Messages may be in English, Traditional Chinese or Cantonese; personal data is replaced by "
    "placeholders such as <HK_PHONE>. Answer with one word: scam or legitimate."
)
_EXAMPLE_MAX_CHARS = 220


class LLMScamClassifier(ClassifierMixin, BaseEstimator):
    """Few-shot LLM classifier with a scikit-learn face (``fit`` / ``predict_proba``).

    Args:
        model: Catalogue model name (``None``: the catalogue's default, ``embedded``).
        shots_per_class: Examples per class in the prompt; 0 is zero-shot.
        seed: Picks the examples.
        settings: Sandbox settings of the run (identity, quotas, audit); required to score.
        progress: ``progress(stage, done, total)`` while scoring.
    """

    def __init__(
        self,
        model: str | None = None,
        shots_per_class: int = 3,
        seed: int = 42,
        settings: Any = None,
        progress: Callable[[str, float, float], None] | None = None,
    ) -> None:
        self.model = model
        self.shots_per_class = shots_per_class
        self.seed = seed
        self.settings = settings
        self.progress = progress

    # -- scikit-learn ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any) -> LLMScamClassifier:
        """Pick ``shots_per_class`` short examples per class, alternating scam and legitimate."""
        if self.shots_per_class < 0:
            raise ConfigError("shots_per_class must be >= 0")
        texts = pd.Series(X["text"]).astype(str).reset_index(drop=True)
        labels = np.asarray(y).astype(int)
        rng = np.random.default_rng(self.seed)
        picked: dict[int, list[str]] = {}
        for value in (1, 0):
            pool = [
                i for i in np.flatnonzero(labels == value) if len(texts[i]) <= _EXAMPLE_MAX_CHARS
            ]
            if len(pool) < self.shots_per_class:
                raise ConfigError(
                    f"only {len(pool)} short training messages with label {value}; "
                    f"lower shots_per_class (now {self.shots_per_class})"
                )
            chosen = rng.choice(pool, size=self.shots_per_class, replace=False)
            picked[value] = [texts[int(i)] for i in chosen]
        self.examples_ = [
            {"message": message, "answer": LABELS[0] if value == 1 else LABELS[1]}
            for pair in zip(picked[1], picked[0], strict=True)
            for value, message in zip((1, 0), pair, strict=True)
        ]
        self.classes_ = np.array([0, 1])
        self._cache: dict[str, float] = {}
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[[p(legitimate), p(scam)], ...]`` for each message (repeated messages scored once)."""
        if not hasattr(self, "examples_"):
            raise ConfigError("LLMScamClassifier is not fitted; call fit() first")
        texts = pd.Series(X["text"]).astype(str).tolist()
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            gateway = self._gateway()
            prompt = self.prompt()
            conversations = [prompt.format_messages(message=text) for text in missing]

            def report(done: int, total: int) -> None:
                if self.progress is not None:
                    self.progress("LLM classifier: scoring messages", done, total)

            from sandbox.models.chains import to_messages

            results = gateway.label_probabilities(
                [to_messages(c) for c in conversations],
                LABELS,
                purpose="fraud/scam_messages llm classifier",
                progress=report,
            )
            for text, result in zip(missing, results, strict=True):
                self._cache[text] = float(result[LABELS[0]])
        positive = np.array([self._cache[t] for t in texts], dtype=float)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    # -- prompt and record ----------------------------------------------------------------------
    def prompt(self) -> ChatPromptTemplate:
        """The LangChain chat prompt: system instructions, the few-shot examples, the message."""
        shots = FewShotChatMessagePromptTemplate(
            examples=list(getattr(self, "examples_", [])),
            example_prompt=ChatPromptTemplate.from_messages(
                [("human", 'Message: "{message}"'), ("ai", "{answer}")]
            ),
        )
        return ChatPromptTemplate.from_messages(
            [("system", SYSTEM_PROMPT), shots, ("human", 'Message: "{message}"')]
        )

    def describe(self) -> dict[str, Any]:
        """What the model is, for MLflow and the review report: prompt, examples, model card."""
        gateway = self._gateway()
        return {
            "kind": "llm-prompt-classifier",
            "model": gateway.model_name,
            "model_card": gateway.card.model_dump(mode="json"),
            "labels": list(LABELS),
            "scoring": "probability of the first answer token matching each label, normalised "
            "over the labels (top-20 log-probabilities); deterministic gateway",
            "system_prompt": SYSTEM_PROMPT,
            "shots_per_class": self.shots_per_class,
            "examples": list(getattr(self, "examples_", [])),
            "seed": self.seed,
        }

    def _gateway(self) -> Any:
        gateway = getattr(self, "_gateway_instance", None)
        if gateway is None:
            if self.settings is None:
                raise ConfigError("LLMScamClassifier needs the run's settings to call the gateway")
            from sandbox.models.gateway import Gateway, GatewayPolicy

            gateway = Gateway(
                self.settings, self.model, policy=GatewayPolicy(deterministic=True, seed=self.seed)
            )
            self._gateway_instance = gateway
        return gateway
