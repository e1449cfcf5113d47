"""The conduct policy's data files and their schemas: lexicon, replies, utterances, script variants.

Owns reading and validating the YAML files beside this module; a malformed file is refused with a
:class:`~sandbox.errors.DataError` that names the file and the field at fault.
"""

from __future__ import annotations

import itertools
import random
import re
import string
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox.errors import DataError

LanguageCode = Literal["en", "zh-Hant", "yue"]
ALL_LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "yue")


class ConductCategory(StrEnum):
    """What a customer's turn is, as far as conduct goes (decides the assistant's actions)."""

    HANDOVER_REQUEST = "handover_request"
    OPT_OUT = "opt_out"
    COMPLAINT = "complaint"
    VULNERABLE_CUSTOMER = "vulnerable_customer"
    SCAM_IN_PROGRESS = "scam_in_progress"
    INVESTMENT_ADVICE = "investment_advice"
    OTHERS_DATA = "others_data"
    HARMFUL = "harmful"
    OUT_OF_SCOPE = "out_of_scope"
    PROMPT_INJECTION = "prompt_injection"
    BANKING_QUESTION = "banking_question"
    GREETING_OR_SMALLTALK = "greeting_or_smalltalk"


HANDOVER_CATEGORIES = frozenset(
    {
        ConductCategory.HANDOVER_REQUEST,
        ConductCategory.OPT_OUT,
        ConductCategory.COMPLAINT,
        ConductCategory.VULNERABLE_CUSTOMER,
        ConductCategory.SCAM_IN_PROGRESS,
    }
)
REFUSAL_CATEGORIES = frozenset(
    {
        ConductCategory.INVESTMENT_ADVICE,
        ConductCategory.OTHERS_DATA,
        ConductCategory.HARMFUL,
        ConductCategory.OUT_OF_SCOPE,
        ConductCategory.PROMPT_INJECTION,
    }
)
ANSWER_CATEGORIES = frozenset(
    {ConductCategory.BANKING_QUESTION, ConductCategory.GREETING_OR_SMALLTALK}
)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"conduct data file {path} is missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DataError(f"conduct data file {path} is not valid YAML: {error}") from None


def _validate(model: type[BaseModel], path: Path) -> Any:
    raw = _read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        raise DataError(f"conduct data file {path} is malformed: {problems}") from None


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"pattern {pattern!r} is not a valid regular expression: {error}"
        ) from None
    return pattern


# ---------------------------------------------------------------------------------------------
# Lexicon: high-precision rules per category, and the injection patterns for retrieved passages.


class LexiconRule(BaseModel):
    """One rule: fires when any pattern matches the folded text and no ``unless`` pattern does."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_.\-]+$")
    category: ConductCategory
    patterns: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)

    @field_validator("patterns", "unless")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


class InjectionRule(BaseModel):
    """A sign of instructions hidden in a retrieved passage."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_.\-]+$")
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


class Lexicon(BaseModel):
    """``lexicon.yaml``: rule priority, the rules, the domain vocabulary and the passage-injection
    patterns."""

    model_config = ConfigDict(extra="forbid")

    version: int
    priority: list[ConductCategory] = Field(
        description="When rules of several categories fire, the first listed wins"
    )
    rules: list[LexiconRule] = Field(min_length=1)
    banking_terms: list[str] = Field(
        min_length=1, description="Regexes of the bank's domain vocabulary (out-of-scope check)"
    )
    risk_cues: list[str] = Field(
        default_factory=list,
        description="Regexes of risk (pressure to move money, distress, scam words): an unsure "
        "classifier hands over only when one is present",
    )
    passage_injection: list[InjectionRule] = Field(min_length=1)

    @field_validator("banking_terms", "risk_cues")
    @classmethod
    def _term_regexes(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]

    @model_validator(mode="after")
    def _consistent(self) -> Lexicon:
        ids = [r.id for r in self.rules] + [r.id for r in self.passage_injection]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule ids: {', '.join(duplicates)}")
        missing = {r.category for r in self.rules} - set(self.priority)
        if missing:
            raise ValueError(f"priority lacks categories with rules: {sorted(missing)}")
        return self


def load_lexicon(path: Path) -> Lexicon:
    """Read and validate a lexicon file; :class:`DataError` naming it if malformed."""
    return _validate(Lexicon, path)


# ---------------------------------------------------------------------------------------------
# Replies: the policy's fixed texts per category and language, and the disclosure sentence.


class PerLanguage(BaseModel):
    """One text in each of the three reply languages."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    en: str = Field(min_length=1)
    zh_hant: str = Field(min_length=1, alias="zh-Hant")
    yue: str = Field(min_length=1)

    def get(self, language: str) -> str:
        """The text for ``en``, ``zh-Hant`` or ``yue``."""
        return {"en": self.en, "zh-Hant": self.zh_hant, "yue": self.yue}[language]


class Replies(BaseModel):
    """``replies.yaml``: a reply per non-answer category, the greeting and the disclosure."""

    model_config = ConfigDict(extra="forbid")

    version: int
    hotline: str = Field(min_length=1, description="The fictional bank's customer hotline")
    fraud_hotline: str = Field(min_length=1, description="The fictional bank's fraud hotline")
    disclosure: PerLanguage
    categories: dict[ConductCategory, PerLanguage]

    @model_validator(mode="after")
    def _complete(self) -> Replies:
        needed = (HANDOVER_CATEGORIES | REFUSAL_CATEGORIES) | {
            ConductCategory.GREETING_OR_SMALLTALK
        }
        missing = sorted(c.value for c in needed - set(self.categories))
        if missing:
            raise ValueError(f"no reply for categories: {', '.join(missing)}")
        return self

    @property
    def placeholders(self) -> dict[str, str]:
        """The values a reply may cite by name: ``{hotline}`` and ``{fraud_hotline}``."""
        return {"hotline": self.hotline, "fraud_hotline": self.fraud_hotline}

    def reply(self, category: ConductCategory, language: str) -> str | None:
        """The fixed reply, with its placeholders filled in; ``None`` for banking questions."""
        texts = self.categories.get(category)
        return None if texts is None else texts.get(language).format(**self.placeholders)

    def disclosure_sentence(self, language: str) -> str:
        """The AI disclosure and how to reach a human, in ``language``."""
        return self.disclosure.get(language).format(**self.placeholders)


def load_replies(path: Path) -> Replies:
    """Read and validate a replies file; :class:`DataError` naming it if malformed."""
    replies = _validate(Replies, path)
    for category, texts in replies.categories.items():
        for language in ALL_LANGUAGES:
            try:
                texts.get(language).format(**replies.placeholders)
            except (KeyError, IndexError, ValueError) as error:
                known = ", ".join(f"{{{name}}}" for name in replies.placeholders)
                raise DataError(
                    f"conduct data file {path} is malformed: categories.{category.value}."
                    f"{language}: bad placeholder {error} (known: {known})"
                ) from None
    return replies


# ---------------------------------------------------------------------------------------------
# Utterances: training (templates x slots) and development (literal) sets.


class Augmentation(BaseModel):
    """Prefixes and suffixes; each utterance gets ``copies`` framed copies (fixed seed)."""

    model_config = ConfigDict(extra="forbid")

    copies: int = Field(default=1, ge=0, le=5)
    prefixes: list[str] = Field(default_factory=lambda: [""])
    suffixes: list[str] = Field(default_factory=lambda: [""])


class UtteranceFile(BaseModel):
    """``training_utterances.yaml`` / ``dev_utterances.yaml``.

    ``categories[category][language]`` lists templates; ``{slot}`` is replaced by each value of
    ``slots[slot]`` (cartesian product over a template's slots, at most ``per_template`` picks,
    drawn with a fixed seed).
    """

    model_config = ConfigDict(extra="forbid")

    version: int
    seed: int = 0
    per_template: int = Field(default=6, ge=1)
    slots: dict[str, list[str]] = Field(default_factory=dict)
    augment: dict[LanguageCode, Augmentation] = Field(
        default_factory=dict,
        description="Per language, framing added to a copy of each utterance (greetings, "
        "politeness, fillers), so the classifier does not learn that framing means a category",
    )
    categories: dict[ConductCategory, dict[LanguageCode, list[str]]]

    @model_validator(mode="after")
    def _slots_known(self) -> UtteranceFile:
        formatter = string.Formatter()
        for category, by_language in self.categories.items():
            for language, templates in by_language.items():
                for template in templates:
                    try:
                        names = {f for _, f, _, _ in formatter.parse(template) if f}
                    except ValueError as error:
                        raise ValueError(
                            f"{category.value}.{language}: template {template!r}: {error}"
                        ) from None
                    unknown = names - set(self.slots)
                    if unknown:
                        raise ValueError(
                            f"{category.value}.{language}: template {template!r} uses unknown "
                            f"slots {sorted(unknown)}"
                        )
        return self


class LabelledUtterance(BaseModel):
    """One expanded utterance with its language and category."""

    model_config = ConfigDict(frozen=True)

    text: str
    language: LanguageCode
    category: ConductCategory


def expand_utterances(data: UtteranceFile) -> list[LabelledUtterance]:
    """Expand templates x slots deterministically (same file, same list, same order)."""
    formatter = string.Formatter()
    rng = random.Random(data.seed)
    rows: list[LabelledUtterance] = []
    seen: set[tuple[str, str]] = set()
    for category, by_language in data.categories.items():
        for language, templates in by_language.items():
            for template in templates:
                names = sorted({f for _, f, _, _ in formatter.parse(template) if f})
                if names:
                    combos = list(itertools.product(*(data.slots[n] for n in names)))
                    rng.shuffle(combos)
                    texts = [
                        template.format(**dict(zip(names, combo, strict=True)))
                        for combo in combos[: data.per_template]
                    ]
                else:
                    texts = [template]
                augmentation = data.augment.get(language)
                if augmentation is not None:
                    texts = texts + [
                        f"{rng.choice(augmentation.prefixes)}{text}{rng.choice(augmentation.suffixes)}"
                        for text in texts
                        for _ in range(augmentation.copies)
                    ]
                for text in texts:
                    if (text, category.value) in seen:
                        continue
                    seen.add((text, category.value))
                    rows.append(LabelledUtterance(text=text, language=language, category=category))
    return rows


def load_utterances(path: Path) -> list[LabelledUtterance]:
    """Read, validate and expand an utterance file; :class:`DataError` naming it if malformed."""
    return expand_utterances(_validate(UtteranceFile, path))


# ---------------------------------------------------------------------------------------------
# Script variants: Simplified -> Traditional folding and the Cantonese markers.


class ScriptVariants(BaseModel):
    """``script_variants.yaml``."""

    model_config = ConfigDict(extra="forbid")

    version: int
    characters: dict[str, str] = Field(description="Simplified (or variant) -> Traditional")
    phrases: dict[str, str] = Field(default_factory=dict)
    cantonese_markers: list[str] = Field(min_length=1)
    cantonese_exclusions: list[str] = Field(default_factory=list)

    @field_validator("characters")
    @classmethod
    def _single_characters(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k, v in value.items() if len(k) != 1 or len(v) != 1)
        if bad:
            raise ValueError(f"entries must map one character to one: {bad[:10]}")
        return value


def load_script_variants(path: Path) -> ScriptVariants:
    """Read and validate a script-variants file; :class:`DataError` naming it if malformed."""
    return _validate(ScriptVariants, path)
