"""Hong Kong place, estate and organisation names shared by the address and name recognizers.

The lists live in ``data/gazetteer.json`` (Traditional and Simplified Chinese forms listed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import regex as re

_GAZETTEER_PATH = Path(__file__).with_name("data") / "gazetteer.json"


@dataclass(frozen=True)
class Gazetteer:
    """Name lists, each sorted longest first so regex alternations prefer the longest name."""

    regions_en: tuple[str, ...]
    districts_en: tuple[str, ...]
    estates_en: tuple[str, ...]
    regions_zh: tuple[str, ...]
    districts_zh: tuple[str, ...]
    estates_zh: tuple[str, ...]
    organisations_en: tuple[str, ...]
    organisations_zh: tuple[str, ...]
    common_words_zh: tuple[str, ...]
    surnames_zh: tuple[str, ...]

    @property
    def places_en(self) -> tuple[str, ...]:
        """Every English region, district and estate name."""
        return _longest_first((*self.regions_en, *self.districts_en, *self.estates_en))

    @property
    def places_zh(self) -> tuple[str, ...]:
        """Every Chinese region, district and estate name."""
        return _longest_first((*self.regions_zh, *self.districts_zh, *self.estates_zh))


def _longest_first(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(names), key=lambda name: (-len(name), name)))


@cache
def load_gazetteer() -> Gazetteer:
    """Read the packaged gazetteer once."""
    raw = json.loads(_GAZETTEER_PATH.read_text(encoding="utf-8"))
    fields = Gazetteer.__dataclass_fields__
    return Gazetteer(**{name: _longest_first(tuple(raw[name])) for name in fields})


def alternation(names: tuple[str, ...]) -> str:
    """A non-capturing regex alternation of literal names, longest first."""
    return "(?:" + "|".join(re.escape(name) for name in _longest_first(names)) + ")"
