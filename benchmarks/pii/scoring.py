"""Scoring of a PII detector against the labelled corpus: span matching, redaction, leaks, keeps.

Rules (the benchmark's JSON repeats them):

* **Span matching.** A gold span is *found* when one detected span covers at least half of its
  characters; a detection is *correct* when it overlaps a gold span by at least one character.
  Per-type figures only pair gold and detections of the same (mapped) type; type-agnostic
  figures pair any. F2 weighs recall four times as much as precision.
* **Redaction.** Every detected span is replaced by ``<LABEL>``; overlapping or touching spans
  are merged first and the merged span takes the label of its longest member.
* **Leak.** A gold value leaks when, at its own position in the redacted text, (a) it survives
  verbatim, or (b) it has at least 6 digits and one surviving fragment between placeholders still
  holds at least ``max(6, n - 3)`` of its ``n`` digits (separators ignored), e.g. a phone number
  whose ``+852`` prefix alone was redacted, or an HKID whose check digit alone was. Only the
  span's own surviving characters are read, so digits of a nearby amount never count as a leak.
* **Keep.** A distractor is kept when it survives verbatim at its own position.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from benchmarks.pii.corpus import Span

MIN_LEAK_DIGITS = 6
LEAK_DIGIT_SLACK = 3


@dataclass(frozen=True)
class Detection:
    """A detected span: ``label`` is the system's own type, ``entity_type`` ours if mappable."""

    start: int
    end: int
    label: str
    entity_type: str | None


@dataclass(frozen=True)
class Redaction:
    """A redacted text and the merged original intervals each placeholder replaced."""

    original: str
    text: str
    intervals: tuple[tuple[int, int, str], ...]  # (start, end, label) in original offsets
    _shifts: tuple[int, ...]  # cumulative length change after each interval

    def _shift_before(self, pos: int) -> int:
        """Length change contributed by intervals that end at or before ``pos``."""
        i = bisect.bisect_right(self.intervals, pos, key=lambda interval: interval[1])
        return self._shifts[i - 1] if i else 0

    def surviving_fragments(self, start: int, end: int) -> list[str]:
        """Pieces of the redacted text that are the unredacted characters of ``[start, end)``."""
        fragments: list[str] = []
        cursor = start
        for s, e, _ in self.intervals:
            if e <= cursor or s >= end:
                continue
            if s > cursor:
                fragments.append(self._slice(cursor, s))
            cursor = max(cursor, e)
        if cursor < end:
            fragments.append(self._slice(cursor, end))
        return fragments

    def _slice(self, start: int, end: int) -> str:
        """Redacted text of an original range known to contain no redaction."""
        offset = self._shift_before(start)
        return self.text[start + offset : end + offset]


def redact(text: str, detections: Iterable[Detection]) -> Redaction:
    """Replace every detected span with ``<LABEL>``, merging overlapping spans first."""
    merged: list[tuple[int, int, str, int]] = []  # start, end, label, longest member's length
    for det in sorted(detections, key=lambda d: (d.start, -d.end)):
        if det.end <= det.start:
            continue
        if merged and det.start <= merged[-1][1]:
            start, end, label, longest = merged[-1]
            if det.end - det.start > longest:
                label, longest = det.label, det.end - det.start
            merged[-1] = (start, max(end, det.end), label, longest)
        else:
            merged.append((det.start, det.end, det.label, det.end - det.start))
    parts: list[str] = []
    shifts: list[int] = []
    cursor, shift = 0, 0
    for start, end, label, _ in merged:
        placeholder = f"<{label}>"
        parts += [text[cursor:start], placeholder]
        shift += len(placeholder) - (end - start)
        shifts.append(shift)
        cursor = end
    parts.append(text[cursor:])
    intervals = tuple((start, end, label) for start, end, label, _ in merged)
    return Redaction(text, "".join(parts), intervals, tuple(shifts))


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def is_leaked(span: Span, redaction: Redaction) -> bool:
    """Whether a gold value can still be read at its position in the redacted text."""
    fragments = redaction.surviving_fragments(span.start, span.end)
    if span.value in fragments:
        return True
    n_digits = len(_digits(span.value))
    if n_digits < MIN_LEAK_DIGITS:
        return False
    needed = max(MIN_LEAK_DIGITS, n_digits - LEAK_DIGIT_SLACK)
    return any(len(_digits(fragment)) >= needed for fragment in fragments)


def is_kept(span: Span, redaction: Redaction) -> bool:
    """Whether a distractor survives verbatim at its position in the redacted text."""
    return redaction.surviving_fragments(span.start, span.end) == [span.value]


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def is_found(span: Span, detections: Iterable[Detection]) -> bool:
    """A gold span is found when one detection covers at least half of its characters."""
    length = span.end - span.start
    return any(2 * _overlap(span.start, span.end, d.start, d.end) >= length for d in detections)


def is_correct(detection: Detection, spans: Iterable[Span]) -> bool:
    """A detection is correct when it overlaps some gold span."""
    return any(_overlap(s.start, s.end, detection.start, detection.end) > 0 for s in spans)


@dataclass
class Counts:
    """Tallies for precision, recall and leak / keep rates."""

    gold: int = 0
    found: int = 0
    detected: int = 0
    correct: int = 0
    leaked: int = 0
    distractors: int = 0
    kept: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float | None:
        return self.correct / self.detected if self.detected else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def f2(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 5 * p * r / (4 * p + r) if p + r else 0.0

    @property
    def leak_rate(self) -> float | None:
        return self.leaked / self.gold if self.gold else None

    @property
    def keep_rate(self) -> float | None:
        return self.kept / self.distractors if self.distractors else None

    def to_dict(self) -> dict[str, float | int | None]:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "gold": self.gold,
            "found": self.found,
            "detected": self.detected,
            "correct": self.correct,
            "leaked": self.leaked,
            "distractors": self.distractors,
            "kept": self.kept,
            "precision": rounded(self.precision),
            "recall": rounded(self.recall),
            "f2": rounded(self.f2),
            "leak_rate": rounded(self.leak_rate),
            "keep_rate": rounded(self.keep_rate),
        }


def score_doc(
    text: str, spans: list[Span], distractors: list[Span], detections: list[Detection]
) -> tuple[Counts, dict[str, Counts], dict[str, Counts], Redaction]:
    """Score one document.

    Returns:
        Type-agnostic counts (with leaks and keeps), per-type counts of gold PII (matching on
        ``Detection.entity_type``), per-kind counts of distractors, and the redaction.
    """
    redaction = redact(text, detections)
    overall = Counts(
        gold=len(spans),
        found=sum(is_found(s, detections) for s in spans),
        detected=len(detections),
        correct=sum(is_correct(d, spans) for d in detections),
        leaked=sum(is_leaked(s, redaction) for s in spans),
        distractors=len(distractors),
        kept=sum(is_kept(d, redaction) for d in distractors),
    )
    per_type: dict[str, Counts] = {}
    types = {str(s.entity_type) for s in spans} | {
        d.entity_type for d in detections if d.entity_type is not None
    }
    for entity_type in types:
        gold = [s for s in spans if str(s.entity_type) == entity_type]
        dets = [d for d in detections if d.entity_type == entity_type]
        per_type[entity_type] = Counts(
            gold=len(gold),
            found=sum(is_found(s, dets) for s in gold),
            detected=len(dets),
            correct=sum(is_correct(d, gold) for d in dets),
            leaked=sum(is_leaked(s, redaction) for s in gold),
        )
    per_kind: dict[str, Counts] = {}
    for span in distractors:
        counts = per_kind.setdefault(str(span.entity_type), Counts())
        counts.distractors += 1
        counts.kept += is_kept(span, redaction)
    return overall, per_type, per_kind, redaction
