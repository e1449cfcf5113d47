"""The credit-memo generator, the PII guard on its sentences and the AUC-gain check."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from sandbox.config import PROJECT_ROOT, Settings
from sandbox.experiment import PreparedData, RunContext
from sandbox.privacy.checksums import hkid_check_digit
from sandbox.privacy.ingest import redact_dataset
from use_cases.risk.data import TARGET, load_german_credit
from use_cases.risk.memo_signals import MemoSignalsParams, flag_column, gain_evaluation
from use_cases.risk.memos import SIGNAL_RATES, SIGNALS, draw_signals, generate_memos, memo_text
from use_cases.risk.models import ScorecardParams, scorecard

DATA = PROJECT_ROOT / "data"
HKID = re.compile(r"([A-Z])(\d{6})\((\w)\)")
PHONE = re.compile(r"\+852 [569]\d{3} \d{4}")


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return load_german_credit(Path(DATA)).frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def memos(german: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    signals = draw_signals(german[TARGET], seed=7)
    return signals, generate_memos(german, signals, seed=7)


def test_signals_are_drawn_more_often_for_defaulters(german: pd.DataFrame) -> None:
    signals = draw_signals(german[TARGET], seed=3)
    bad = german[TARGET].to_numpy() == 1
    for signal, (good_rate, bad_rate) in SIGNAL_RATES.items():
        assert signals[signal][bad].mean() > signals[signal][~bad].mean()
        assert signals[signal][bad].mean() == pytest.approx(bad_rate, abs=0.06)
        assert signals[signal][~bad].mean() == pytest.approx(good_rate, abs=0.04)
    assert draw_signals(german[TARGET], seed=3).equals(signals)


def test_every_signal_is_stated_once_and_only_for_applicants_who_have_it(memos) -> None:
    signals, sentences = memos
    stated = sentences[sentences["states"] != "none"]
    for signal in SIGNALS:
        said = set(stated.loc[stated["states"] == signal, "applicant"])
        assert said == set(np.flatnonzero(signals[signal].to_numpy()))
    assert not stated.duplicated(["applicant", "states"]).any()
    assert set(sentences["language"]) == {"en", "zh"}
    zh_share = sentences.drop_duplicates("applicant")["language"].eq("zh").mean()
    assert zh_share == pytest.approx(0.4, abs=0.05)
    # denials name a signal's topic without stating it
    assert sentences["text"].str.contains("no claims|沒有任何逾期|並無涉及").any()
    whole = memo_text(sentences)
    assert len(whole) == len(signals)


def test_memos_carry_valid_synthetic_hkids_and_phones_that_the_guard_removes(
    memos, settings: Settings
) -> None:
    _, sentences = memos
    sample = sentences[sentences["applicant"] < 40]
    text = " ".join(sample["text"])
    ids = HKID.findall(text)
    assert len(ids) == 40
    assert all(hkid_check_digit(prefix, digits) == check for prefix, digits, check in ids)
    assert len(PHONE.findall(text)) == 40
    redacted, counts = redact_dataset(
        sample, source="test memos", text_columns=["text"], settings=settings
    )
    after = " ".join(redacted["text"])
    assert not HKID.search(after) and not PHONE.search(after)
    assert "<HK_ID>" in after and "<HK_PHONE>" in after
    assert counts.get("HK_ID", 0) >= 40
    # names go too: none of the generated surnames or Chinese names survives
    assert not re.search(r"\b(Chan|Wong|Cheung|Leung) (Tai Man|Siu Ming|Ka Yan|Wing Kei)\b", after)


def _data(german: pd.DataFrame, flags: pd.DataFrame) -> PreparedData:
    table = load_german_credit(Path(DATA))
    frame = german.assign(**{flag_column(s): np.where(flags[s] == 1, "yes", "no") for s in SIGNALS})
    train, test = train_test_split(frame, test_size=0.3, stratify=frame[TARGET], random_state=0)
    inputs = [*table.numeric, *table.categorical, *[flag_column(s) for s in SIGNALS]]
    return PreparedData(
        train=train.reset_index(drop=True),
        test=test.reset_index(drop=True),
        inputs=inputs,
        target=TARGET,
    )


@pytest.mark.parametrize("informative", [True, False])
def test_auc_gain_interval_says_whether_the_flags_add_anything(
    german: pd.DataFrame, informative: bool, tmp_path: Path
) -> None:
    y = german[TARGET]
    # informative: drawn given default; noise: the same rates, independent of default
    flags = draw_signals(y if informative else y.sample(frac=1, random_state=1).to_numpy(), 5)
    data = _data(german, flags)
    table = load_german_credit(Path(DATA))
    params = MemoSignalsParams(cv_folds=3, n_boot=200)
    challenger = scorecard(
        table.numeric, [*table.categorical, *[flag_column(s) for s in SIGNALS]], ScorecardParams()
    )
    from sandbox.experiment import Candidate

    ctx = RunContext(identity=None, cache_dir=tmp_path, data_dir=DATA)  # type: ignore[arg-type]
    evaluation = gain_evaluation(params, data, Candidate("c", "challenger", "", challenger), ctx)
    low, high = evaluation.metrics["oof_auc_gain_low"], evaluation.metrics["oof_auc_gain_high"]
    assert low <= evaluation.metrics["oof_auc_gain"] <= high
    if informative:
        assert low > 0
        assert "real" in evaluation.notes[0]
    else:
        assert low < 0 < high
        assert "not shown" in evaluation.notes[0]
