"""The ChatModel contract, run for real against every provider with the same SmolLM2 weights:

- ``embedded``: EmbeddedChatModel in this process;
- ``hf-local``: HFLocalChatModel on the embedded model's de-quantised cache folder;
- ``openai-compatible``: OpenAICompatibleChatModel (LangChain's ChatOpenAI) against a
  ``sandbox serve-model`` subprocess on loopback.

Since the weights are the same, the remote provider must also agree with the in-process one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest

from sandbox.errors import ConfigError
from sandbox.experiment import ModelProvenance
from sandbox.models.base import ChatModel, GenerationConfig
from sandbox.models.embedded import EmbeddedChatModel
from sandbox.models.hf_local import HFLocalChatModel
from sandbox.models.openai_compatible import OpenAICompatibleChatModel
from tests.sandbox.models.conftest import ModelServer

PROVIDERS = ["embedded", "hf-local", "openai-compatible"]
LABELS = ["scam", "legitimate"]

# A six-shot prompt. SmolLM2-135M is near chance at zero-shot scam detection (all answers
# "scam" with p > 0.98, ranking AUC 0.55-0.60 on the synthetic HK corpus); with these examples it
# ranks obvious scams above OTP messages. The result depends on the examples and their order
# (one reordering of four of them drops to chance), so this prompt is pinned here.
SYSTEM = (
    "You classify SMS messages sent to Hong Kong bank customers as scam or legitimate. "
    "Answer with one word."
)
SHOTS = [
    (
        "Your HSBC account is locked. Verify now at http://hsbc-secure-login.top to avoid "
        "suspension.",
        "scam",
    ),
    ("HSBC: Your statement for May is ready. Log on to the HSBC HK app to view it.", "legitimate"),
    (
        "Hi, this is your son. My phone broke, please send HK$3,000 to my friend's account "
        "012-345-678 now.",
        "scam",
    ),
    ("Hang Seng: HKD1,200.00 was paid by your card *1234 at Wellcome on 3 May.", "legitimate"),
    (
        "Congratulations! You won HK$50,000. Pay a HK$200 handling fee to claim: bit.ly/win-hk",
        "scam",
    ),
    ("Octopus: HK$250 was added to your card by Automatic Add Value on 2 June.", "legitimate"),
]

OBVIOUS_SCAMS = [
    "URGENT! You have won a HK$1,000,000 prize. Click http://claim-prize.top now and enter your "
    "bank card number to collect it.",
    "Your bank account has been suspended. Confirm your password and card PIN at "
    "http://hsbc-verify.xyz within 24 hours or lose your money.",
    "Congratulations! You were selected for a free iPhone. Pay the HK$50 delivery fee at "
    "bit.ly/free-iphone-hk today.",
    "This is the police. Your account is linked to money laundering. Transfer all your savings to "
    "safe account 123-456-789 immediately and tell no one.",
    "Final notice: unpaid toll HK$45. Pay now at hketoll-pay.top or your driving licence will be "
    "cancelled.",
    "Dear customer, your parcel is held at customs. Pay HK$30 clearance fee with your credit card "
    "at http://hkpost-fee.click",
    "Mum, I lost my phone. This is my new number. Please transfer HK$8,000 to this account now, "
    "it's urgent, I'll explain later.",
    "Earn HK$5,000 a day working from home! Guaranteed returns. Send a HK$500 deposit to start: "
    "wa.me/85291234567",
]
OBVIOUS_OTPS = [
    "Your one-time password is 482913. It expires in 5 minutes. Never share it with anyone, "
    "including bank staff.",
    "HSBC: 551203 is your OTP to log on to HSBC HK Mobile Banking. Do not share this code with "
    "anyone.",
    "DBS: Use OTP 730118 to confirm your transfer of HKD 500.00. DBS will never ask for your OTP.",
    "Hang Seng Bank: Your verification code is 064227. It is valid for 10 minutes.",
]
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]

Scores = dict[str, list[dict[str, float]]]
"""Per provider: label probabilities of OBVIOUS_SCAMS + OBVIOUS_OTPS, in that order."""


def classify(sms: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM}]
    for example, label in SHOTS:
        messages.append({"role": "user", "content": f'SMS: "{example}"'})
        messages.append({"role": "assistant", "content": label})
    messages.append({"role": "user", "content": f'SMS: "{sms}"'})
    return messages


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module", params=PROVIDERS)
def provider(
    request: pytest.FixtureRequest, embedded_model: EmbeddedChatModel
) -> Iterator[tuple[str, ChatModel]]:
    """``(provider name, model)``: one model per provider per module, the same weights in each."""
    name = request.param
    if name == "embedded":
        yield name, embedded_model
    elif name == "hf-local":
        folder = embedded_model._cache_folder()
        assert folder is not None
        yield name, HFLocalChatModel(folder, device="cpu").load()
    else:
        server: ModelServer = request.getfixturevalue("model_server")
        yield (
            name,
            OpenAICompatibleChatModel(
                server.base_url, server.model_id, api_key=server.api_key, timeout=60.0
            ),
        )


@pytest.fixture
def model(provider: tuple[str, ChatModel]) -> ChatModel:
    return provider[1]


@pytest.fixture(scope="module")
def scored() -> Scores:
    """Label probabilities of OBVIOUS_SCAMS + OBVIOUS_OTPS per provider, each computed once.

    Six-shot prompts cost about a second each on two cores; the ranking and agreement tests share
    these numbers instead of scoring the same messages again.
    """
    return {}


def scores(name: str, model: ChatModel, memo: Scores) -> list[dict[str, float]]:
    if name not in memo:
        texts = OBVIOUS_SCAMS + OBVIOUS_OTPS
        memo[name] = [model.label_probabilities(classify(text), LABELS) for text in texts]
    return memo[name]


# -- the contract ------------------------------------------------------------------------------
def test_greedy_generation_is_deterministic_and_counts_tokens(model: ChatModel) -> None:
    config = GenerationConfig(max_new_tokens=16)
    first = model.generate(FRANCE, config)
    second = model.generate(FRANCE, config)
    assert first.text == second.text
    assert "Paris" in first.text
    assert first.prompt_tokens > 0
    assert 0 < first.completion_tokens <= 16
    assert first.seconds > 0


def test_max_new_tokens_bounds_the_answer(model: ChatModel) -> None:
    short = model.generate(FRANCE, GenerationConfig(max_new_tokens=2))
    full = model.generate(FRANCE, GenerationConfig(max_new_tokens=16))
    assert short.completion_tokens == 2
    assert full.text.startswith(short.text) and len(short.text) < len(full.text)


def test_stop_string_cuts_the_answer(model: ChatModel) -> None:
    full = model.generate(FRANCE, GenerationConfig(max_new_tokens=16))
    cut = model.generate(FRANCE, GenerationConfig(max_new_tokens=16, stop=["Paris"]))
    assert cut.text == full.text.split("Paris")[0]
    assert cut.completion_tokens < full.completion_tokens


def test_label_probabilities_sum_to_one_and_repeat(
    provider: tuple[str, ChatModel], scored: Scores
) -> None:
    name, model = provider
    first = scores(name, model, scored)[0]
    second = model.label_probabilities(classify(OBVIOUS_SCAMS[0]), LABELS)
    assert list(first) == LABELS
    assert sum(first.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 < p < 1.0 for p in first.values())
    assert first == second


def test_top_logprobs_are_sorted_log_probabilities(model: ChatModel) -> None:
    top = model.top_logprobs(FRANCE, k=5)
    assert len(top) == 5
    values = [value for _, value in top]
    assert values == sorted(values, reverse=True) and all(v <= 0.0 for v in values)
    assert model.generate(FRANCE, GenerationConfig(max_new_tokens=1)).text == top[0][0]


def test_obvious_scams_score_above_otp_messages(
    provider: tuple[str, ChatModel], scored: Scores
) -> None:
    probabilities = [p["scam"] for p in scores(*provider, scored)]
    scam, otp = probabilities[: len(OBVIOUS_SCAMS)], probabilities[len(OBVIOUS_SCAMS) :]
    # Every one of the 8 x 4 pairs must be ranked correctly; a random ranker passes 1 in 495.
    assert min(scam) > max(otp), f"scam {scam} vs OTP {otp}"


def test_bad_labels_and_messages_are_config_errors(model: ChatModel) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(ConfigError, match="at least two labels"):
        model.label_probabilities(messages, ["scam"])
    with pytest.raises(ConfigError, match="distinct"):
        model.label_probabilities(messages, ["scam", "scam"])
    with pytest.raises(ConfigError, match="role 'bot'"):
        model.generate([{"role": "bot", "content": "Hi"}])
    with pytest.raises(ConfigError, match="empty"):
        model.generate([])
    with pytest.raises(ConfigError, match="expected exactly role and content"):
        model.generate([{"role": "user", "text": "Hi"}])  # type: ignore[list-item]


def test_card_names_the_weights(
    provider: tuple[str, ChatModel], embedded_model: EmbeddedChatModel
) -> None:
    name, model = provider
    card = model.card
    assert isinstance(model, ChatModel)
    assert card.provider == name
    if name == "hf-local":  # documented: one sha256 over the sorted "file:sha256" lines
        folder = embedded_model._cache_folder()
        assert folder is not None
        line = f"model.safetensors:{_sha256((folder / 'model.safetensors').read_bytes())}"
        assert card.weights_sha256 == _sha256(line.encode())
    else:  # the server reports the card of the model it serves: the GGUF file's hash
        assert card.weights_sha256 == _sha256(embedded_model.gguf_path.read_bytes())
        assert card.name == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert card.licence == "Apache-2.0"
    provenance = card.to_provenance()
    assert isinstance(provenance, ModelProvenance)
    assert provenance.weights_sha256 == card.weights_sha256
    assert f"[provider: {name}]" in provenance.source


def test_agrees_with_the_in_process_embedded_model(
    provider: tuple[str, ChatModel],
    embedded_model: EmbeddedChatModel,
    scored: Scores,
) -> None:
    name, model = provider
    if name == "embedded":
        pytest.skip("embedded is the reference the other providers are compared with")
    config = GenerationConfig(max_new_tokens=24)
    for messages in (FRANCE, [{"role": "user", "content": "Name three colours."}]):
        assert (
            model.generate(messages, config).text == embedded_model.generate(messages, config).text
        )
    remote_top = model.top_logprobs(FRANCE, k=20)
    local_top = embedded_model.top_logprobs(FRANCE, k=20)
    assert [token for token, _ in remote_top] == [token for token, _ in local_top]
    assert [value for _, value in remote_top] == pytest.approx(
        [value for _, value in local_top], abs=1e-5
    )
    reference = scores("embedded", embedded_model, scored)
    for remote, local in zip(scores(name, model, scored), reference, strict=True):
        assert [remote[label] for label in LABELS] == pytest.approx(
            [local[label] for label in LABELS], abs=1e-5
        )


def test_sampling_is_seeded(model: ChatModel) -> None:
    def sample(seed: int) -> str:
        config = GenerationConfig(max_new_tokens=8, temperature=1.5, seed=seed)
        return model.generate([{"role": "user", "content": "Tell me a story."}], config).text

    first = sample(1)
    assert re.search(r"\w", first)
    assert sample(1) == first
    assert sample(2) != first
