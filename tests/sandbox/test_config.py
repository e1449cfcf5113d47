from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from sandbox.config import load_params, load_settings
from sandbox.errors import ConfigError
from sandbox.experiment import ExperimentParams


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    C: float = 1.0
    enabled: bool = True


class Params(ExperimentParams):
    rate: float = 0.5
    inner: Inner = Inner()


def test_defaults_yaml_and_overrides_layer_in_order(tmp_path: Path) -> None:
    config = tmp_path / "p.yaml"
    config.write_text("rate: 0.25\ninner:\n  C: 3\n")
    params = load_params(Params, config, ["inner.enabled=false", "seed=7"])
    assert params.rate == 0.25
    assert params.inner.C == 3.0
    assert params.inner.enabled is False
    assert params.seed == 7


def test_unknown_override_key_is_named() -> None:
    with pytest.raises(
        ConfigError, match="unknown parameter 'no_such_key'.*known: inner, rate, seed"
    ):
        load_params(Params, None, ["no_such_key=1"], label="x/y")


def test_unknown_nested_override_key_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown parameter 'inner.D'"):
        load_params(Params, None, ["inner.D=1"])


def test_unknown_yaml_key_is_named(tmp_path: Path) -> None:
    config = tmp_path / "p.yaml"
    config.write_text("inner:\n  typo: 1\n")
    with pytest.raises(ConfigError, match="'inner.typo': unknown key"):
        load_params(Params, config)


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match="'rate'"):
        load_params(Params, None, ["rate=fast"])


def test_override_without_equals_is_rejected() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        load_params(Params, None, ["rate"])


def test_missing_and_non_mapping_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_params(Params, tmp_path / "nope.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_params(Params, listy)


def test_settings_home_is_absolute_and_tracking_uri_lives_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SANDBOX_HOME", "relative-home")
    settings = load_settings()
    assert settings.home.is_absolute()
    assert (
        settings.resolved_tracking_uri == f"sqlite:///{tmp_path / 'relative-home/mlruns/mlflow.db'}"
    )


def test_bad_role_and_tenant_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_ROLE", "superuser")
    with pytest.raises(ConfigError, match="SANDBOX_ROLE"):
        load_settings()
    monkeypatch.setenv("SANDBOX_ROLE", "validator")
    monkeypatch.setenv("SANDBOX_TENANT", "Bad Tenant!")
    with pytest.raises(ConfigError, match="SANDBOX_TENANT"):
        _ = load_settings().identity
