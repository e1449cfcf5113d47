"""Which accelerators this machine has, and which device and dtype a run should use.

On a CPU-only machine ``list_devices()`` is empty and the embedded defaults run on the CPU;
asking for CUDA there is an error that names the fix, never a silent fallback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sandbox.errors import ConfigError, PrerequisiteError

if TYPE_CHECKING:
    import torch

DevicePreference = Literal["auto", "cpu", "cuda"]
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Device:
    """One CUDA device as this process sees it (``index`` honours CUDA_VISIBLE_DEVICES)."""

    index: int
    name: str
    total_memory_mib: int
    used_memory_mib: int | None
    """Memory in use on the device by all processes; None when it cannot be read."""
    utilisation_pct: float | None
    """GPU busy percentage from NVML; None without ``nvidia-ml-py`` or on error."""
    kind: str = "cuda"


def cuda_available() -> bool:
    """Whether torch can use a CUDA device here."""
    import torch

    return bool(torch.cuda.is_available())


def cuda_device_count() -> int:
    """How many CUDA devices this process sees (0 on CPU), without touching their memory."""
    import torch

    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def list_devices() -> list[Device]:
    """The CUDA devices visible to this process, with memory and utilisation; empty on CPU."""
    import torch

    if not torch.cuda.is_available():
        return []
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        total = int(props.total_memory) // _MIB
        used: int | None
        try:
            free_bytes, total_bytes = torch.cuda.mem_get_info(index)
            total = int(total_bytes) // _MIB
            used = (int(total_bytes) - int(free_bytes)) // _MIB
        except RuntimeError:
            used = None
        devices.append(
            Device(
                index=index,
                name=str(props.name),
                total_memory_mib=total,
                used_memory_mib=used,
                utilisation_pct=_nvml_utilisation(str(getattr(props, "uuid", "") or "")),
            )
        )
    return devices


def select_device(preference: DevicePreference = "auto") -> str:
    """Resolve ``SANDBOX_DEVICE`` (``Settings.device``) to ``"cuda"`` or ``"cpu"``.

    Args:
        preference: ``auto`` picks CUDA when available, else the CPU; ``cpu`` and ``cuda`` force
            one.

    Raises:
        PrerequisiteError: ``cuda`` was asked for and no CUDA device is usable.
        ConfigError: ``preference`` is not one of auto, cpu, cuda.
    """
    if preference == "cpu":
        return "cpu"
    if preference not in ("auto", "cuda"):
        raise ConfigError(f"unknown device '{preference}' (SANDBOX_DEVICE); use auto, cpu or cuda")
    if cuda_available():
        return "cuda"
    if preference == "cuda":
        raise PrerequisiteError(
            "SANDBOX_DEVICE=cuda but no CUDA device is usable here (torch.cuda.is_available() is "
            "False); set SANDBOX_DEVICE=cpu (or auto) to run on the CPU, or run on a GPU node "
            "with a CUDA build of torch"
        )
    return "cpu"


def select_dtype(device: str) -> torch.dtype:
    """The floating-point type for ``device``: bf16 on CUDA when supported, else fp16; fp32 on CPU.

    Raises:
        ConfigError: ``device`` is neither ``cpu`` nor ``cuda`` (``cuda:N`` is accepted).
    """
    import torch

    if device == "cpu":
        return torch.float32
    if device == "cuda" or device.startswith("cuda:"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    raise ConfigError(f"unknown device '{device}'; use 'cpu' or 'cuda'")


def physical_device_ids(indices: list[int]) -> list[str]:
    """Map this process's CUDA indices to the ids a child's CUDA_VISIBLE_DEVICES must name."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None or not visible.strip():
        return [str(i) for i in indices]
    parent = [part.strip() for part in visible.split(",") if part.strip()]
    return [parent[i] for i in indices]


def _nvml_utilisation(uuid: str) -> float | None:
    """GPU utilisation of the device with ``uuid`` through NVML, or None when unavailable."""
    if not uuid:
        return None
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        try:
            wanted = uuid if uuid.startswith("GPU-") else f"GPU-{uuid}"
            handle = pynvml.nvmlDeviceGetHandleByUUID(wanted)
            return float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        finally:
            pynvml.nvmlShutdown()
    except pynvml.NVMLError:
        return None
