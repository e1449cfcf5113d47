"""Text normalisation and language detection for the conduct policy.

Owns how a customer's message is folded before rules and the classifier see it (NFKC width
folding, lower-casing, Simplified -> Traditional for the characters the lexicons use, English typo
repair against a known vocabulary) and which reply language (``en``, ``zh-Hant``, ``yue``) a
message calls for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

from use_cases.customer_service.conduct.data import load_script_variants

Language = Literal["en", "zh-Hant", "yue"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-Hant", "yue")

HERE = Path(__file__).resolve().parent
SCRIPT_VARIANTS_FILE = HERE / "script_variants.yaml"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


@lru_cache(maxsize=4)
def _variants(path: Path) -> tuple[tuple[tuple[str, str], ...], Mapping[str, str], re.Pattern[str]]:
    variants = load_script_variants(path)
    phrases = tuple(sorted(variants.phrases.items(), key=lambda item: -len(item[0])))
    markers = "|".join(
        re.escape(m) for m in sorted(variants.cantonese_markers, key=len, reverse=True)
    )
    if variants.cantonese_exclusions:
        # A marker inside a written-Chinese word (係 in 關係) does not make the text Cantonese.
        exclusions = "|".join(re.escape(e) for e in variants.cantonese_exclusions)
        marker_re = re.compile(f"(?:{exclusions})|({markers})")
    else:
        marker_re = re.compile(f"({markers})")
    return phrases, dict(variants.characters), marker_re


def fold(text: str, variants_file: Path = SCRIPT_VARIANTS_FILE) -> str:
    """Width-fold (NFKC), lower-case and convert Simplified characters to Traditional.

    Example: ``"ＨＵＭＡＮ 客服，我要投诉"`` -> ``"human 客服,我要投訴"``.
    """
    phrases, characters, _ = _variants(variants_file)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _INVISIBLE.sub("", text).lower()
    for simplified, traditional in phrases:
        text = text.replace(simplified, traditional)
    text = "".join(characters.get(ch, ch) for ch in text)
    return _SPACES.sub(" ", text).strip()


def detect_language(text: str, variants_file: Path = SCRIPT_VARIANTS_FILE) -> Language:
    """``yue`` when Cantonese particles appear, ``zh-Hant`` for other Chinese, else ``en``.

    Code-mixed text counts as Chinese when it has at least as many Chinese characters as English
    words ("我想搵真人 agent 傾" is ``yue``; "can I talk to a 真人 please" is ``en``).
    """
    folded = fold(text, variants_file)
    cjk = len(_CJK_CHAR.findall(folded))
    words = len(_LATIN_WORD.findall(folded))
    if cjk == 0 or cjk < words:
        return "en"
    _, _, marker_re = _variants(variants_file)
    if any(match.group(1) for match in marker_re.finditer(folded)):
        return "yue"
    return "zh-Hant"


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class TypoRepairer:
    """Maps unknown English words to a known word one edit away (a missing letter, a wrong letter
    or two letters swapped), so "humna agnet" reads "human agent".

    Deterministic: among candidates the most frequent known word wins, ties by spelling. Words
    shorter than ``min_length`` and words already known are left alone.
    """

    def __init__(self, vocabulary: Mapping[str, int], min_length: int = 4) -> None:
        self.min_length = min_length
        self._counts = {w: c for w, c in vocabulary.items() if w.isascii()}
        self._by_delete: dict[str, set[str]] = {}
        for word in self._counts:
            if len(word) < min_length - 1:
                continue
            for key in _deletes(word) | {word}:
                self._by_delete.setdefault(key, set()).add(word)

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_length: int = 4) -> TypoRepairer:
        counts: dict[str, int] = {}
        for text in texts:
            for word in _LATIN_WORD.findall(text):
                counts[word] = counts.get(word, 0) + 1
        return cls(counts, min_length)

    def _candidates(self, word: str) -> set[str]:
        found: set[str] = set()
        for key in _deletes(word) | {word}:
            found |= self._by_delete.get(key, set())
        # Only swaps, substitutions and a missing letter: dropping a letter from a real word
        # ("window" -> "widow") changes its meaning far more often than it fixes a typo.
        return {c for c in found if len(c) >= len(word) and _one_edit(word, c)}

    def repair_word(self, word: str) -> str:
        if len(word) < self.min_length or word in self._counts:
            return word
        candidates = self._candidates(word)
        if not candidates:
            return word
        return min(candidates, key=lambda c: (-self._counts[c], c))

    def repair(self, text: str) -> str:
        """Replace each unknown English word of an already folded text by its repair."""
        return _LATIN_WORD.sub(lambda m: self.repair_word(m.group(0)), text)


def _one_edit(a: str, b: str) -> bool:
    """Damerau distance exactly 1 (a != b)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
