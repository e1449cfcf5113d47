"""The OpenAI-compatible model server (``sandbox serve-model``): the HTTP behaviour clients rely on.

Most tests call the app in-process (FastAPI's TestClient) around the session's embedded model;
those about the real process (loopback refusal, responsiveness during generation, embeddings)
use the ``sandbox serve-model`` subprocess of conftest.py.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from sandbox.config import PROJECT_ROOT, Settings
from sandbox.errors import AccessDenied, ConfigError, PrerequisiteError, UnknownNameError
from sandbox.models.base import GenerationConfig
from sandbox.models.embedded import EmbeddedChatModel
from sandbox.models.embeddings import SentenceEmbedder
from sandbox.models.serve import create_app, serve
from sandbox.models.serve_cli import serve_model
from tests.sandbox.models.conftest import ModelServer

MODEL_ID = "smollm2"
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def client(embedded_model: EmbeddedChatModel) -> TestClient:
    return TestClient(create_app(embedded_model, model_id=MODEL_ID))


def chat(client: TestClient | httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/v1/chat/completions", json={"model": MODEL_ID, **body})


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    return error


# -- the API, in-process -----------------------------------------------------------------------
def test_health_and_model_list_carry_the_card(
    client: TestClient, embedded_model: EmbeddedChatModel
) -> None:
    assert client.get("/health").json()["status"] == "ok"
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == [MODEL_ID]
    assert listed["data"][0]["sandbox_card"] == embedded_model.card.model_dump()
    assert client.get(f"/v1/models/{MODEL_ID}").json()["id"] == MODEL_ID


def test_chat_completion_has_the_openai_shape(
    client: TestClient, embedded_model: EmbeddedChatModel
) -> None:
    body = chat(
        client, messages=FRANCE, max_tokens=4, temperature=0, logprobs=True, top_logprobs=3
    ).json()
    assert body["object"] == "chat.completion" and body["model"] == MODEL_ID
    choice = body["choices"][0]
    expected = embedded_model.generate(FRANCE, GenerationConfig(max_new_tokens=4))
    assert choice["message"] == {"role": "assistant", "content": expected.text}
    assert choice["finish_reason"] == "length"
    usage = body["usage"]
    assert usage["prompt_tokens"] == expected.prompt_tokens
    assert usage["completion_tokens"] == 4 == usage["total_tokens"] - usage["prompt_tokens"]
    first = choice["logprobs"]["content"][0]
    assert len(first["top_logprobs"]) == 3 and first["top_logprobs"][0]["token"] == first["token"]
    assert expected.text.startswith(first["token"])
    assert bytes(first["bytes"]).decode("utf-8") == first["token"]
    # same model, same prompt; the server's thread may run torch with another thread count,
    # which moves float sums in the last digits
    assert first["logprob"] == pytest.approx(embedded_model.top_logprobs(FRANCE, 1)[0][1], abs=1e-4)


def test_stop_string_ends_the_completion(client: TestClient) -> None:
    body = chat(client, messages=FRANCE, max_tokens=16, temperature=0, stop="Paris").json()
    assert body["choices"][0]["message"]["content"] == "The capital of France is "
    assert body["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"stream": True}, "stream=true is not supported"),
        ({"n": 2}, "n must be 1"),
        ({"logprobs": True}, "greedy decoding only; send temperature=0"),
        ({"logprobs": True, "temperature": 0, "top_logprobs": 21}, "'top_logprobs'"),
        ({"top_logprobs": 5, "temperature": 0}, "top_logprobs needs logprobs=true"),
        ({"stop": ["", "x"]}, "stop strings must be non-empty"),
        ({"tools": [{"type": "function"}]}, "'tools': unknown parameter"),
        ({"top_p": 0.5}, "top_p must be 1"),
        ({"seed": -1}, "'seed'"),
        ({"messages": [{"role": "bot", "content": "Hi"}]}, "messages[0] has role 'bot'"),
        ({"messages": []}, "messages is empty"),
        ({"max_tokens": 100_000}, "prompt plus answer needs"),  # the model's own ConfigError
    ],
)
def test_bad_requests_are_400_with_the_reason(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    error = error_of(chat(client, **{"messages": FRANCE, **body}), 400)
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in error_of(response, 400)["message"]


def test_unknown_model_route_and_embeddings_are_404(client: TestClient) -> None:
    error = error_of(
        client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": FRANCE}), 404
    )
    assert error["code"] == "model_not_found" and MODEL_ID in error["message"]
    error = error_of(
        client.post("/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": "x"}), 404
    )
    assert "serves no embedding model" in error["message"]
    assert "Not Found" in error_of(client.get("/v1/completions"), 404)["message"]


def test_api_key_guards_v1_but_not_health(embedded_model: EmbeddedChatModel) -> None:
    guarded = TestClient(create_app(embedded_model, model_id=MODEL_ID, api_key="s3cret"))
    assert guarded.get("/health").status_code == 200
    missing = guarded.get("/v1/models")
    assert error_of(missing, 401)["code"] == "invalid_api_key"
    assert "Authorization: Bearer" in missing.json()["error"]["message"]
    wrong = guarded.get("/v1/models", headers={"Authorization": "Bearer guess"})
    assert "incorrect API key" in error_of(wrong, 401)["message"]
    right = guarded.get("/v1/models", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200


def test_access_log_has_no_request_content(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "My HKID is A123456(7), call 9123 4567"
    with caplog.at_level(logging.INFO, logger="sandbox.models.serve"):
        chat(client, messages=[{"role": "user", "content": secret}], max_tokens=1, temperature=0)
        chat(client, messages=[{"role": "bot", "content": secret}])
    assert "POST /v1/chat/completions 200" in caplog.text
    assert "POST /v1/chat/completions 400" in caplog.text
    assert "A123456" not in caplog.text and "9123" not in caplog.text


# -- serving on loopback only ------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "models.example.com"])
def test_non_loopback_host_is_refused(embedded_model: EmbeddedChatModel, host: str) -> None:
    with pytest.raises(AccessDenied, match="loopback only") as error:
        serve(embedded_model, host=host, port=0, model_id=MODEL_ID)
    assert "vLLM behind the model gateway" in str(error.value)


def test_port_in_use_names_the_fix(embedded_model: EmbeddedChatModel) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PrerequisiteError, match=f"port {port}.*--port"):
            serve(embedded_model, host="127.0.0.1", port=port, model_id=MODEL_ID)


def test_cli_refuses_non_loopback_host_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.models.serve_cli", "--host", "0.0.0.0"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == AccessDenied.exit_code
    assert result.stderr.startswith("error: refusing to serve on '0.0.0.0'")
    assert "Traceback" not in result.stderr and "loading" not in result.stdout


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"model": "vllm"}, UnknownNameError, "known: embedded, hf-local"),
        ({"model": "hf-local"}, ConfigError, "needs --path"),
        ({"device": "cuda"}, ConfigError, "embedded model runs on the CPU"),
        ({"api_key_env": "SANDBOX_TEST_UNSET_KEY"}, ConfigError, "SANDBOX_TEST_UNSET_KEY"),
    ],
)
def test_cli_options_are_checked_before_loading(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        serve_model(**options)


# -- the real server process -------------------------------------------------------------------
def test_health_answers_while_a_generation_runs(model_server: ModelServer) -> None:
    headers = {"Authorization": f"Bearer {model_server.api_key}"}
    body = {
        "model": model_server.model_id,
        "messages": [{"role": "user", "content": "Write a long story about a cat."}],
        "max_tokens": 32,
        "temperature": 0,
    }
    done: list[float] = []

    def generate() -> None:
        httpx.post(
            f"{model_server.base_url}/chat/completions", json=body, headers=headers, timeout=120
        ).raise_for_status()
        done.append(time.perf_counter())

    worker = threading.Thread(target=generate)
    worker.start()
    time.sleep(0.3)  # let the generation start
    health = httpx.get(model_server.base_url.removesuffix("/v1") + "/health", timeout=5)
    answered = time.perf_counter()
    worker.join(timeout=120)
    assert health.status_code == 200
    assert done and answered < done[0], "/health waited for the generation to finish"


def test_stream_true_is_rejected_by_the_server(model_server: ModelServer) -> None:
    response = httpx.post(
        f"{model_server.base_url}/chat/completions",
        json={"model": model_server.model_id, "messages": FRANCE, "stream": True},
        headers={"Authorization": f"Bearer {model_server.api_key}"},
        timeout=30,
    )
    error = error_of(response, 400)
    assert "stream=true is not supported" in error["message"] and error["param"] == "stream"


def test_embeddings_are_minilm_vectors(model_server: ModelServer) -> None:
    texts = ["Your OTP is 123456.", "URGENT: verify your account at http://hsbc-verify.xyz", ""]
    response = httpx.post(
        f"{model_server.base_url}/embeddings",
        json={"model": "all-MiniLM-L6-v2", "input": texts, "encoding_format": "float"},
        headers={"Authorization": f"Bearer {model_server.api_key}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    served = np.array([item["embedding"] for item in body["data"]], dtype=np.float32)
    assert served.shape == (3, 384)
    np.testing.assert_array_equal(served, SentenceEmbedder(cache_dir=None).transform(texts))
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    assert body["usage"]["prompt_tokens"] > 0


def test_each_answered_call_is_reported_without_its_text(
    embedded_model: EmbeddedChatModel,
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    audited = TestClient(
        create_app(embedded_model, model_id=MODEL_ID, on_call=lambda r, c: calls.append((r, c)))
    )
    secret = "My HKID is A123456(7)"
    chat(audited, messages=[{"role": "user", "content": secret}], max_tokens=2, temperature=0)
    chat(audited, messages=[{"role": "bot", "content": secret}])  # refused: not reported
    assert [route for route, _ in calls] == ["chat.completions"]
    counts = calls[0][1]
    assert counts["model"] == MODEL_ID and counts["completion_tokens"] == 2
    assert "A123456" not in repr(calls)


def test_cli_generates_a_private_key_when_none_is_given(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.models.serve_cli import DEFAULT_KEY_ENV, _api_key

    monkeypatch.delenv(DEFAULT_KEY_ENV, raising=False)
    key = _api_key(DEFAULT_KEY_ENV, settings.home)
    path = settings.home / "model-server" / "api.key"
    assert len(key) >= 32 and path.read_text(encoding="utf-8") == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert _api_key(DEFAULT_KEY_ENV, settings.home) == key  # reused on a later start
