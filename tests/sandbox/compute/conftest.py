"""Helpers for the compute tests: a quotas file writer and an admin's settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.compute.quotas import quotas_path
from sandbox.config import Settings, load_settings


@pytest.fixture
def write_quotas(settings: Settings) -> Callable[[dict[str, Any]], Path]:
    """Write ``<home>/config/quotas.yaml`` from a mapping and return its path."""

    def write(content: dict[str, Any]) -> Path:
        path = quotas_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def admin(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same home, acting as an admin of test-bank."""
    monkeypatch.setenv("SANDBOX_ROLE", "admin")
    monkeypatch.setenv("SANDBOX_USER", "test-admin")
    return load_settings()
