"""What only the ``openai-compatible`` client does: turn server failures into errors a person can
act on, build the model card from what the server reports, and fetch embeddings without touching
the network beyond the server. The ChatModel contract is in test_provider_contract.py.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI

from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, UnknownNameError
from sandbox.models.base import GenerationConfig
from sandbox.models.embeddings import SentenceEmbedder
from sandbox.models.openai_compatible import (
    UNREPORTED,
    OpenAICompatibleChatModel,
    OpenAICompatibleEmbeddings,
)
from tests.sandbox.models.conftest import ModelServer

HELLO = [{"role": "user", "content": "Hello"}]
VLLM_MODEL = "Qwen/Qwen2.5-7B-Instruct"
REDIRECTED: list[int] = []  # requests that reached the redirect target


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.fixture(scope="module")
def vllm_like_url() -> Iterator[str]:
    """A loopback server whose model list looks like vLLM's: no ``sandbox_card``."""
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        entry = {"id": VLLM_MODEL, "object": "model", "owned_by": "vllm", "root": "/models/qwen"}
        return {"object": "list", "data": [entry]}

    @app.post("/v1/chat/completions")
    def chat() -> Any:
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/elsewhere/v1/chat/completions", status_code=307)

    @app.post("/elsewhere/v1/chat/completions")
    def elsewhere() -> dict[str, Any]:
        REDIRECTED.append(1)
        return {}

    sock = _listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the vLLM-like test server did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


# -- server failures -----------------------------------------------------------------------------
def test_unreachable_server_names_the_url_and_the_fix() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    model = OpenAICompatibleChatModel(url, "any", max_retries=0)
    for call in (lambda: model.generate(HELLO), lambda: model.card):
        with pytest.raises(PrerequisiteError, match="sandbox serve-model") as error:
            call()
        assert url in str(error.value)
    with pytest.raises(PrerequisiteError, match=f"cannot connect .*{port}"):
        OpenAICompatibleEmbeddings(url, max_retries=0).embed(["x"])


def test_a_server_that_never_answers_is_a_timeout() -> None:
    with _listening_socket() as silent:  # accepts connections, never replies
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        model = OpenAICompatibleChatModel(url, "any", timeout=0.5, max_retries=0)
        with pytest.raises(PrerequisiteError, match="did not answer within 0.5 s"):
            model.generate(HELLO)


def test_wrong_api_key_is_access_denied(model_server: ModelServer) -> None:
    model = OpenAICompatibleChatModel(model_server.base_url, model_server.model_id, api_key="bad")
    with pytest.raises(AccessDenied, match="incorrect API key"):
        model.generate(HELLO)
    with pytest.raises(AccessDenied, match="HTTP 401"):
        _ = model.card
    keyless = OpenAICompatibleChatModel(model_server.base_url, model_server.model_id)
    with pytest.raises(AccessDenied, match="incorrect API key"):  # it sends "EMPTY"
        keyless.top_logprobs(HELLO)


def test_server_rejections_carry_the_servers_message(model_server: ModelServer) -> None:
    model = OpenAICompatibleChatModel(
        model_server.base_url, model_server.model_id, api_key=model_server.api_key
    )
    with pytest.raises(ConfigError, match="rejected the request: .*'top_logprobs'"):
        model.top_logprobs(HELLO, k=21)
    other = OpenAICompatibleChatModel(model_server.base_url, "gpt-4o", api_key=model_server.api_key)
    with pytest.raises(UnknownNameError, match=f"does not serve 'gpt-4o'.*{model_server.model_id}"):
        _ = other.card
    with pytest.raises(UnknownNameError, match="404"):
        other.generate(HELLO)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "127.0.0.1:8000/v1"}, "must start with http"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"card_overrides": {"licence": "MIT", "weights": "abc"}}, "unknown card override"),
        ({"card_overrides": {"licence": ""}}, "non-empty"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"base_url": "http://127.0.0.1:8000/v1", "model": "m", **kwargs}
    with pytest.raises(ConfigError, match=message):
        OpenAICompatibleChatModel(**settings)


# -- the card ----------------------------------------------------------------------------------
def test_card_of_a_server_without_one_says_what_is_unknown(vllm_like_url: str) -> None:
    card = OpenAICompatibleChatModel(vllm_like_url, VLLM_MODEL).card
    assert card.provider == "openai-compatible" and card.name == VLLM_MODEL
    assert card.weights_sha256 == UNREPORTED == card.licence == card.version
    assert vllm_like_url in card.source


def test_card_overrides_fill_in_what_the_server_does_not_report(vllm_like_url: str) -> None:
    overrides = {"weights_sha256": "ab" * 32, "licence": "Apache-2.0", "version": "2.5"}
    card = OpenAICompatibleChatModel(vllm_like_url, VLLM_MODEL, card_overrides=overrides).card
    assert (card.weights_sha256, card.licence, card.version) == ("ab" * 32, "Apache-2.0", "2.5")
    assert card.to_provenance().weights_sha256 == "ab" * 32
    with pytest.raises(UnknownNameError, match=f"it serves: {VLLM_MODEL}"):
        _ = OpenAICompatibleChatModel(vllm_like_url, "llama").card


def test_override_contradicting_the_servers_card_is_refused(model_server: ModelServer) -> None:
    model = OpenAICompatibleChatModel(
        model_server.base_url,
        model_server.model_id,
        api_key=model_server.api_key,
        card_overrides={"weights_sha256": "0" * 64},
    )
    with pytest.raises(ConfigError, match="contradicts the server's card"):
        _ = model.card


# -- embeddings --------------------------------------------------------------------------------
def test_embeddings_equal_minilm_and_touch_only_the_server(model_server: ModelServer) -> None:
    texts = ["Hang Seng Bank: your verification code is 064227.", "Transfer HK$8,000 now, Mum."]
    contacted: list[str] = []
    recording = threading.Event()

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if recording.is_set() and event == "socket.getaddrinfo":
            contacted.append(str(args[0]))
        elif recording.is_set() and event == "socket.connect":
            address = args[1]
            contacted.append(str(address[0] if isinstance(address, tuple) else address))

    sys.addaudithook(audit)  # audit hooks cannot be removed; this one records only when set
    client = OpenAICompatibleEmbeddings(model_server.base_url, api_key=model_server.api_key)
    recording.set()
    try:
        vectors = client.embed(texts)
    finally:
        recording.clear()
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, SentenceEmbedder(cache_dir=None).transform(texts))
    assert contacted and set(contacted) <= {"127.0.0.1", "localhost", "::1"}, contacted


def test_redirects_are_never_followed(vllm_like_url: str) -> None:
    """A server that answers 307 cannot send the prompt on to another endpoint."""
    model = OpenAICompatibleChatModel(vllm_like_url, VLLM_MODEL, max_retries=0)
    with pytest.raises(AccessDenied, match="never follows redirects"):
        model.generate(HELLO, GenerationConfig(max_new_tokens=4))
    assert REDIRECTED == []
