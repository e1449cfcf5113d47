"""Leak scanner: searches a store (e.g. ``mlruns/``) for personal data, inside archives too.

Used by the canary tests and by ``sandbox privacy scan``: every file is read as bytes (zip
members such as skops models are decompressed first) and searched for known raw values (e.g.
the values a generator inserted) and for strictly shaped Hong Kong identifiers (HKID with a valid
check digit, +852 phone numbers, e-mail addresses, Luhn-valid card numbers).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.privacy.checksums import hkid_check_digit, luhn_valid

_HKID = re.compile(  # full-width brackets are matched as their UTF-8 bytes
    rb"(?<![A-Za-z0-9])([A-Z]{1,2})(\d{6})\s?(?:\(|\xef\xbc\x88)?([0-9A])(?:\)|\xef\xbc\x89)?(?![0-9])"
)
_PHONE_852 = re.compile(rb"\+852[\s-]?[2-9]\d{3}[\s-]?\d{4}(?!\d)")
_EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(rb"(?<!\d)(?:\d{4}[ -]){3}\d{4}(?!\d)")
_CARD_SEPARATORS = re.compile(rb"[ -]")
_SAFE_EMAIL_DOMAINS = (b"sandbox.local", b"example.invalid")


@dataclass(frozen=True)
class LeakHit:
    """One finding: where and what kind (``value`` is shown only to the raw-zone caller)."""

    path: str
    kind: str
    value: str


def _hkid_valid(prefix: bytes, digits: bytes, check: bytes) -> bool:
    return hkid_check_digit(prefix.decode(), digits.decode()) == check.decode()


def _card_valid(number: bytes) -> bool:
    return luhn_valid(_CARD_SEPARATORS.sub(b"", number).decode())


def _contents(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    yield str(path), data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if not member.is_dir():
                    yield f"{path}!{member.filename}", archive.read(member)


def scan_bytes(where: str, data: bytes, known: Iterable[bytes]) -> list[LeakHit]:
    """Hits in one blob: known values first, then identifier shapes."""
    hits = [LeakHit(where, "known value", v.decode("utf-8", "replace")) for v in known if v in data]
    for match in _HKID.finditer(data):
        if _hkid_valid(*match.groups()):
            hits.append(LeakHit(where, "HKID", match.group().decode()))
    hits += [LeakHit(where, "HK phone", m.group().decode()) for m in _PHONE_852.finditer(data)]
    for match in _EMAIL.finditer(data):
        if not match.group().lower().endswith(_SAFE_EMAIL_DOMAINS):
            hits.append(LeakHit(where, "e-mail", match.group().decode("utf-8", "replace")))
    hits += [
        LeakHit(where, "card", m.group().decode())
        for m in _CARD.finditer(data)
        if _card_valid(m.group())
    ]
    return hits


def scan_tree(root: Path, known_values: Iterable[str] = ()) -> list[LeakHit]:
    """Every hit under ``root`` (files and zip members), known values given as text."""
    known = sorted({v.encode("utf-8") for v in known_values if len(v.strip().encode()) >= 6})
    hits: list[LeakHit] = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        for where, data in _contents(path):
            hits.extend(scan_bytes(where, data, known))
    return hits
