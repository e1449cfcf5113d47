"""LoRA fine-tuning (peft) of checkpoints from the centre's model store, for the ``hf-local``
provider: sequence classification and chat generation, on CUDA in bf16 when a GPU is there and
on the CPU in float32 otherwise (tiny models, tests).

Every run writes a ``finetune.json`` card beside its output (base checkpoint and its sha256,
settings, losses, device); :func:`merge_adapter` turns a generation adapter into a full checkpoint
that :class:`~sandbox.models.hf_local.HFLocalChatModel` serves.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator, ClassifierMixin

from sandbox.errors import ConfigError, DataError, PrerequisiteError
from sandbox.models.base import Message, check_messages
from sandbox.models.hf_local import checkpoint_sha256

__all__ = [
    "CARD_FILE",
    "PEFT_INSTALL",
    "FinetuneResult",
    "LoraClassifier",
    "LoraSettings",
    "ProgressCallback",
    "finetune_classifier",
    "finetune_generator",
    "merge_adapter",
    "read_finetune_card",
]

PEFT_PIN = "0.21.2"
PEFT_INSTALL = f"pip install peft=={PEFT_PIN}"
"""The command that installs what fine-tuning needs (part of ``make install``)."""
CARD_FILE = "finetune.json"
"""The card every adapter and merged checkpoint carries."""
MAX_GRAD_NORM = 1.0
"""Gradients are clipped to this norm at every step."""

ProgressCallback = Callable[[int, int, float], None]
"""``progress(step, total_steps, loss)``, called after every optimiser step (``step`` from 1)."""

# Attention projections LoRA adapts by default, per architecture family: query and value where
# they are separate layers, else the fused query-key-value layer.
_DEFAULT_TARGETS: tuple[tuple[str, ...], ...] = (
    ("q_proj", "v_proj"),  # Llama, Mistral, Qwen, Gemma, Phi-2, OPT
    ("query", "value"),  # BERT, RoBERTa, XLM-R
    ("q_lin", "v_lin"),  # DistilBERT
    ("qkv_proj",),  # Phi-3
    ("query_key_value",),  # Falcon, BLOOM, GPT-NeoX
    ("c_attn",),  # GPT-2
    ("Wqkv",),  # MPT, ModernBERT
)
_CLASSIFIER_HEADS = ("score", "classifier")
_LICENCE_FILES = ("README.md", "LICENSE", "LICENSE.txt", "LICENSE.md", "NOTICE")
_IGNORE_INDEX = -100


class LoraSettings(BaseModel):
    """LoRA and training settings; unknown keys and out-of-range values are errors."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(8, ge=1, description="Rank of the LoRA update matrices.")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    target_modules: list[str] | None = Field(
        None,
        min_length=1,
        description="Module names to adapt; None picks the attention query/value projections "
        "from the model's own module names.",
    )
    last_layers: int | None = Field(
        None,
        ge=1,
        description="Adapt only the last N transformer layers (None: all). Backpropagation then "
        "stops there, which makes CPU runs several times faster.",
    )
    learning_rate: float = Field(2e-4, gt=0, description="AdamW learning rate (constant).")
    epochs: int = Field(1, ge=1, description="Passes over the data, unless max_steps is set.")
    batch_size: int = Field(8, ge=1)
    max_length: int = Field(256, ge=8, description="Tokens per example; longer ones are cut.")
    seed: int = Field(0, description="Seeds the head and adapter initialisation and shuffling.")
    max_steps: int | None = Field(
        None,
        ge=0,
        description="Exact number of optimiser steps, cycling over the data as needed; overrides "
        "epochs. 0 saves the untrained adapter (a baseline).",
    )


class FinetuneResult(BaseModel):
    """What a fine-tuning run (or a merge) produced; written as ``finetune.json`` beside it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    artifact: Literal["adapter", "merged"]
    task: Literal["classification", "generation"]
    out_dir: str
    adapter_dir: str
    base_model: str
    """Absolute path of the base checkpoint directory."""
    base_sha256: str
    """:func:`~sandbox.models.hf_local.checkpoint_sha256` of the base checkpoint."""
    merged_sha256: str | None = None
    """Of the merged checkpoint's weight files (``artifact == "merged"`` only)."""
    labels: list[str] | list[int] | None
    """Class names in column order of ``predict_proba`` (classification only)."""
    examples: int
    settings: LoraSettings
    target_modules: list[str]
    trainable_parameters: int
    total_parameters: int
    steps: int
    losses: list[float]
    """Training loss at every optimiser step."""
    seconds: float
    """Wall-clock seconds of the training loop (loading and saving excluded)."""
    device: str
    precision: str
    versions: dict[str, str]
    created_at: str

    @property
    def seconds_per_step(self) -> float | None:
        """Mean wall-clock seconds per optimiser step; None when no step was taken."""
        return self.seconds / self.steps if self.steps else None


def read_finetune_card(path: str | Path) -> FinetuneResult | None:
    """The ``finetune.json`` card of an adapter or merged checkpoint, or None when it has none.

    Raises:
        DataError: The card exists but cannot be read.
    """
    card = Path(path) / CARD_FILE
    if not card.is_file():
        return None
    try:
        return FinetuneResult.model_validate_json(card.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{card} is not a readable fine-tuning card ({error})") from None


# -- classification ------------------------------------------------------------------------------
def finetune_classifier(
    base_path: str | Path,
    texts: Sequence[str],
    labels: Sequence[str] | Sequence[int],
    out_dir: str | Path,
    settings: LoraSettings | None = None,
    *,
    device: str = "auto",
    progress: ProgressCallback | None = None,
) -> FinetuneResult:
    """Train a LoRA adapter and a classification head on a checkpoint for text classification.

    The base model is loaded with ``AutoModelForSequenceClassification`` (a new, seeded head on
    top of a causal LM or encoder); LoRA adapts the attention projections and the head is trained
    in full (``modules_to_save``). Load the result with :class:`LoraClassifier`.

    Args:
        base_path: Checkpoint directory from the model store.
        texts: Training texts.
        labels: One class label per text (strings or integers); at least two distinct classes.
        out_dir: New (or empty) directory for the adapter and its ``finetune.json``.
        settings: LoRA and training settings; ``None`` means ``LoraSettings()``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: Called as ``progress(step, total_steps, loss)`` after every step.

    Returns:
        The run's card, also written to ``out_dir/finetune.json``.

    Raises:
        ConfigError: Empty or mismatched data, fewer than two classes, bad settings or out_dir.
        PrerequisiteError: peft missing, no checkpoint at ``base_path``, or CUDA asked for and
            absent.
    """
    settings = settings or LoraSettings()
    texts = _check_texts(texts)
    labels, classes = _check_labels(labels, len(texts))
    base, out = _check_base(base_path), _check_out_dir(out_dir)
    peft = _import_peft()
    device, dtype = _select(device)
    torch, transformers = _import_torch(), _import_transformers()

    index = {label: i for i, label in enumerate(classes)}
    tokenizer = _load_tokenizer(base)
    torch.manual_seed(settings.seed)  # the new head's initial weights
    model = _load_model(
        transformers.AutoModelForSequenceClassification,
        base,
        dtype,
        num_labels=len(classes),
        id2label={i: str(label) for i, label in enumerate(classes)},
        label2id={str(label): i for i, label in enumerate(classes)},
        pad_token_id=tokenizer.pad_token_id,
    )
    head = _classifier_head(model)
    targets = _resolve_targets(model, settings.target_modules)
    config = _lora_config(peft, settings, targets, "SEQ_CLS", model, modules_to_save=[head])
    model = _wrap(peft, model, config, device)

    tokenizer.padding_side = "right"
    encoded = tokenizer(list(texts), truncation=True, max_length=settings.max_length)
    examples = [
        {"input_ids": ids, "label": index[label]}
        for ids, label in zip(encoded["input_ids"], labels, strict=True)
    ]

    def loss_of(batch: list[dict[str, Any]]) -> Any:
        inputs = _collate(batch, tokenizer.pad_token_id, device)
        target = torch.tensor([row["label"] for row in batch], device=device)
        logits = model(**inputs).logits
        return torch.nn.functional.cross_entropy(logits.float(), target)

    return _train_and_save(
        "classification",
        model,
        examples,
        loss_of,
        settings,
        targets,
        base,
        out,
        classes,
        device,
        dtype,
        progress,
    )


class LoraClassifier(ClassifierMixin, BaseEstimator):
    """A classification adapter from :func:`finetune_classifier` on its base checkpoint, as a
    fitted scikit-learn classifier (``classes_``, ``predict_proba``, ``predict``, ``score``).

    It is fitted already; wrap it in ``sklearn.frozen.FrozenEstimator`` to calibrate it or use
    it inside a pipeline that refits.

    Args:
        adapter_dir: Directory written by :func:`finetune_classifier`.
        base_path: Base checkpoint; ``None`` means the one recorded in the card. Its weights must
            match the recorded sha256.
        device: ``auto``, ``cpu`` or ``cuda``.
        batch_size: Texts per forward pass.

    Raises:
        PrerequisiteError: The adapter, its card or the base checkpoint is missing.
        DataError: The base checkpoint's weights differ from those the adapter was trained on.
        ConfigError: The adapter is not a classification adapter.
    """

    def __init__(
        self,
        adapter_dir: str | Path,
        *,
        base_path: str | Path | None = None,
        device: str = "auto",
        batch_size: int = 32,
    ) -> None:
        self.adapter_dir = adapter_dir
        self.base_path = base_path
        self.device = device
        self.batch_size = batch_size
        card = _read_card(Path(adapter_dir), "classification")
        base = _check_base(base_path or card.base_model)
        _check_base_sha(base, card)
        peft = _import_peft()
        resolved, dtype = _select(device)
        transformers = _import_transformers()
        labels = card.labels or []
        self.card_ = card
        self.classes_ = np.array(labels)
        self.device_ = resolved
        self._dtype = dtype
        self._tokenizer = _load_tokenizer(base)
        self._tokenizer.padding_side = "right"
        model = _load_model(
            transformers.AutoModelForSequenceClassification,
            base,
            dtype,
            num_labels=len(labels),
            id2label={i: str(label) for i, label in enumerate(labels)},
            label2id={str(label): i for i, label in enumerate(labels)},
            pad_token_id=self._tokenizer.pad_token_id,
        )
        self._model = peft.PeftModel.from_pretrained(model, Path(adapter_dir)).to(resolved).eval()

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Sequence[str], y: Sequence[Any]) -> LoraClassifier:  # noqa: N803
        """Refuse to refit: the adapter is trained by :func:`finetune_classifier`.

        Raises:
            ConfigError: Always; scikit-learn tools that refit (cross-validation) would otherwise
                score the same pre-trained adapter on every fold.
        """
        raise ConfigError(
            "LoraClassifier is already trained; train a new adapter with finetune_classifier, or "
            "wrap this one in sklearn.frozen.FrozenEstimator to calibrate or compose it"
        )

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:  # noqa: N803 (scikit-learn name)
        """Class probabilities, one row per text, columns in the order of ``classes_``."""
        import torch

        texts = _check_texts(X)
        rows = []
        with torch.inference_mode(), _autocast(self.device_, self._dtype):
            for start in range(0, len(texts), self.batch_size):
                chunk = texts[start : start + self.batch_size]
                encoded = self._tokenizer(
                    chunk, truncation=True, max_length=self.card_.settings.max_length
                )
                batch = [{"input_ids": ids} for ids in encoded["input_ids"]]
                inputs = _collate(batch, self._tokenizer.pad_token_id, self.device_)
                logits = self._model(**inputs).logits.float()
                rows.append(torch.softmax(logits, dim=-1).cpu().numpy())
        return np.concatenate(rows).astype(np.float64)

    def predict(self, X: Sequence[str]) -> np.ndarray:  # noqa: N803 (scikit-learn name)
        """The most probable class of each text."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


# -- generation ----------------------------------------------------------------------------------
def finetune_generator(
    base_path: str | Path,
    conversations: Sequence[list[Message]],
    out_dir: str | Path,
    settings: LoraSettings | None = None,
    *,
    device: str = "auto",
    progress: ProgressCallback | None = None,
) -> FinetuneResult:
    """Train a causal-LM LoRA adapter on chat conversations, with the loss on assistant turns only.

    Each conversation is rendered with the checkpoint's chat template; system and user turns and
    the template's markup are context, every assistant turn (its end-of-turn token included) is
    a target. Merge the result with :func:`merge_adapter` to serve it with ``hf-local``.

    Args:
        base_path: Instruction-tuned checkpoint directory (with a chat template).
        conversations: Chat transcripts, each a list of ``{"role", "content"}`` turns with at
            least one assistant turn.
        out_dir: New (or empty) directory for the adapter and its ``finetune.json``.
        settings: LoRA and training settings; ``None`` means ``LoraSettings()``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: Called as ``progress(step, total_steps, loss)`` after every step.

    Returns:
        The run's card, also written to ``out_dir/finetune.json``.

    Raises:
        ConfigError: Empty or malformed conversations, one without an assistant turn or whose
            assistant tokens are all cut by ``max_length``, bad settings or out_dir.
        PrerequisiteError: peft missing, no checkpoint or chat template at ``base_path``, or
            CUDA asked for and absent.
    """
    settings = settings or LoraSettings()
    conversations = _check_conversations(conversations)
    base, out = _check_base(base_path), _check_out_dir(out_dir)
    peft = _import_peft()
    device, dtype = _select(device)
    torch, transformers = _import_torch(), _import_transformers()

    tokenizer = _load_tokenizer(base)
    if tokenizer.chat_template is None:
        raise PrerequisiteError(
            f"{base} has no chat template in its tokenizer config; fine-tune an instruction-tuned "
            "checkpoint or add a chat_template to tokenizer_config.json"
        )
    examples = [
        _chat_example(tokenizer, messages, settings.max_length, number)
        for number, messages in enumerate(conversations)
    ]
    torch.manual_seed(settings.seed)
    model = _load_model(transformers.AutoModelForCausalLM, base, dtype)
    targets = _resolve_targets(model, settings.target_modules)
    config = _lora_config(peft, settings, targets, "CAUSAL_LM", model)
    model = _wrap(peft, model, config, device)

    def loss_of(batch: list[dict[str, Any]]) -> Any:
        inputs = _collate(batch, tokenizer.pad_token_id, device)
        expected = inputs.pop("labels")[:, 1:]  # each position predicts the next token
        logits = model(**inputs).logits[:, :-1].float()
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), expected.reshape(-1), ignore_index=_IGNORE_INDEX
        )

    return _train_and_save(
        "generation",
        model,
        examples,
        loss_of,
        settings,
        targets,
        base,
        out,
        None,
        device,
        dtype,
        progress,
    )


def merge_adapter(
    base_path: str | Path, adapter_dir: str | Path, out_dir: str | Path
) -> FinetuneResult:
    """Merge a generation adapter into its base and save a full checkpoint for ``hf-local``.

    The merged checkpoint keeps the base's dtype, tokenizer and chat template and its licence
    files (README.md front matter, LICENSE), so the model card still names the licence; its
    ``finetune.json`` records the base model (pass ``card.base_model`` as ``base_model`` to
    :class:`~sandbox.models.hf_local.HFLocalChatModel`). The merge runs on the CPU.

    Returns:
        The merged checkpoint's card, also written to ``out_dir/finetune.json``.

    Raises:
        ConfigError: The adapter is a classification adapter, or out_dir is not new or empty.
        DataError: The base checkpoint's weights differ from those the adapter was trained on.
        PrerequisiteError: peft, the base checkpoint or the adapter is missing.
    """
    adapter = Path(adapter_dir).expanduser().resolve()
    card = _read_card(adapter, "generation")
    base, out = _check_base(base_path), _check_out_dir(out_dir)
    _check_base_sha(base, card)
    peft = _import_peft()
    transformers = _import_transformers()
    tokenizer = _load_tokenizer(base)
    model = _load_model(transformers.AutoModelForCausalLM, base, "auto")
    merged = peft.PeftModel.from_pretrained(model, adapter).merge_and_unload()
    staging = _staging(out)
    try:
        merged.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        for name in _LICENCE_FILES:
            if (base / name).is_file():
                shutil.copy2(base / name, staging / name)
        result = card.model_copy(
            update={
                "artifact": "merged",
                "out_dir": str(out),
                "adapter_dir": str(adapter),
                "merged_sha256": checkpoint_sha256(staging),
                "created_at": _now(),
            }
        )
        _publish(staging, out, result)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


# -- validation ----------------------------------------------------------------------------------
def _check_texts(texts: Sequence[str]) -> list[str]:
    items = list(texts)
    if not items:
        raise ConfigError("texts is empty; give at least one text per class")
    for number, text in enumerate(items):
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"texts[{number}] is not a non-empty string")
    return items


def _check_labels(labels: Sequence[str] | Sequence[int], count: int) -> tuple[list[Any], list[Any]]:
    """The labels as plain Python values (numpy scalars unwrapped) and the sorted classes."""
    items = [label.item() if isinstance(label, np.generic) else label for label in labels]
    if len(items) != count:
        raise ConfigError(f"texts and labels differ in length ({count} texts, {len(items)} labels)")
    kinds = {type(label) for label in items}
    if not (kinds <= {str} or kinds <= {int}):
        raise ConfigError(
            f"labels must all be strings or all integers; got {sorted(k.__name__ for k in kinds)}"
        )
    classes = sorted(set(items))
    if len(classes) < 2:
        raise ConfigError(
            f"labels hold {len(classes)} class ({classes}); a classifier needs at least two"
        )
    return items, classes


def _check_conversations(conversations: Sequence[list[Message]]) -> list[list[Message]]:
    items = list(conversations)
    if not items:
        raise ConfigError("conversations is empty; give at least one chat transcript")
    for number, messages in enumerate(items):
        try:
            check_messages(messages)
        except ConfigError as error:
            raise ConfigError(f"conversations[{number}]: {error}") from None
        if not any(message["role"] == "assistant" for message in messages):
            raise ConfigError(
                f"conversations[{number}] has no assistant turn; the loss is on assistant turns"
            )
    return items


def _check_base(base_path: str | Path) -> Path:
    base = Path(base_path).expanduser().resolve()
    if not (base / "config.json").is_file():
        raise PrerequisiteError(
            f"base model {base} is not a checkpoint directory (no config.json); give a directory "
            "from the model store (a transformers checkpoint with config.json, tokenizer and "
            "weights)"
        )
    return base


def _check_base_sha(base: Path, card: FinetuneResult) -> None:
    actual = checkpoint_sha256(base)
    if actual != card.base_sha256:
        raise DataError(
            f"the base checkpoint {base} has weights sha256 {actual[:12]}..., but the adapter "
            f"{card.adapter_dir} was trained on {card.base_sha256[:12]}...; use the recorded base "
            "checkpoint or fine-tune again"
        )


def _check_out_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"output directory {out} already exists and is not empty; choose a new directory "
            "(fine-tuning never overwrites an earlier adapter or checkpoint)"
        )
    return out


def _read_card(adapter: Path, task: str) -> FinetuneResult:
    card = read_finetune_card(adapter)
    if card is None or not (adapter / "adapter_config.json").is_file():
        raise PrerequisiteError(
            f"{adapter} is not a fine-tuned adapter (no {CARD_FILE} and adapter_config.json); "
            "give a directory written by finetune_classifier or finetune_generator"
        )
    if card.artifact != "adapter" or card.task != task:
        raise ConfigError(f"{adapter} holds a {card.task} {card.artifact}, not a {task} adapter")
    return card


# -- loading -------------------------------------------------------------------------------------
def _import_peft() -> Any:
    try:
        import peft
    except ImportError:
        raise PrerequisiteError(
            f"fine-tuning needs the peft package; install it with `{PEFT_INSTALL}` "
            "(part of `make install`)"
        ) from None
    return peft


def _import_torch() -> Any:
    import torch

    return torch


def _import_transformers() -> Any:
    import transformers

    return transformers


def _select(device: str) -> tuple[str, Any]:
    """The device to run on and the dtype to load the base weights in (bf16 on CUDA if it can)."""
    import torch

    from sandbox.compute.devices import select_device

    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device must be auto, cpu or cuda; got {device!r}")
    resolved = select_device(device)
    if resolved == "cuda" and torch.cuda.is_bf16_supported():
        return resolved, torch.bfloat16
    return resolved, torch.float32  # no bf16 (e.g. V100, T4): float32 rather than fp16 scaling


def _load_tokenizer(base: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    except (OSError, ValueError) as error:
        raise PrerequisiteError(f"cannot load the tokenizer of {base}: {error}") from None
    if not tokenizer.is_fast:
        raise PrerequisiteError(
            f"{base} has no fast tokenizer (tokenizer.json); fine-tuning needs one to find the "
            "assistant tokens"
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _load_model(auto_class: Any, base: Path, dtype: Any, **options: Any) -> Any:
    try:
        return auto_class.from_pretrained(base, local_files_only=True, dtype=dtype, **options)
    except (OSError, ValueError) as error:
        raise PrerequisiteError(f"cannot load the checkpoint {base}: {error}") from None


def _classifier_head(model: Any) -> str:
    names = {name for name, _ in model.named_children()}
    for head in _CLASSIFIER_HEADS:
        if head in names:
            return head
    raise ConfigError(
        f"{type(model).__name__} has no classification head named {' or '.join(_CLASSIFIER_HEADS)}"
    )


def _resolve_targets(model: Any, requested: list[str] | None) -> list[str]:
    """The module names LoRA adapts: ``requested``, checked, or the attention q/v projections."""
    import torch

    linear = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) or type(module).__name__ == "Conv1D"
    }
    if requested is not None:
        missing = [name for name in requested if name not in linear]
        if missing:
            raise ConfigError(
                f"target_modules {missing} match no linear layer of {type(model).__name__}; "
                f"its linear layers are named {', '.join(sorted(linear))}"
            )
        return list(requested)
    for candidate in _DEFAULT_TARGETS:
        if all(name in linear for name in candidate):
            return list(candidate)
    raise ConfigError(
        f"cannot find the attention projections of {type(model).__name__} (tried "
        f"{', '.join('/'.join(c) for c in _DEFAULT_TARGETS)}); set target_modules to some of its "
        f"linear layers: {', '.join(sorted(linear))}"
    )


def _lora_config(
    peft: Any,
    settings: LoraSettings,
    targets: list[str],
    task_type: str,
    model: Any,
    modules_to_save: list[str] | None = None,
) -> Any:
    layers = None
    if settings.last_layers is not None:
        total = int(model.config.num_hidden_layers)
        layers = list(range(max(0, total - settings.last_layers), total))
    return peft.LoraConfig(
        task_type=task_type,
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=targets,
        modules_to_save=modules_to_save,
        layers_to_transform=layers,
    )


def _wrap(peft: Any, model: Any, config: Any, device: str) -> Any:
    model = peft.get_peft_model(model, config)
    for parameter in model.parameters():  # train the adapter and head in float32 under autocast
        if parameter.requires_grad:
            parameter.data = parameter.data.float()
    return model.to(device)


# -- training ------------------------------------------------------------------------------------
def _chat_example(
    tokenizer: Any, messages: list[Message], max_length: int, number: int
) -> dict[str, Any]:
    """Token ids of a rendered conversation, with labels only on the assistant turns."""
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    spans = []
    for turn, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(
            messages[:turn], tokenize=False, add_generation_prompt=True
        )
        through = tokenizer.apply_chat_template(messages[: turn + 1], tokenize=False)
        if not (text.startswith(through) and through.startswith(before)):
            raise ConfigError(
                f"conversations[{number}]: the chat template renders earlier turns differently "
                "once later turns follow, so the assistant tokens cannot be located"
            )
        spans.append((len(before), len(through)))
    encoded = tokenizer(
        text,
        add_special_tokens=False,
        return_offsets_mapping=True,
        truncation=True,
        max_length=max_length,
    )
    labels = [
        token
        if any(start < span_end and end > span_start for span_start, span_end in spans)
        else _IGNORE_INDEX
        for token, (start, end) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True)
    ]
    if all(label == _IGNORE_INDEX for label in labels[1:]):
        raise ConfigError(
            f"conversations[{number}] keeps no assistant tokens within max_length={max_length}; "
            "raise max_length or shorten the earlier turns"
        )
    return {"input_ids": encoded["input_ids"], "labels": labels}


def _collate(batch: list[dict[str, Any]], pad_id: int, device: str) -> dict[str, Any]:
    """Right-pad a batch of token-id lists (and labels, with the ignore index)."""
    import torch

    width = max(len(row["input_ids"]) for row in batch)
    ids, mask, labels = [], [], []
    for row in batch:
        pad = width - len(row["input_ids"])
        ids.append(row["input_ids"] + [pad_id] * pad)
        mask.append([1] * len(row["input_ids"]) + [0] * pad)
        if "labels" in row:
            labels.append(row["labels"] + [_IGNORE_INDEX] * pad)
    inputs = {
        "input_ids": torch.tensor(ids, device=device),
        "attention_mask": torch.tensor(mask, device=device),
    }
    if labels:
        inputs["labels"] = torch.tensor(labels, device=device)
    return inputs


def _batches(count: int, settings: LoraSettings) -> Iterator[list[int]]:
    """Seeded shuffled batches of example indices: ``max_steps`` of them, else whole epochs."""
    import torch

    generator = torch.Generator().manual_seed(settings.seed)
    per_epoch = math.ceil(count / settings.batch_size)
    total = settings.max_steps if settings.max_steps is not None else settings.epochs * per_epoch
    step = 0
    while step < total:
        order = torch.randperm(count, generator=generator).tolist()
        for start in range(0, count, settings.batch_size):
            if step == total:
                return
            yield order[start : start + settings.batch_size]
            step += 1


def _total_steps(count: int, settings: LoraSettings) -> int:
    if settings.max_steps is not None:
        return settings.max_steps
    return settings.epochs * math.ceil(count / settings.batch_size)


def _autocast(device: str, dtype: Any) -> Any:
    import torch

    if device == "cuda" and dtype == torch.bfloat16:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def _train(
    model: Any,
    examples: list[dict[str, Any]],
    loss_of: Callable[[list[dict[str, Any]]], Any],
    settings: LoraSettings,
    device: str,
    dtype: Any,
    progress: ProgressCallback | None,
) -> tuple[list[float], float]:
    """A plain AdamW loop over seeded shuffled batches; returns the losses and the seconds."""
    import torch

    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate)
    total = _total_steps(len(examples), settings)
    losses: list[float] = []
    model.train()
    start = time.perf_counter()
    for step, indices in enumerate(_batches(len(examples), settings), start=1):
        with _autocast(device, dtype):
            loss = loss_of([examples[i] for i in indices])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step, total, losses[-1])
    seconds = time.perf_counter() - start
    model.eval()
    return losses, seconds


# -- saving --------------------------------------------------------------------------------------
def _card(
    artifact: Literal["adapter", "merged"],
    task: Literal["classification", "generation"],
    out: Path,
    base: Path,
    labels: list[Any] | None,
    examples: list[dict[str, Any]],
    settings: LoraSettings,
    targets: list[str],
    model: Any,
    losses: list[float],
    seconds: float,
    device: str,
    dtype: Any,
) -> FinetuneResult:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return FinetuneResult(
        artifact=artifact,
        task=task,
        out_dir=str(out),
        adapter_dir=str(out),
        base_model=str(base),
        base_sha256=checkpoint_sha256(base),
        labels=labels,
        examples=len(examples),
        settings=settings,
        target_modules=targets,
        trainable_parameters=trainable,
        total_parameters=total,
        steps=len(losses),
        losses=losses,
        seconds=round(seconds, 3),
        device=device,
        precision="bf16 autocast" if str(dtype) == "torch.bfloat16" else "float32",
        versions=_versions(),
        created_at=_now(),
    )


def _train_and_save(
    task: Literal["classification", "generation"],
    model: Any,
    examples: list[dict[str, Any]],
    loss_of: Any,
    settings: LoraSettings,
    targets: list[str],
    base: Path,
    out: Path,
    labels: list[Any] | None,
    device: str,
    dtype: Any,
    progress: Any,
) -> FinetuneResult:
    """Train the wrapped model, then write the adapter and its card to ``out``."""
    losses, seconds = _train(model, examples, loss_of, settings, device, dtype, progress)
    result = _card(
        "adapter",
        task,
        out,
        base,
        labels,
        examples,
        settings,
        targets,
        model,
        losses,
        seconds,
        device,
        dtype,
    )
    _save_adapter(model, result, out)
    return result


def _save_adapter(model: Any, result: FinetuneResult, out: Path) -> None:
    staging = _staging(out)
    try:
        model.save_pretrained(staging)
        _publish(staging, out, result)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))


def _publish(staging: Path, out: Path, result: FinetuneResult) -> None:
    """Write the card into ``staging`` and move it to ``out`` in one rename."""
    (staging / CARD_FILE).write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if out.is_dir():
        out.rmdir()  # checked empty; a rename cannot replace a directory on every platform
    os.replace(staging, out)


def _versions() -> dict[str, str]:
    found = {}
    for package in ("torch", "transformers", "peft"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
