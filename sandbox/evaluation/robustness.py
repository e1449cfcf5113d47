"""Robustness scorer: text perturbations (typos, casing, code-mixing, full-width, spacing).

Owns the perturbation functions, so that every text model is stressed with the same Hong Kong
style evasions and the results stay comparable. The words that code-mixing swaps and spacing
splits belong to a use case: it declares them as a :class:`Lexicon` (a YAML file of its own).
Binary models are scored by F1 at their threshold, multiclass models by accuracy of the top class.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from sandbox.errors import DataError
from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.classification import binary_metrics
from sandbox.evaluation.registry import scorer
from sandbox.tasks import TaskKind

SCORER = "robustness"
TITLE = "Robustness to text perturbations and paraphrases"
EVIDENCES = ["HKMA-AI-5"]
MAX_EXAMPLES = 3
"""Flipped examples kept per variant in the evidence."""
EXCERPT_CHARS = 160

Perturbation = Callable[[str, random.Random], str]

SPACING_SEPARATORS = (" ", "\u200b", "\u200c", "\u200d", "\u2060")
"""Space, zero-width space, zero-width non-joiner, zero-width joiner and word joiner."""

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\S+@\S+\.\S+"
    r"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\."
    r"(?:com|net|org|hk|io|co|cc|info|xyz|top|me|ly|site|online|app|gov|edu)"
    r"(?:\.[A-Za-z]{2})?\b(?:/\S*)?",
    re.IGNORECASE,
)
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])")
_MARK = "\x00"
"""Placeholder for a space around an English word put into Chinese text (see code_mix)."""
_MARK_NOT_NEEDED = re.compile(rf"(^|\s){_MARK}+|{_MARK}+(?=[\s，。！？、；：,.!?;:)）]|$)")


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    """Case-insensitive alternation, longest first; Latin terms must stand alone as words."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        escaped = re.escape(term)
        if term.isascii():
            escaped = rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
        parts.append(escaped)
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    """A use case's bilingual vocabulary for the code-mixing and keyword-splitting perturbations.

    Attributes:
        code_mix: (English, Traditional Chinese) pairs, one meaning each, swapped both ways.
        split_keywords: Words split by :func:`spacing` besides every code-mix term.
    """

    code_mix: tuple[tuple[str, str], ...]
    split_keywords: tuple[str, ...] = ()
    _patterns: dict[str, re.Pattern[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read a lexicon YAML (``code_mix: [[en, zh], ...]``, ``split_keywords: [...]``).

        Raises:
            DataError: naming the file when it is missing or malformed.
        """
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"cannot read robustness lexicon {path}: {exc}") from None
        if not isinstance(doc, dict) or set(doc) - {"code_mix", "split_keywords"}:
            raise DataError(
                f"robustness lexicon {path} must be a mapping with keys code_mix and split_keywords"
            )
        pairs = doc.get("code_mix") or []
        if not all(isinstance(p, list) and len(p) == 2 and all(p) for p in pairs):
            raise DataError(f"robustness lexicon {path}: code_mix entries must be [en, zh] pairs")
        keywords = doc.get("split_keywords") or []
        return cls(
            code_mix=tuple((str(en), str(zh)) for en, zh in pairs),
            split_keywords=tuple(str(k) for k in keywords),
        )

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every word :func:`spacing` splits: the code-mix terms, then the extra keywords."""
        terms = [term for pair in self.code_mix for term in pair]
        return tuple(dict.fromkeys([*terms, *self.split_keywords]))

    def pattern(self, kind: str) -> re.Pattern[str]:
        """The compiled alternation of code-mix terms (``code_mix``) or keywords (``keywords``)."""
        if kind not in self._patterns:
            terms = (
                [t for pair in self.code_mix for t in pair] if kind == "code_mix" else self.keywords
            )
            self._patterns[kind] = _term_pattern(terms)
        return self._patterns[kind]


def _outside_urls(text: str, edit: Callable[[str], str]) -> str:
    """Apply ``edit`` to the parts of ``text`` between URLs and e-mail addresses, left to right."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        out.append(edit(text[position : match.start()]))
        out.append(match.group())
        position = match.end()
    out.append(edit(text[position:]))
    return "".join(out)


def _typo(word: str, rng: random.Random) -> str:
    """Swap two different adjacent letters, drop a letter or duplicate one (always a change)."""
    operation = rng.choice(("swap", "drop", "duplicate"))
    if operation == "swap":
        candidates = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
        if candidates:
            i = rng.choice(candidates)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        operation = "drop"
    i = rng.randrange(len(word))
    if operation == "drop":
        return word[:i] + word[i + 1 :]
    return word[: i + 1] + word[i:]


def typos(text: str, rng: random.Random, *, rate: float = 0.1, min_length: int = 4) -> str:
    """Keyboard slips: swap, drop or duplicate a letter in about ``rate`` of the Latin words.

    Only purely alphabetic words of at least ``min_length`` letters are touched; digits, words
    mixed with digits, URLs, e-mail addresses and CJK text are left as they are.

    Args:
        text: Text to perturb.
        rng: Seeded random generator (the only source of randomness).
        rate: Probability that an eligible word gets a typo.
        min_length: Shortest word eligible for a typo.

    Returns:
        The perturbed text.
    """

    def edit(segment: str) -> str:
        def replace(match: re.Match[str]) -> str:
            word = match.group()
            if len(word) < min_length or rng.random() >= rate:
                return word
            return _typo(word, rng)

        return _LATIN_WORD.sub(replace, segment)

    return _outside_urls(text, edit)


def casing(text: str, rng: random.Random, *, rate: float = 0.5) -> str:
    """Shouting and mixed case: upper-case or random-case about ``rate`` of the Latin words.

    Each chosen word is either fully upper-cased or has each letter's case drawn at random.
    URLs and e-mail addresses are left as they are.

    Args:
        text: Text to perturb.
        rng: Seeded random generator.
        rate: Probability that a Latin word is re-cased.

    Returns:
        The perturbed text.
    """

    def edit(segment: str) -> str:
        def replace(match: re.Match[str]) -> str:
            word = match.group()
            if rng.random() >= rate:
                return word
            if rng.random() < 0.5:
                return word.upper()
            return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)

        return _LATIN_WORD.sub(replace, segment)

    return _outside_urls(text, edit)


def code_mix(text: str, rng: random.Random, *, lexicon: Lexicon, rate: float = 0.5) -> str:
    """Hong Kong style code-mixing: swap lexicon words between English and Chinese.

    An English lexicon word (whole word, any case) becomes its Chinese term and a Chinese term
    becomes its English word, each occurrence with probability ``rate``; an English word put
    into Chinese text is set off by spaces (``你的 bank account 已被 frozen``), as typed in
    Hong Kong.

    Args:
        text: Text to perturb.
        rng: Seeded random generator.
        lexicon: The use case's (English, Chinese) pairs.
        rate: Probability that a lexicon occurrence is swapped.

    Returns:
        The perturbed text.
    """

    en_to_zh = {en.casefold(): zh for en, zh in lexicon.code_mix}
    zh_to_en = {zh: en for en, zh in lexicon.code_mix}

    def edit(segment: str) -> str:
        def replace(match: re.Match[str]) -> str:
            term = match.group()
            if rng.random() >= rate:
                return term
            if term in zh_to_en:
                return f"{_MARK}{zh_to_en[term]}{_MARK}"
            return en_to_zh[term.casefold()]

        mixed = lexicon.pattern("code_mix").sub(replace, segment)
        mixed = _MARK_NOT_NEEDED.sub(r"\1", mixed)
        return re.sub(f"{_MARK}+", " ", mixed)

    return _outside_urls(text, edit)


def full_width(text: str, rng: random.Random, *, rate: float = 1.0) -> str:
    """Full-width evasion: ASCII letters and digits become their full-width forms (``A`` -> ``Ａ``).

    Each run of ASCII letters/digits is converted with probability ``rate`` (all of them by
    default, when ``rng`` is not consulted). URLs are converted too, as scammers do.

    Args:
        text: Text to perturb.
        rng: Seeded random generator (used only when ``rate`` < 1).
        rate: Probability that a run of ASCII letters/digits is converted.

    Returns:
        The perturbed text.
    """

    def replace(match: re.Match[str]) -> str:
        run = match.group()
        if rate < 1.0 and rng.random() >= rate:
            return run
        return "".join(chr(ord(c) + 0xFEE0) for c in run)

    return re.sub(r"[A-Za-z0-9]+", replace, text)


def spacing(text: str, rng: random.Random, *, lexicon: Lexicon, rate: float = 1.0) -> str:
    """Keyword splitting: put a space or zero-width character between the letters of keywords.

    Every occurrence of one of the lexicon's keywords (English whole words, any case, or
    Chinese terms) is split with probability ``rate``, using one separator drawn from
    :data:`SPACING_SEPARATORS` per occurrence. URLs and e-mail addresses are left as they are.

    Args:
        text: Text to perturb.
        rng: Seeded random generator.
        lexicon: The use case's keywords (:attr:`Lexicon.keywords`).
        rate: Probability that a keyword occurrence is split.

    Returns:
        The perturbed text.
    """

    def edit(segment: str) -> str:
        def replace(match: re.Match[str]) -> str:
            keyword = match.group()
            if rate < 1.0 and rng.random() >= rate:
                return keyword
            return rng.choice(SPACING_SEPARATORS).join(keyword)

        return lexicon.pattern("keywords").sub(replace, segment)

    return _outside_urls(text, edit)


DEFAULT_PERTURBATIONS: dict[str, Perturbation] = {
    "typos": typos,
    "casing": casing,
    "full_width": full_width,
}
"""The perturbations that need no use-case vocabulary."""


def perturbations(lexicon: Lexicon | None = None) -> dict[str, Perturbation]:
    """The standard perturbations; code-mixing and keyword splitting when a lexicon is given."""
    if lexicon is None:
        return dict(DEFAULT_PERTURBATIONS)
    return {
        "typos": typos,
        "casing": casing,
        "code_mix": functools.partial(code_mix, lexicon=lexicon),
        "full_width": full_width,
        "spacing": functools.partial(spacing, lexicon=lexicon),
    }


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _scores(predict_scores: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    scores = np.asarray(predict_scores(texts), dtype=float)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores.ravel()
    if scores.shape[0] != len(texts) or scores.ndim not in (1, 2):
        raise ValueError(f"predict_scores returned {scores.shape} scores for {len(texts)} texts")
    return scores


def _decide(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    """Binary: score >= threshold; multiclass (one column per class): the top class index."""
    if scores.ndim == 2:
        return scores.argmax(axis=1)
    if threshold is None:
        raise ValueError("a threshold is needed for one-column (binary) scores")
    return (scores >= threshold).astype(int)


def _quality(y: np.ndarray, scores: np.ndarray, threshold: float | None) -> float:
    if scores.ndim == 2:
        return float(np.mean(scores.argmax(axis=1) == y))
    return binary_metrics(y, scores, threshold)["f1"]


@scorer(
    SCORER,
    title=TITLE,
    section=ReportSection.ROBUSTNESS,
    task_kinds=(TaskKind.BINARY, TaskKind.MULTICLASS),
)
def robustness(
    predict_scores: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    y_true: Sequence[int],
    *,
    threshold: float | None,
    perturbations: Mapping[str, Perturbation] = DEFAULT_PERTURBATIONS,
    extra_variants: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
) -> Evaluation:
    """How much F1 drops, and how many decisions flip, when the texts are perturbed.

    The original texts are scored once; each perturbation is applied to every text with its own
    generator ``random.Random(f"{seed}:{name}")`` (so adding a perturbation never changes the
    others), and each supplied variant set (paraphrases, adversarial rewrites) is scored as is.

    Metrics (``<variant>`` is a perturbation name or an ``extra_variants`` key):
        ``f1.original``, ``f1.<variant>``: F1 at ``threshold`` (multiclass scores, one column
        per class: ``accuracy.*`` of the top class instead of ``f1.*``, ``accuracy_drop.*``).
        ``f1_drop.<variant>``: ``f1.original - f1.<variant>`` (positive = worse).
        ``flip_rate.<variant>``: share of rows whose decision at ``threshold`` changes.
        ``f1_drop_max``, ``flip_rate_max``: the worst variant.

    Evidence ``variants`` has one row per variant (kind, share of texts changed, metrics, flips
    in each direction); ``examples`` holds up to three flipped rows per variant with the largest
    score change (texts cut to 160 characters). Pass redacted texts: excerpts are kept.

    Args:
        predict_scores: Maps a list of texts to positive-class scores.
        texts: Original texts.
        y_true: True labels (0/1), aligned with ``texts``.
        threshold: Operating threshold; a score >= threshold is a positive decision (None for
            multiclass scores, whose decision is the top class).
        perturbations: Name -> ``(text, rng) -> text`` function.
        extra_variants: Name -> texts aligned 1:1 with ``texts`` (supplied by a use case).
        seed: Seed of the perturbation generators.

    Returns:
        An assessed :class:`Evaluation`, or ``not_assessed`` when there are no texts or no
        variants.

    Raises:
        ValueError: If lengths differ, a variant name is used twice or ``predict_scores``
            returns the wrong number of scores.
    """
    originals = [str(t) for t in texts]
    y = np.asarray(y_true, dtype=int).ravel()
    if len(y) != len(originals):
        raise ValueError(f"texts and labels differ in length: {len(originals)} vs {len(y)}")
    if not originals:
        return Evaluation.not_assessed(SCORER, TITLE, "no texts to perturb", EVIDENCES)
    extra = dict(extra_variants or {})
    clash = sorted(set(perturbations) & set(extra))
    if clash:
        raise ValueError(f"variant names used both as perturbation and extra variant: {clash}")
    for name, variant in extra.items():
        if len(variant) != len(originals):
            raise ValueError(
                f"extra variant {name!r} has {len(variant)} texts, expected {len(originals)}"
            )
    if not perturbations and not extra:
        return Evaluation.not_assessed(SCORER, TITLE, "no perturbations or variants", EVIDENCES)

    variants: dict[str, tuple[str, list[str]]] = {}
    for name, perturb in perturbations.items():
        rng = random.Random(f"{seed}:{name}")
        variants[name] = ("perturbation", [perturb(text, rng) for text in originals])
    for name, variant in extra.items():
        variants[name] = ("supplied", [str(t) for t in variant])

    base_scores = _scores(predict_scores, originals)
    multiclass = base_scores.ndim == 2
    name_of_metric = "accuracy" if multiclass else "f1"
    base_decisions = _decide(base_scores, threshold)
    f1_original = _quality(y, base_scores, threshold)
    metrics: dict[str, float] = {f"{name_of_metric}.original": f1_original}
    table: list[dict[str, object]] = []
    examples: list[dict[str, object]] = []
    for name, (kind, variant_texts) in variants.items():
        scores = _scores(predict_scores, variant_texts)
        decisions = _decide(scores, threshold)
        flipped = base_decisions != decisions
        f1 = _quality(y, scores, threshold)
        metrics[f"{name_of_metric}.{name}"] = f1
        metrics[f"{name_of_metric}_drop.{name}"] = f1_original - f1
        metrics[f"flip_rate.{name}"] = float(flipped.mean())
        table.append(
            {
                "variant": name,
                "kind": kind,
                "changed_rate": float(np.mean(np.asarray(originals) != np.asarray(variant_texts))),
                name_of_metric: f1,
                f"{name_of_metric}_drop": f1_original - f1,
                "flip_rate": float(flipped.mean()),
                **(
                    {}
                    if multiclass
                    else {
                        "flips_to_negative": int((flipped & (base_decisions == 1)).sum()),
                        "flips_to_positive": int((flipped & (base_decisions == 0)).sum()),
                    }
                ),
            }
        )
        change = (
            np.abs(scores - base_scores).max(axis=1) if multiclass else np.abs(scores - base_scores)
        )
        order = sorted(np.flatnonzero(flipped), key=lambda i: -change[i])
        for i in order[:MAX_EXAMPLES]:
            examples.append(
                {
                    "variant": name,
                    "index": int(i),
                    "label": int(y[i]),
                    "original": _excerpt(originals[i]),
                    "perturbed": _excerpt(variant_texts[i]),
                    "score_original": float(base_scores[i].max() if multiclass else base_scores[i]),
                    "score_perturbed": float(scores[i].max() if multiclass else scores[i]),
                }
            )
    drops = [metrics[f"{name_of_metric}_drop.{name}"] for name in variants]
    flips = [metrics[f"flip_rate.{name}"] for name in variants]
    metrics[f"{name_of_metric}_drop_max"] = max(drops)
    metrics["flip_rate_max"] = max(flips)
    decided = "the top class" if multiclass else f"threshold {threshold:g}"
    notes = [
        f"Decisions at {decided}; a flip is a row whose decision differs from the "
        "original text's decision, whichever the direction.",
        f"Perturbations are seeded with random.Random('{seed}:<name>'); supplied variants "
        f"({', '.join(extra) or 'none'}) are scored as given.",
    ]
    if not multiclass and y.min() == y.max():
        notes.append(f"Only one class ({int(y[0])}) is present; F1 may be 0 throughout.")
    return Evaluation(
        scorer=SCORER,
        title=TITLE,
        evidences=list(EVIDENCES),
        metrics=metrics,
        evidence={
            "variants": table,
            "examples": examples,
            "n": len(originals),
            "metric": name_of_metric,
        },
        notes=notes,
    )
