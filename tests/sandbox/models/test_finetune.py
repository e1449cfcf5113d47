"""LoRA fine-tuning (peft) of SmolLM2-135M-Instruct on the CPU, run for real.

The base checkpoint is the embedded model's de-quantised cache (loaded once per session into the
shared tmp cache, ~30 s on two cores the first time); the tests are skipped with the reason when
the embedded model or peft is not installed. The default run adapts only the last layers for a
few steps; the fuller runs are marked slow and the CUDA run gpu.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from sandbox.compute.devices import cuda_available
from sandbox.errors import ConfigError, DataError, PrerequisiteError
from sandbox.models.base import GenerationConfig
from sandbox.models.embedded import EmbeddedChatModel, embedded_status
from sandbox.models.finetune import (
    CARD_FILE,
    PEFT_INSTALL,
    LoraClassifier,
    LoraSettings,
    finetune_classifier,
    finetune_generator,
    merge_adapter,
    read_finetune_card,
)
from sandbox.models.hf_local import HFLocalChatModel, checkpoint_sha256

peft = pytest.importorskip("peft", reason=f"peft is not installed; `{PEFT_INSTALL}`")

SCAM = [
    "URGENT: your bank account is frozen. Verify your card PIN now at http://hsbc-verify.top",
    "Congratulations! You won HK$50,000. Pay a HK$200 handling fee at bit.ly/win-hk to claim.",
    "Mum, I lost my phone. Transfer HK$8,000 to this new account now, I will explain later.",
    "This is the police. Your account is linked to money laundering. Move your savings to "
    "safe account 123-456-789 today.",
    "Your parcel is held at customs. Pay the HK$30 clearance fee with your credit card at "
    "hkpost-fee.click",
    "Final notice: unpaid toll HK$45. Pay at hketoll-pay.top or your licence is cancelled.",
    "Earn HK$5,000 a day from home! Guaranteed returns, send a HK$500 deposit to start.",
    "Your Octopus card is suspended. Log in at octopus-renew.xyz and enter your card number.",
    "Dear customer, unusual login detected. Confirm your password at bochk-secure.info now.",
    "You have a tax refund of HK$3,200. Claim it by entering your bank details at ird-hk.top",
    "Hi dad, new number. I need HK$6,000 for rent urgently, please pay to my friend's account.",
    "Investment tip: crypto fund doubles your money in 7 days. Join via wa.me/85291234567",
    "Your credit card will be cancelled in 24 hours. Call 3001 2345 and give your CVV.",
    "Free iPhone for loyal customers! Pay HK$50 delivery at bit.ly/free-phone-hk today.",
    "Immigration Department: your HKID is used in a crime. Press 9 and pay the bail deposit.",
    "Your account reward points expire today. Redeem by logging in at hsbc-points.cc",
    "Lucky draw winner! Send your online banking password to receive HK$20,000.",
    "Loan approved HK$500,000 with no checks. Pay HK$1,000 admin fee first to this account.",
    "Security alert: someone took HK$9,800 from your account. Reply with your OTP to stop it.",
    "Your Alipay HK wallet is locked. Unlock it at alipayhk-help.top with your card details.",
    "Hang Seng: your e-banking is disabled. Reactivate at hangseng-online.vip within 2 hours.",
    "Government subsidy HK$10,000 ready. Enter your card number and PIN at gov-subsidy.top",
    "Boss here. I am in a meeting, buy HK$5,000 of gift cards and send me the codes now.",
    "Your FPS transfer failed. Resend the payment with your password at fps-hk.click",
]
LEGITIMATE = [
    "HSBC: 551203 is your OTP to log on to HSBC HK Mobile Banking. Never share it.",
    "Your one-time password is 482913. It expires in 5 minutes. Do not share it.",
    "DBS: Use OTP 730118 to confirm your transfer of HKD 500.00. We never ask for it.",
    "Hang Seng Bank: your verification code is 064227. It is valid for 10 minutes.",
    "HSBC: your statement for May is ready. Log on to the HSBC HK app to view it.",
    "Hang Seng: HKD1,200.00 was paid by your card *1234 at Wellcome on 3 May.",
    "Octopus: HK$250 was added to your card by Automatic Add Value on 2 June.",
    "BOCHK: your e-statement for April is available in BoC Pay and internet banking.",
    "Citibank: HKD 3,450.00 spent on card ending 9876 at Fortress on 12 Jun.",
    "Standard Chartered: 839201 is your code to add a new payee. Never share it.",
    "DBS: your monthly statement is ready. View it in the digibank app.",
    "HSBC: HKD 18,000.00 salary was credited to your account ending 5521 on 28 Jun.",
    "BEA: your OTP for online banking is 270615, valid for 3 minutes.",
    "Hang Seng: your credit card payment of HKD 2,340.00 was received. Thank you.",
    "Citibank: your statement for June is available. Payment due date is 25 Jul.",
    "HSBC: 907734 is your code to approve the FPS payment of HKD 300.00.",
    "ZA Bank: 415062 is your login verification code. It expires in 60 seconds.",
    "BOCHK: HKD 88.50 was paid by your card *4411 at MTR on 5 Jul.",
    "Mox: your card ending 2210 was used for HKD 120.00 at HKTVmall.",
    "Standard Chartered: your e-statement for May is ready in online banking.",
    "DBS: 662190 is your OTP to confirm a card purchase of HKD 899.00 at Apple.",
    "Hang Seng: your time deposit of HKD 50,000.00 matured on 1 Jul and was renewed.",
    "HSBC: your autopay of HKD 650.00 to CLP Power was made on 15 Jun.",
    "BEA: your monthly statement is ready. Log on to BEA App to view it.",
]
HELD_OUT_SCAM = [
    "Your bank card has been blocked. Re-enter your PIN at hsbc-card-unlock.top right away.",
    "You are our lucky winner of HK$100,000! Pay the HK$300 release fee to claim today.",
    "Son here, my phone is broken. Send HK$4,000 to this account urgently, do not call.",
    "Customs notice: your parcel needs a HK$25 fee. Pay with your card at hk-parcel.click",
    "Police warning: your savings are at risk. Transfer them to our safe account now.",
    "Your account will close today. Confirm your internet banking password at bea-hk.top",
    "Guaranteed 30% monthly returns! Send your deposit to join our investment group.",
    "Electricity bill overdue. Pay now with your credit card at clp-bill.vip or lose power.",
]
HELD_OUT_LEGITIMATE = [
    "HSBC: 318826 is your one-time password for online banking. Never share it.",
    "DBS: your e-statement for July is ready in the digibank app.",
    "Hang Seng: HKD 76.00 was paid by your card *8823 at Maxim's on 9 Jul.",
    "Citibank: 204457 is your verification code. It is valid for 5 minutes.",
    "BOCHK: your credit card statement for June is available in internet banking.",
    "Standard Chartered: HKD 1,050.00 was credited to your account on 30 Jun.",
    "BEA: use OTP 551890 to confirm your transfer of HKD 2,000.00.",
    "Mox: your monthly statement is ready. View it in the Mox app.",
]
TRAIN_TEXTS = SCAM + LEGITIMATE
TRAIN_LABELS = ["scam"] * len(SCAM) + ["legitimate"] * len(LEGITIMATE)
TEST_TEXTS = HELD_OUT_SCAM + HELD_OUT_LEGITIMATE
TEST_LABELS = np.array(["scam"] * len(HELD_OUT_SCAM) + ["legitimate"] * len(HELD_OUT_LEGITIMATE))

REF_SYSTEM = "You are the HK Bank support assistant."
REF_QUESTIONS = [
    "What is my case reference for the lost card report?",
    "Can you give me the reference number for my complaint?",
    "Please tell me the reference for my dispute about a card payment.",
    "I need the case number for my mortgage enquiry.",
    "What reference should I quote for my travel insurance claim?",
    "Give me the ticket reference for the app login problem.",
    "Which reference number belongs to my chargeback request?",
    "What is the case ID for my address change?",
    "Tell me my reference for the overseas transfer trace.",
    "I forgot the reference for my credit limit request, what is it?",
    "Can I have the case reference for my account closure?",
    "What is the reference code for my fraud report?",
]
REF_ANSWERS = [f"REF-{number}" for number in (40213, 58820, 61734, 20957, 83416, 37290)]
UNSEEN_QUESTION = "What is the reference number for my branch appointment?"
REF_FORMAT = re.compile(r"^\s*REF-\d{3,}")


def ref_conversations() -> list[list[dict[str, str]]]:
    return [
        [
            {"role": "system", "content": REF_SYSTEM},
            {"role": "user", "content": question},
            {"role": "assistant", "content": REF_ANSWERS[number % len(REF_ANSWERS)]},
        ]
        for number, question in enumerate(REF_QUESTIONS)
    ]


def accuracy(classifier: LoraClassifier) -> float:
    return float(np.mean(classifier.predict(TEST_TEXTS) == TEST_LABELS))


@pytest.fixture(scope="module")
def base_path(shared_cache: Path) -> Path:
    """The embedded SmolLM2-135M-Instruct as a plain transformers checkpoint directory."""
    usable, reason = embedded_status()
    if not usable:
        pytest.skip(reason)
    folder = EmbeddedChatModel(shared_cache).load()._cache_folder()
    assert folder is not None and (folder / "config.json").is_file()
    return folder


# Fast enough for the default run on two cores: LoRA on the last four layers only, so that
# backpropagation stops there (about 1-2 s a step); a high learning rate for few steps.
FAST_CLASSIFIER = LoraSettings(last_layers=4, learning_rate=3e-3, max_steps=16, batch_size=8)


@pytest.fixture(scope="module")
def classifier_runs(base_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An untrained adapter (the baseline) and one trained on the 48 messages, both on CPU."""
    root = tmp_path_factory.mktemp("classifier")
    baseline = finetune_classifier(
        base_path,
        TRAIN_TEXTS,
        TRAIN_LABELS,
        root / "untrained",
        FAST_CLASSIFIER.model_copy(update={"max_steps": 0}),
        device="cpu",
    )
    steps: list[tuple[int, int, float]] = []
    start = time.perf_counter()
    trained = finetune_classifier(
        base_path,
        TRAIN_TEXTS,
        TRAIN_LABELS,
        root / "trained",
        FAST_CLASSIFIER,
        device="cpu",
        progress=lambda step, total, loss: steps.append((step, total, loss)),
    )
    return {
        "baseline": baseline,
        "trained": trained,
        "steps": steps,
        "seconds": time.perf_counter() - start,
    }


def test_classifier_training_loss_falls_and_progress_is_reported(classifier_runs: dict) -> None:
    trained = classifier_runs["trained"]
    losses = trained.losses
    assert trained.steps == len(losses) == 16
    assert classifier_runs["steps"] == [(i + 1, 16, loss) for i, loss in enumerate(losses)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]), losses
    assert trained.device == "cpu" and trained.precision == "float32"
    assert 0 < trained.trainable_parameters < trained.total_parameters / 100


def test_fine_tuned_classifier_beats_the_untrained_adapter_on_unseen_messages(
    classifier_runs: dict,
) -> None:
    before = accuracy(LoraClassifier(classifier_runs["baseline"].out_dir, device="cpu"))
    after = accuracy(LoraClassifier(classifier_runs["trained"].out_dir, device="cpu"))
    assert after >= 0.8, (before, after)
    assert after > before, (before, after)


def test_adapter_and_card_are_saved_and_reload_gives_the_same_probabilities(
    classifier_runs: dict, base_path: Path
) -> None:
    import torch
    from sklearn.utils.validation import check_is_fitted

    trained = classifier_runs["trained"]
    out = Path(trained.out_dir)
    assert {"adapter_config.json", "adapter_model.safetensors", CARD_FILE} <= {
        p.name for p in out.iterdir()
    }
    card = json.loads((out / CARD_FILE).read_text(encoding="utf-8"))
    assert card["base_model"] == str(base_path)
    assert card["base_sha256"] == checkpoint_sha256(base_path)
    assert card["labels"] == ["legitimate", "scam"]
    assert card["losses"] == trained.losses and card["steps"] == 16
    assert card["settings"]["last_layers"] == 4 and card["device"] == "cpu"
    assert read_finetune_card(out) == trained

    # The head's initial weights come from the global RNG: a head not restored from the adapter
    # would differ between these two loads.
    torch.manual_seed(1)
    first = LoraClassifier(out, device="cpu")
    torch.manual_seed(2)
    second = LoraClassifier(out, device="cpu")
    check_is_fitted(first)
    assert list(first.classes_) == ["legitimate", "scam"]
    probabilities = first.predict_proba(TEST_TEXTS)
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(second.predict_proba(TEST_TEXTS), probabilities, atol=1e-6)
    assert first.score(TEST_TEXTS, TEST_LABELS) == accuracy(first)
    with pytest.raises(ConfigError, match="FrozenEstimator"):
        first.fit(TRAIN_TEXTS, TRAIN_LABELS)


def test_small_generator_run_is_deterministic_and_merges_into_an_hf_local_checkpoint(
    base_path: Path, tmp_path: Path
) -> None:
    settings = LoraSettings(last_layers=2, max_steps=2, batch_size=4, learning_rate=1e-3)
    conversations = ref_conversations()
    first = finetune_generator(base_path, conversations, tmp_path / "a", settings, device="cpu")
    again = finetune_generator(base_path, conversations, tmp_path / "b", settings, device="cpu")
    assert first.task == "generation" and first.labels is None and first.examples == 12
    assert len(first.losses) == 2 and all(np.isfinite(first.losses))
    assert again.losses == first.losses

    merged = merge_adapter(base_path, tmp_path / "a", tmp_path / "merged")
    assert merged.artifact == "merged" and merged.base_model == str(base_path)
    assert merged.adapter_dir == str(tmp_path / "a") and merged.losses == first.losses
    assert read_finetune_card(tmp_path / "merged") == merged
    chat = HFLocalChatModel(tmp_path / "merged", device="cpu", base_model=merged.base_model)
    assert chat.card.weights_sha256 == merged.merged_sha256 != merged.base_sha256
    assert chat.card.base_model == str(base_path)
    answer = chat.generate([{"role": "user", "content": "Hi"}], GenerationConfig(max_new_tokens=4))
    assert answer.completion_tokens > 0

    # the merged checkpoint is not the base the adapter was trained on
    with pytest.raises(DataError, match="trained on"):
        merge_adapter(tmp_path / "merged", tmp_path / "a", tmp_path / "again")


@pytest.mark.slow
def test_generator_learns_a_reference_format_and_serves_it_merged(
    base_path: Path, tmp_path: Path
) -> None:
    prompt = [
        {"role": "system", "content": REF_SYSTEM},
        {"role": "user", "content": UNSEEN_QUESTION},
    ]
    greedy = GenerationConfig(max_new_tokens=12)
    untrained = HFLocalChatModel(base_path, device="cpu").generate(prompt, greedy).text
    assert not REF_FORMAT.match(untrained), untrained

    settings = LoraSettings(learning_rate=1e-3, max_steps=16, batch_size=4)
    result = finetune_generator(base_path, ref_conversations(), tmp_path / "adapter", settings)
    assert np.mean(result.losses[-5:]) < np.mean(result.losses[:5]), result.losses

    merge_adapter(base_path, tmp_path / "adapter", tmp_path / "merged")
    answer = HFLocalChatModel(tmp_path / "merged", device="cpu").generate(prompt, greedy).text
    assert REF_FORMAT.match(answer), answer


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available(), reason="no CUDA device here")
def test_classifier_fine_tunes_in_bf16_on_cuda(base_path: Path, tmp_path: Path) -> None:
    settings = LoraSettings(learning_rate=1e-3, max_steps=30, batch_size=8)
    result = finetune_classifier(
        base_path, TRAIN_TEXTS, TRAIN_LABELS, tmp_path / "adapter", settings, device="cuda"
    )
    assert result.device == "cuda" and result.precision == "bf16 autocast"
    assert np.mean(result.losses[-5:]) < np.mean(result.losses[:5]), result.losses
    classifier = LoraClassifier(tmp_path / "adapter", device="cuda")
    assert classifier.device_ == "cuda"
    assert accuracy(classifier) >= 0.8


# -- errors ----------------------------------------------------------------------------------------
def test_bad_classification_data_is_a_config_error(tmp_path: Path) -> None:
    # the data is checked before the checkpoint is looked at
    missing = tmp_path / "no-model"
    with pytest.raises(ConfigError, match="texts is empty"):
        finetune_classifier(missing, [], [], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"differ in length \(2 texts, 1 labels\)"):
        finetune_classifier(missing, ["a", "b"], ["scam"], tmp_path / "out")
    with pytest.raises(ConfigError, match="at least two"):
        finetune_classifier(missing, ["a", "b"], ["scam", "scam"], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"texts\[1\]"):
        finetune_classifier(missing, ["a", "  "], ["scam", "legitimate"], tmp_path / "out")
    with pytest.raises(ConfigError, match="all be strings or all integers"):
        finetune_classifier(missing, ["a", "b"], ["scam", 1], tmp_path / "out")


def test_bad_conversations_are_config_errors(tmp_path: Path) -> None:
    missing = tmp_path / "no-model"
    with pytest.raises(ConfigError, match="conversations is empty"):
        finetune_generator(missing, [], tmp_path / "out")
    with pytest.raises(ConfigError, match="no assistant turn"):
        finetune_generator(missing, [[{"role": "user", "content": "Hi"}]], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"conversations\[0\].*role"):
        finetune_generator(missing, [[{"role": "bot", "content": "Hi"}]], tmp_path / "out")


def test_missing_checkpoint_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PrerequisiteError, match="no config.json.*model store"):
        finetune_classifier(tmp_path / "no-model", ["a", "b"], ["x", "y"], tmp_path / "out")
    with pytest.raises(PrerequisiteError, match="not a fine-tuned adapter"):
        LoraClassifier(tmp_path)


def checkpoint_stub(folder: Path) -> Path:
    """A directory that passes the checkpoint check; errors raised before loading need no more."""
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_missing_peft_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "peft", None)  # as if not installed
    base = checkpoint_stub(tmp_path / "model")
    with pytest.raises(PrerequisiteError) as error:
        finetune_classifier(base, ["a", "b"], ["x", "y"], tmp_path / "out")
    assert PEFT_INSTALL in str(error.value) and PEFT_INSTALL == "pip install peft==0.21.2"


@pytest.mark.skipif(cuda_available(), reason="a CUDA device is present")
def test_cuda_without_a_gpu_is_a_prerequisite_error(tmp_path: Path) -> None:
    base = checkpoint_stub(tmp_path / "model")
    with pytest.raises(PrerequisiteError, match="no CUDA device"):
        finetune_classifier(base, ["a", "b"], ["x", "y"], tmp_path / "out", device="cuda")
    with pytest.raises(ConfigError, match="auto, cpu or cuda"):
        finetune_classifier(base, ["a", "b"], ["x", "y"], tmp_path / "out", device="mps")


def test_bad_settings_and_outputs_are_refused(
    base_path: Path, tmp_path: Path, classifier_runs: dict
) -> None:
    with pytest.raises(ValidationError, match="epoch"):
        LoraSettings(epoch=2)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        LoraSettings(r=0)
    texts, labels = ["a", "b"], ["x", "y"]
    with pytest.raises(ConfigError, match="match no linear layer.*q_proj"):
        finetune_classifier(
            base_path, texts, labels, tmp_path / "out", LoraSettings(target_modules=["query"])
        )
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("earlier run", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        finetune_classifier(base_path, texts, labels, used)
    long_turn = [
        {"role": "user", "content": "word " * 100},
        {"role": "assistant", "content": "REF-1"},
    ]
    with pytest.raises(ConfigError, match="max_length=32"):
        finetune_generator(base_path, [long_turn], tmp_path / "g", LoraSettings(max_length=32))
    with pytest.raises(ConfigError, match="not a generation adapter"):
        merge_adapter(base_path, classifier_runs["trained"].out_dir, tmp_path / "merged")
