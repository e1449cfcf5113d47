import pytest

from sandbox.compute.devices import (
    list_devices,
    physical_device_ids,
    select_device,
    select_dtype,
)
from sandbox.errors import ConfigError, PrerequisiteError

torch = pytest.importorskip("torch")
CUDA = torch.cuda.is_available()
needs_cpu_only = pytest.mark.skipif(CUDA, reason="checks the CPU-only behaviour")
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")


@needs_cpu_only
def test_on_cpu_there_are_no_devices_and_auto_picks_cpu() -> None:
    assert list_devices() == []
    assert select_device("auto") == "cpu"
    assert select_device("cpu") == "cpu"
    assert select_dtype("cpu") is torch.float32


@needs_cpu_only
def test_asking_for_cuda_without_one_fails_and_names_the_fix() -> None:
    with pytest.raises(PrerequisiteError) as info:
        select_device("cuda")
    assert "SANDBOX_DEVICE=cpu" in str(info.value)
    assert "GPU node" in str(info.value)


def test_unknown_devices_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="auto, cpu or cuda"):
        select_device("tpu")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        select_dtype("mps")


def test_child_device_ids_follow_the_parents_cuda_visible_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert physical_device_ids([0, 2]) == ["0", "2"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5,7")
    assert physical_device_ids([1, 2]) == ["5", "7"]


@pytest.mark.gpu
@needs_cuda
def test_cuda_devices_are_listed_with_memory() -> None:
    devices = list_devices()
    assert len(devices) == torch.cuda.device_count() >= 1
    first = devices[0]
    assert first.kind == "cuda" and first.name
    assert first.total_memory_mib > 1024
    assert (
        first.used_memory_mib is not None and 0 <= first.used_memory_mib <= first.total_memory_mib
    )
    if first.utilisation_pct is not None:
        assert 0 <= first.utilisation_pct <= 100


@pytest.mark.gpu
@needs_cuda
def test_cuda_is_selected_with_a_half_precision_dtype() -> None:
    assert select_device("auto") == select_device("cuda") == "cuda"
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    assert select_dtype("cuda") is expected
    x = torch.ones(4, device="cuda", dtype=select_dtype("cuda"))
    assert float(x.sum()) == 4.0
