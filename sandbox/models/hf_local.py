"""The ``hf-local`` chat-model provider: any Hugging Face checkpoint directory from the centre's
model store (a path in config, never a hub id at run time), on CUDA in bf16 with
``device_map="auto"`` when a GPU is there, on CPU in float32 otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from sandbox.errors import ConfigError, PrerequisiteError
from sandbox.models.base import ModelCard
from sandbox.models.transformers_chat import TransformersChatModel

__all__ = ["HFLocalChatModel", "checkpoint_sha256", "read_licence"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")
_HASH_CHUNK = 8 << 20


def _weight_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)


def checkpoint_sha256(path: Path) -> str:
    """One sha256 over a checkpoint's weight files: of the sorted ``name:sha256`` lines.

    A single-file checkpoint's hash is therefore not the file's own sha256; the RunRecord's
    ``source`` says which files it covers. A sidecar ``.sandbox-sha256.json`` keyed by file size
    and modification time saves re-hashing large checkpoints on every load (when writable).
    """
    files = _weight_files(path)
    if not files:
        raise PrerequisiteError(f"{path} holds no weight files ({', '.join(_WEIGHT_SUFFIXES)})")
    key = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    sidecar = path / ".sandbox-sha256.json"
    try:
        cached = json.loads(sidecar.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return str(cached["sha256"])
    except (OSError, ValueError):
        pass
    lines = []
    for file in files:
        digest = hashlib.sha256()
        with open(file, "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
        lines.append(f"{file.name}:{digest.hexdigest()}")
    combined = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    with contextlib.suppress(OSError):  # a read-only model store: hash again next time
        sidecar.write_text(json.dumps({"key": key, "sha256": combined}), encoding="utf-8")
    return combined


def read_licence(path: Path) -> str:
    """The checkpoint's licence from its model card front matter (``license:``), or a LICENSE file.

    Returns ``"unknown (no licence in the checkpoint)"`` when neither says; the review report shows
    that as a provenance gap (HKMA-AI-7).
    """
    readme = path / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
            for line in front.splitlines():
                if line.strip().lower().startswith("license:"):
                    value = line.split(":", 1)[1].strip().strip("\"'")
                    if value:
                        return value
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        licence = path / name
        if licence.is_file():
            first = licence.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            return first[0][:80] if first else name
    return "unknown (no licence in the checkpoint)"


class HFLocalChatModel(TransformersChatModel):
    """A causal LM checkpoint directory run with transformers (``hf-local``).

    Args:
        path: Checkpoint directory (``config.json``, tokenizer files, weights).
        device: ``auto``, ``cpu`` or ``cuda``; ``cuda`` without a GPU is an error, never a
            silent fall-back to CPU.
        name: Name for the model card; defaults to the checkpoint's ``_name_or_path`` or the
            directory name.
        base_model: Base model for the card (e.g. the model a LoRA adapter was merged into).

    Raises:
        PrerequisiteError: The directory is missing or is not a transformers checkpoint.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "auto",
        name: str | None = None,
        base_model: str = "",
    ) -> None:
        super().__init__()
        self.path = Path(path).expanduser().resolve()
        if not (self.path / "config.json").is_file():
            raise PrerequisiteError(
                f"hf-local model path {self.path} is not a checkpoint directory (no config.json); "
                "point `path` in <home>/config/models.yaml at a directory from the model store"
            )
        try:
            config = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
        except ValueError as error:
            raise PrerequisiteError(f"{self.path / 'config.json'} is not JSON ({error})") from None
        if device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device must be auto, cpu or cuda; got {device!r}")
        self.requested_device = device
        self.name = name or str(config.get("_name_or_path") or self.path.name)
        self.display_name = self.name
        self.base_model = base_model
        self._card: ModelCard | None = None
        self._card_lock = threading.Lock()

    @property
    def card(self) -> ModelCard:
        """Name, checkpoint directory, licence and the sha256 over its weight files."""
        with self._card_lock:
            if self._card is None:
                files = ", ".join(f.name for f in _weight_files(self.path))
                self._card = ModelCard(
                    name=self.name,
                    version=f"checkpoint {self.path.name}",
                    provider="hf-local",
                    weights_sha256=checkpoint_sha256(self.path),
                    licence=read_licence(self.path),
                    base_model=self.base_model,
                    source=f"model store directory {self.path} (weights: {files})",
                )
            return self._card

    def _load(self) -> tuple[Any, Any, str]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from sandbox.compute.devices import select_device, select_dtype

        device = select_device(self.requested_device)
        options: dict[str, Any] = {"local_files_only": True, "dtype": select_dtype(device)}
        if device == "cuda":
            options["device_map"] = "auto"
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.path, **options)
        except (OSError, ValueError) as error:
            raise PrerequisiteError(
                f"cannot load the hf-local checkpoint {self.path}: {error}"
            ) from None
        if tokenizer.chat_template is None:
            raise PrerequisiteError(
                f"{self.path} has no chat template in its tokenizer config; use an instruction-"
                "tuned checkpoint or add a chat_template to tokenizer_config.json"
            )
        return model, tokenizer, str(self.path)
