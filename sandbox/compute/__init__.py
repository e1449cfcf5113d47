"""Device selection: CUDA when present or demanded, CPU otherwise; never a silent fallback."""

from __future__ import annotations

from sandbox.config import Settings
from sandbox.errors import PrerequisiteError


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def select_device(settings: Settings) -> str:
    """``cuda`` or ``cpu`` from ``settings.device``; demanding CUDA without a GPU is an error."""
    if settings.device == "cpu":
        return "cpu"
    available = cuda_available()
    if settings.device == "cuda" and not available:
        raise PrerequisiteError(
            "SANDBOX_DEVICE=cuda but no CUDA device is visible; run on a GPU node of the centre "
            "or set SANDBOX_DEVICE=auto (or cpu) to use the embedded CPU defaults"
        )
    return "cuda" if available else "cpu"
