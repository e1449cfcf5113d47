import shutil
from pathlib import Path

import pytest

from sandbox.config import PROJECT_ROOT
from sandbox.errors import DataError
from use_cases.customer_service.banking77 import (
    BANKING77_LICENCE,
    banking77_fingerprints,
    load_banking77,
)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the committed data folder that a test may damage."""
    shutil.copytree(PROJECT_ROOT / "data" / "banking77", tmp_path / "banking77")
    return tmp_path


def test_loads_the_published_splits_with_77_intents() -> None:
    train, test, intents = load_banking77()
    assert (len(train), len(test), len(intents)) == (10_003, 3_080, 77)
    assert list(train.columns) == ["text", "intent"] == list(test.columns)
    assert set(train["intent"]) == set(intents) == set(test["intent"])
    assert intents[:2] == ["card_arrival", "card_linking"]  # the order of categories.json
    assert train.loc[0, "text"] == "I am still waiting on my card?"


def test_a_verified_copy_loads_like_the_checkout(data_copy: Path) -> None:
    train, _, intents = load_banking77(data_copy)
    assert len(train) == 10_003 and len(intents) == 77


def test_refuses_a_changed_file_and_names_it(data_copy: Path) -> None:
    path = data_copy / "banking77" / "test.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("card", "cart", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"test\.csv is altered.*git checkout -- data/banking77"):
        load_banking77(data_copy)


def test_a_copy_cannot_vouch_for_itself(data_copy: Path) -> None:
    """Rewriting the copy's own SHA256SUMS does not help: the committed manifest is the truth."""
    folder = data_copy / "banking77"
    (folder / "categories.json").write_text('["only_one"]', encoding="utf-8")
    (folder / "SHA256SUMS").write_text("0" * 64 + "  categories.json\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"categories\.json is altered"):
        load_banking77(data_copy)


def test_refuses_a_missing_file(data_copy: Path) -> None:
    (data_copy / "banking77" / "train.csv").unlink()
    with pytest.raises(DataError, match=r"train\.csv is missing"):
        load_banking77(data_copy)


def test_licence_and_attribution_travel_with_the_data() -> None:
    folder = PROJECT_ROOT / "data" / "banking77"
    assert "Attribution 4.0 International" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "PolyAI" in (folder / "SOURCE.md").read_text(encoding="utf-8")
    train, test, _ = load_banking77()
    prints = banking77_fingerprints(train, test)
    assert [(p.role, p.rows, p.licence) for p in prints] == [
        ("train", 10_003, BANKING77_LICENCE),
        ("test", 3_080, BANKING77_LICENCE),
    ]
