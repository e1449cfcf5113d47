"""Shared machinery of the HK pattern recognizers: bilingual context windows and scoring.

Presidio's lemma context enhancer works on spaCy tokens, which do not exist inside unspaced
Chinese text (``電話91234567``), so these recognizers look for context words in a character
window around each match themselves and mark their results as already context-enhanced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import regex as re
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.privacy.entities import EntityType

ASCII_WORD_BEFORE = r"(?<![A-Za-z0-9])"
"""A match must not continue an ASCII word or number on its left."""
ASCII_WORD_AFTER = r"(?![A-Za-z0-9])"
"""A match must not run into an ASCII word or number on its right."""


class ContextWords:
    """English and Chinese cue words looked up in a character window around a match.

    English words match case-insensitively on ASCII word boundaries (``tel`` does not fire
    inside ``hotel``); Chinese words match as plain substrings because Chinese has no spaces.
    """

    def __init__(self, words: Iterable[str], before: int = 48, after: int = 24) -> None:
        """Compile the cue words.

        Args:
            words: Cue words or phrases in any mix of English and Chinese.
            before: How many characters left of the match are searched.
            after: How many characters right of the match are searched.
        """
        unique = sorted({word.lower() for word in words}, key=len, reverse=True)
        parts = [
            rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
            for word in unique
        ]
        self.words: tuple[str, ...] = tuple(unique)
        self.before = before
        self.after = after
        self._regex = re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)

    def distance(self, text: str, start: int, end: int) -> int | None:
        """Characters between the match and the nearest cue word in the window, or ``None``."""
        best: int | None = None
        left = text[max(0, start - self.before) : start]
        for cue in self._regex.finditer(left):
            gap = len(left) - cue.end()
            best = gap if best is None else min(best, gap)
        right = text[end : end + self.after]
        for cue in self._regex.finditer(right):
            best = cue.start() if best is None else min(best, cue.start())
        return best

    def found(self, text: str, start: int, end: int) -> bool:
        """Whether a cue word occurs in the window around ``text[start:end]``."""
        return self.distance(text, start, end) is not None


class ContextPattern(Pattern):
    """A presidio ``Pattern`` that may demand a context word before it counts.

    If the regex has a named group ``value``, only that group becomes the entity span; the
    rest of the match is lookaround material (a prefix such as ``FPS ID:``).
    """

    def __init__(self, name: str, regex: str, score: float, needs_context: bool = False) -> None:
        """Store the pattern.

        Args:
            name: Pattern name, shown in analysis explanations.
            regex: Regular expression (``regex`` module syntax).
            score: Score of a match without validation or context.
            needs_context: Drop matches with no context word in the window.
        """
        super().__init__(name=name, regex=regex, score=score)
        self.needs_context = needs_context


class HkEntityRecognizer(EntityRecognizer):
    """Base of the HK recognizers with their own ``analyze`` (names, addresses).

    Subclasses set ``ENTITY``, compile what they need, then call ``super().__init__()``; all are
    registered for presidio language ``en`` (Chinese text goes through the same pipeline).
    """

    ENTITY: ClassVar[EntityType]

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY.value],
            name=type(self).__name__,
            supported_language="en",
            country_code="hk",
        )

    def load(self) -> None:
        """Nothing eager to load: subclasses compile in the constructor or load lazily."""


class HkPatternRecognizer(PatternRecognizer):
    """Regex recognizer with checksum validation and bilingual character-window context.

    Subclasses set ``ENTITY``, ``PATTERNS`` and ``CONTEXT`` and may override
    ``validate_result`` (checksum: ``False`` drops the match, ``True`` raises it to
    ``VALIDATED_SCORE``), ``invalidate_result`` or ``score_match`` for custom logic.
    """

    ENTITY: ClassVar[EntityType]
    PATTERNS: ClassVar[tuple[ContextPattern, ...]]
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    CONTEXT_BOOST: ClassVar[float] = 0.3
    VALIDATED_SCORE: ClassVar[float] = 1.0
    MAX_PATTERN_SCORE: ClassVar[float] = 1.0
    REGEX_FLAGS: ClassVar[int] = 0
    CONTEXT_BEFORE: ClassVar[int] = 48
    CONTEXT_AFTER: ClassVar[int] = 24

    def __init__(self) -> None:
        """Build the recognizer for English and Chinese text (presidio language ``en``)."""
        self.context_words = ContextWords(self.CONTEXT, self.CONTEXT_BEFORE, self.CONTEXT_AFTER)
        super().__init__(
            supported_entity=self.ENTITY.value,
            name=type(self).__name__,
            supported_language="en",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            global_regex_flags=self.REGEX_FLAGS,
            country_code="hk",
        )
        for pattern in self.patterns:
            pattern.compiled_regex = re.compile(pattern.regex, flags=self.REGEX_FLAGS)
            pattern.compiled_with_flags = self.REGEX_FLAGS

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Find, validate and score every pattern match in ``text``."""
        results: list[RecognizerResult] = []
        for pattern in self.patterns:
            for match in pattern.compiled_regex.finditer(text):
                group = "value" if "value" in pattern.compiled_regex.groupindex else 0
                start, end = match.span(group)
                score = self.score_match(text, start, end, pattern)
                if score > EntityRecognizer.MIN_SCORE:
                    results.append(self.make_result(start, end, score, pattern))
        return EntityRecognizer.remove_duplicates(results)

    def score_match(self, text: str, start: int, end: int, pattern: ContextPattern) -> float:
        """Score ``text[start:end]``; 0 drops it.

        Order: invalidation, checksum, required context, then the context boost.
        """
        value = text[start:end]
        if self.invalidate_result(value):
            return 0.0
        valid = self.validate_result(value)
        if valid is False:
            return 0.0
        has_context = self.context_words.found(text, start, end)
        if pattern.needs_context and not has_context:
            return 0.0
        score = max(pattern.score, self.VALIDATED_SCORE) if valid else pattern.score
        if has_context:
            score += self.CONTEXT_BOOST
        return min(score, self.MAX_PATTERN_SCORE)

    def make_result(
        self, start: int, end: int, score: float, pattern: ContextPattern
    ) -> RecognizerResult:
        """A presidio result flagged as context-enhanced, so presidio does not boost it again."""
        explanation = self.build_regex_explanation(
            self.name, pattern.name, pattern.regex, pattern.score, None, self.REGEX_FLAGS
        )
        explanation.score = score
        return RecognizerResult(
            entity_type=self.ENTITY.value,
            start=start,
            end=end,
            score=round(score, 4),
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )
