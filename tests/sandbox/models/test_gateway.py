"""The model gateway: privacy guard in and out, audit, quotas, allowlist, timeouts, retries.

Quota, allowlist, timeout and retry behaviour is exercised with a scripted in-process chat model
(a stand-in for a remote endpoint that cannot run here); the privacy round trip runs the real
embedded SmolLM2 model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from sandbox.audit import AuditLog
from sandbox.config import Settings, load_settings
from sandbox.errors import AccessDenied, PrerequisiteError, QuotaExceeded
from sandbox.models.base import (
    GenerationConfig,
    GenerationResult,
    Message,
    ModelCard,
    label_distribution,
)
from sandbox.models.embedded import embedded_status
from sandbox.models.gateway import Gateway, GatewayPolicy, ModelUnavailable

HKID = "A123456(3)"
PHONE = "9123 4567"


class ScriptedModel:
    """Answers with a fixed text (or by echoing), can be slow or fail a number of times."""

    def __init__(
        self,
        answer: str | None = "OK.",
        *,
        provider: str = "embedded",
        delay: float = 0.0,
        failures: int = 0,
    ) -> None:
        self.answer = answer
        self.delay = delay
        self.failures = failures
        self.calls: list[tuple[list[Message], GenerationConfig | None]] = []
        self._card = ModelCard(
            name="scripted",
            version="1",
            provider=provider,  # type: ignore[arg-type]
            weights_sha256="0" * 64,
            licence="test",
            source="test double",
        )

    @property
    def card(self) -> ModelCard:
        return self._card

    def generate(self, messages: list[Message], config: GenerationConfig | None = None):
        self.calls.append((messages, config))
        if self.delay:
            time.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            raise PrerequisiteError("connection refused by http://127.0.0.1:9/v1")
        text = messages[-1]["content"] if self.answer is None else self.answer
        return GenerationResult(text=text, prompt_tokens=10, completion_tokens=5, seconds=0.01)

    def top_logprobs(self, messages: list[Message], k: int = 20) -> list[tuple[str, float]]:
        self.calls.append((messages, None))
        return [("scam", -0.1), ("legit", -2.5)]

    def label_probabilities(self, messages: list[Message], labels: Sequence[str]):
        return label_distribution(self.top_logprobs(messages), labels)


def _write_yaml(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(payload), encoding="utf-8")


def _audit_text(settings: Settings) -> str:
    return settings.audit_log_path.read_text(encoding="utf-8")


def _gateway(settings: Settings, model: ScriptedModel, **policy: object) -> Gateway:
    return Gateway(settings, "scripted", chat_model=model, policy=GatewayPolicy(**policy))


def test_prompt_is_pseudonymised_and_audit_holds_hashes_not_text(settings: Settings) -> None:
    model = ScriptedModel(answer=None)  # echoes the prompt it received
    reply = _gateway(settings, model).chat(
        [{"role": "user", "content": f"My HKID is {HKID} and my phone is {PHONE}."}]
    )
    received = model.calls[0][0][0]["content"]
    assert HKID not in received and PHONE not in received
    assert "<HK_ID_" in received and "<HK_PHONE_" in received
    assert reply.redactions["input"] == {"HK_ID": 1, "HK_PHONE": 1}
    assert HKID not in reply.text  # the caller sees tokens
    audit = _audit_text(settings)
    assert HKID not in audit and PHONE not in audit and "91234567" not in audit
    entry = [e for e in AuditLog(settings.audit_log_path).entries() if e.action == "model.chat"][-1]
    assert len(entry.details["prompt_sha256"]) == 64
    assert entry.details["prompt_tokens"] == 10 and entry.details["completion_tokens"] == 5
    assert entry.details["latency_ms"] >= 0 and entry.target == "scripted"


def test_no_role_gets_values_back_from_a_model_call(settings: Settings) -> None:
    """Re-identification needs a second person (the vault's request/approve): a compliance
    officer asking the model to repeat a pseudonym sees the pseudonym, not the value."""
    model = ScriptedModel(answer=None)
    _gateway(settings, model).chat([{"role": "user", "content": f"HKID {HKID}"}])
    officer = load_settings(role="compliance_officer")
    reply = _gateway(officer, model).chat([{"role": "user", "content": "Repeat: <HK_ID_1>"}])
    assert "<HK_ID_1>" in reply.text and HKID not in reply.text
    assert reply.text == reply.model_text


def test_token_quota_refuses_before_calling_the_model(settings: Settings) -> None:
    _write_yaml(
        settings.home / "config" / "quotas.yaml", {"tenants": {"test-bank": {"tokens_per_day": 40}}}
    )
    model = ScriptedModel()
    gateway = _gateway(settings, model)
    gateway.chat([{"role": "user", "content": "hi"}], GenerationConfig(max_new_tokens=8))
    with pytest.raises(QuotaExceeded, match="tokens") as error:
        gateway.chat([{"role": "user", "content": "hi again"}], GenerationConfig(max_new_tokens=30))
    assert "test-bank" in str(error.value) and "quotas.yaml" in str(error.value)
    assert len(model.calls) == 1


def test_concurrent_request_quota(settings: Settings) -> None:
    _write_yaml(
        settings.home / "config" / "quotas.yaml",
        {"tenants": {"test-bank": {"concurrent_requests": 1}}},
    )
    slow = ScriptedModel(delay=1.5)
    first = _gateway(settings, slow)
    started = threading.Event()
    worker = threading.Thread(
        target=lambda: (started.set(), first.chat([{"role": "user", "content": "slow"}]))
    )
    worker.start()
    started.wait()
    time.sleep(0.5)
    try:
        with pytest.raises(QuotaExceeded, match="concurrent"):
            _gateway(settings, ScriptedModel()).chat([{"role": "user", "content": "second"}])
    finally:
        worker.join()


def test_endpoint_not_on_allowlist_is_refused(settings: Settings) -> None:
    _write_yaml(
        settings.home / "config" / "models.yaml",
        {
            "models": {
                "outside": {
                    "provider": "openai-compatible",
                    "base_url": "https://api.example.com/v1",
                    "model": "gpt-x",
                }
            }
        },
    )
    with pytest.raises(AccessDenied, match="not on the allowlist") as error:
        Gateway(settings, "outside")
    assert "https://api.example.com" in str(error.value)
    assert "allowed_endpoints" in str(error.value)


def test_hkma_reviewer_may_not_call_models(settings: Settings) -> None:
    with pytest.raises(AccessDenied):
        _gateway(load_settings(role="hkma_reviewer"), ScriptedModel())


def test_timeout_is_reported_and_audited(settings: Settings) -> None:
    gateway = _gateway(settings, ScriptedModel(delay=1.0), timeout_s=0.2)
    with pytest.raises(ModelUnavailable, match="within 0.2 s"):
        gateway.chat([{"role": "user", "content": "hi"}])
    assert '"model.failed"' in _audit_text(settings)


def test_remote_failures_are_retried(settings: Settings) -> None:
    model = ScriptedModel(provider="openai-compatible", failures=2)
    reply = _gateway(settings, model, retries=2, backoff_s=0.01).chat(
        [{"role": "user", "content": "hi"}]
    )
    assert reply.attempts == 3
    failing = ScriptedModel(provider="openai-compatible", failures=5)
    with pytest.raises(ModelUnavailable, match="after 2 attempt"):
        _gateway(settings, failing, retries=1, backoff_s=0.01).chat(
            [{"role": "user", "content": "hi"}]
        )


def test_deterministic_mode_forces_greedy_and_seed(settings: Settings) -> None:
    model = ScriptedModel()
    _gateway(settings, model, deterministic=True, seed=7).chat(
        [{"role": "user", "content": "hi"}], GenerationConfig(temperature=0.9, seed=1)
    )
    config = model.calls[0][1]
    assert config is not None and config.temperature == 0.0 and config.seed == 7


def test_batch_scoring_writes_one_audit_entry(settings: Settings) -> None:
    gateway = _gateway(settings, ScriptedModel())
    conversations = [[{"role": "user", "content": f"Call {PHONE} now {i}"}] for i in range(3)]
    results = gateway.label_probabilities(conversations, ["scam", "legitimate"], purpose="t")
    assert len(results) == 3 and results[0]["scam"] > 0.9
    entries = [e for e in AuditLog(settings.audit_log_path).entries() if e.action == "model.score"]
    assert len(entries) == 1 and entries[0].details["items"] == 3
    assert entries[0].details["redactions_input"] == {"HK_PHONE": 3}
    assert PHONE not in _audit_text(settings)


@pytest.fixture(scope="module")
def embedded_available() -> None:
    usable, reason = embedded_status()
    if not usable:
        pytest.skip(reason)


def test_real_model_chat_with_hkid_and_phone(settings: Settings, embedded_available: None) -> None:
    """The issue's acceptance: the model receives pseudonyms, the audit holds no raw PII, and
    only a role that may re-identify sees the values again."""
    messages = [
        {"role": "system", "content": "Repeat the user's message exactly, nothing else."},
        {"role": "user", "content": f"HKID {HKID}, phone {PHONE}."},
    ]
    config = GenerationConfig(max_new_tokens=32)
    policy = GatewayPolicy(deterministic=True)
    scientist = Gateway(settings, "embedded", policy=policy).chat(messages, config)
    assert HKID not in scientist.sent[-1]["content"] and PHONE not in scientist.sent[-1]["content"]
    assert HKID not in scientist.text and PHONE not in scientist.text
    assert scientist.completion_tokens > 0
    officer = Gateway(load_settings(role="compliance_officer"), "embedded", policy=policy)
    reply = officer.chat(messages, config)
    assert reply.model_text == scientist.model_text  # same tokens, same greedy answer
    assert "<HK_ID_1>" in reply.model_text, reply.model_text  # SmolLM2 echoes the token
    assert HKID not in reply.text  # no role gets values back from a model call
    audit = _audit_text(settings)
    assert HKID not in audit and PHONE not in audit


def test_embedding_caches_are_kept_per_tenant(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One bank's cached vectors (derived from its texts) are never read by another bank."""
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "cache"))
    banks = {}
    for bank in ("bank-a", "bank-b"):
        monkeypatch.setenv("SANDBOX_TENANT", bank)
        banks[bank] = load_settings()
        Gateway(banks[bank], "embedded").embed([f"card blocked at {bank}"])
    a, b = (banks[bank].tenant_cache_dir for bank in ("bank-a", "bank-b"))
    assert a != b and a.parent == b.parent
    assert any((a / "embeddings").iterdir()) and any((b / "embeddings").iterdir())
    shared = tmp_path / "cache" / "embeddings"
    assert not shared.exists(), "embeddings must not land in the shared cache"
