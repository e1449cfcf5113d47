from pathlib import Path

import pytest

from sandbox.compute.quotas import TenantQuota, load_quota, load_quotas, quotas_path
from sandbox.config import Settings
from sandbox.errors import ConfigError


def test_missing_file_gives_the_documented_defaults(settings: Settings) -> None:
    assert not quotas_path(settings).exists()
    quota = load_quota(settings)
    assert quota == TenantQuota()
    assert (quota.tokens_per_day, quota.concurrent_requests) == (2_000_000, 4)
    assert (quota.gpu_seconds_per_day, quota.concurrent_jobs) == (28_800, 2)


def test_tenant_entries_override_default_keys(settings: Settings, write_quotas) -> None:
    write_quotas(
        {
            "default": {"tokens_per_day": 1000, "concurrent_jobs": 1},
            "tenants": {"bank-a": {"concurrent_requests": 9}, "test-bank": {"tokens_per_day": 5}},
        }
    )
    bank_a = load_quota(settings, "bank-a")
    assert (bank_a.tokens_per_day, bank_a.concurrent_requests, bank_a.concurrent_jobs) == (
        1000,
        9,
        1,
    )
    assert load_quota(settings, "bank-z").tokens_per_day == 1000  # unlisted: the default
    assert load_quota(settings).tokens_per_day == 5  # the acting tenant (test-bank)
    assert set(load_quotas(settings).tenants) == {"bank-a", "test-bank"}


def test_unknown_key_names_the_key_and_the_file(settings: Settings, write_quotas) -> None:
    path = write_quotas({"tenants": {"bank-a": {"tokens_per_dya": 10}}})
    with pytest.raises(ConfigError, match=r"tenants\.bank-a\.tokens_per_dya") as info:
        load_quota(settings, "bank-a")
    assert str(path) in str(info.value)
    assert "tokens_per_day" in str(info.value)  # lists the known keys


@pytest.mark.parametrize(
    "content, key",
    [
        ({"default": {"concurrent_requests": -1}}, "default.concurrent_requests"),
        ({"tenants": {"bank-a": {"gpu_seconds_per_day": "lots"}}}, "bank-a.gpu_seconds_per_day"),
        ({"limits": {}}, "limits"),
        ({"tenants": {"Bank A": {}}}, "tenants.Bank A"),
        ({"tenants": ["bank-a"]}, "tenants"),
    ],
)
def test_bad_values_are_config_errors_naming_the_key(
    settings: Settings, write_quotas, content: dict, key: str
) -> None:
    write_quotas(content)
    with pytest.raises(ConfigError, match=key):
        load_quotas(settings)


def test_invalid_yaml_is_a_config_error(settings: Settings) -> None:
    path = quotas_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text("default: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_quotas(settings)


def test_empty_file_means_defaults(settings: Settings, write_quotas) -> None:
    path: Path = write_quotas({})
    path.write_text("", encoding="utf-8")
    assert load_quota(settings, "bank-a") == TenantQuota()
