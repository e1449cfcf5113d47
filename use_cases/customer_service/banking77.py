"""The BANKING77 intent data set (PolyAI, CC BY 4.0), committed under ``data/banking77/``.

Owns reading the train and test splits and checking every file against the committed
SHA256SUMS before any row is used, so a run can only ever train and score on the published data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sandbox.config import PROJECT_ROOT
from sandbox.datasets import sha256_file
from sandbox.errors import DataError
from sandbox.experiment import DataFingerprint

DATASET_NAME = "banking77"
DEFAULT_DATA_ROOT = PROJECT_ROOT / "data"
#: The manifest every copy is checked against: the one committed with the code, never a copy's own.
MANIFEST = DEFAULT_DATA_ROOT / DATASET_NAME / "SHA256SUMS"

BANKING77_SOURCE = (
    "BANKING77, PolyAI (Casanueva et al. 2020, 'Efficient Intent Detection with Dual Sentence "
    "Encoders'), github.com/PolyAI-LDN/task-specific-datasets, folder banking_data/"
)
BANKING77_LICENCE = "CC BY 4.0 (Creative Commons Attribution 4.0 International)"

_RESTORE = "restore the committed copy with `git checkout -- data/banking77`"


def expected_hashes() -> dict[str, str]:
    """``{file name: sha256}`` from the committed ``data/banking77/SHA256SUMS``.

    Raises:
        DataError: the manifest itself is missing.
    """
    if not MANIFEST.is_file():
        raise DataError(f"{MANIFEST} is missing; {_RESTORE}")
    hashes: dict[str, str] = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, filename = line.split(maxsplit=1)
            hashes[filename.strip().lstrip("*")] = digest
    return hashes


def verify_banking77(data_root: Path | None = None) -> Path:
    """Check every file listed in SHA256SUMS under ``<data_root>/banking77``; return that folder.

    Raises:
        DataError: naming the first file that is missing or whose sha256 differs, and the fix.
    """
    folder = Path(data_root or DEFAULT_DATA_ROOT) / DATASET_NAME
    for filename, expected in sorted(expected_hashes().items()):
        path = folder / filename
        if not path.is_file():
            raise DataError(f"BANKING77 file {path} is missing; {_RESTORE}")
        actual = sha256_file(path)
        if actual != expected:
            raise DataError(
                f"BANKING77 file {path} is altered or corrupt (sha256 {actual[:12]}..., expected "
                f"{expected[:12]}...); {_RESTORE}"
            )
    return folder


def _read_split(path: Path, intents: set[str]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(frame.columns) != ["text", "category"]:
        raise DataError(f"{path} has columns {list(frame.columns)}, expected ['text', 'category']")
    unknown = sorted(set(frame["category"]) - intents)
    if unknown:
        raise DataError(f"{path} uses intents missing from categories.json: {unknown[:5]}")
    return frame.rename(columns={"category": "intent"})


def load_banking77(
    data_root: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Load the verified BANKING77 splits.

    Args:
        data_root: The data folder that holds ``banking77/`` (a run's ``ctx.data_dir``); ``None``
            reads the checkout's ``data/``. The files are always checked against the committed
            manifest, not against a SHA256SUMS beside the copy.

    Returns:
        ``(train, test, intents)``: train (10,003 rows) and test (3,080 rows) with columns
        ``text`` and ``intent``, and the 77 intent names in the published order of
        ``categories.json``.

    Raises:
        DataError: a file is missing, altered or malformed (the message names it and the fix).
    """
    folder = verify_banking77(data_root)
    intents = json.loads((folder / "categories.json").read_text(encoding="utf-8"))
    if not isinstance(intents, list) or len(set(intents)) != len(intents):
        raise DataError(f"{folder / 'categories.json'} is not a list of distinct intent names")
    known = set(intents)
    train = _read_split(folder / "train.csv", known)
    test = _read_split(folder / "test.csv", known)
    return train, test, [str(name) for name in intents]


def banking77_fingerprints(train: pd.DataFrame, test: pd.DataFrame) -> list[DataFingerprint]:
    """Fingerprints of the two splits as used (file hashes from the committed manifest)."""
    hashes = expected_hashes()
    return [
        DataFingerprint(
            name=f"banking77_{role}",
            source=BANKING77_SOURCE,
            licence=BANKING77_LICENCE,
            rows=len(frame),
            sha256=hashes[f"{role}.csv"],
            role=role,
            note=f"{frame['intent'].nunique()} intents; sha256 of {role}.csv as committed",
        )
        for role, frame in (("train", train), ("test", test))
    ]
