"""Streaming redaction of text and JSON Lines, in bounded memory (``sandbox redact``).

Input is read and redacted in chunks of lines, so a 10 MB file never sits in memory whole. A
JSON Lines output is written to a temporary file next to the target and moved into place only
when every line succeeded: a bad line stops the job with its line number and loses nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sandbox.errors import ConfigError, DataError
from sandbox.privacy.redactor import Redaction, Redactor

CHUNK_LINES = 256


@dataclass
class StreamStats:
    """What a streaming job processed and found (counts only)."""

    lines: int = 0
    chars: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, texts: list[str], redactions: list[Redaction]) -> None:
        self.lines += len(texts)
        self.chars += sum(len(t) for t in texts)
        for redaction in redactions:
            self.counts.update(redaction.counts)


def decoded_lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """UTF-8 lines without their line ends; binary or non-UTF-8 input is a clear DataError."""
    for number, raw in enumerate(stream, start=1):
        if b"\x00" in raw:
            raise DataError(f"{name} looks binary (NUL byte on line {number}); give UTF-8 text")
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{name} line {number} is not UTF-8 text (byte {exc.start}); give UTF-8 text"
            ) from None


def _chunks(lines: Iterable[Any], size: int = CHUNK_LINES) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def redact_text_lines(
    lines: Iterable[str], redactor: Redactor, stats: StreamStats
) -> Iterator[Redaction]:
    """Redactions of each line, analysed a chunk at a time."""
    for chunk in _chunks(lines):
        redactions = redactor.redact_batch(chunk, source=None)
        stats.add(chunk, redactions)
        yield from redactions


def _parse_jsonl(lines: Iterable[str], name: str, field_name: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            yield number, None
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name} line {number} is not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{name} line {number} is not a JSON object")
        value = record.get(field_name)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{name} line {number}: field '{field_name}' is not a string")
        yield number, record


def redact_jsonl(
    source: Path,
    target: Path,
    redactor: Redactor,
    field_name: str = "text",
    explain: bool = False,
) -> StreamStats:
    """Redact the ``field_name`` of each JSON line of ``source`` into ``target``.

    Other fields and the line order are unchanged; lines without the field pass through. With
    ``explain`` each record gains ``pii_entities`` (type, span, score, replacement).

    Raises:
        ConfigError: ``source`` is missing or is the same file as ``target``.
        DataError: A line is not UTF-8, not JSON, or its field is not a string.
    """
    if not source.is_file():
        raise ConfigError(f"input file not found: {source}")
    if target.exists() and target.resolve() == source.resolve():
        raise ConfigError("--output must differ from --input (the input is never overwritten)")
    target.parent.mkdir(parents=True, exist_ok=True)
    stats = StreamStats()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with source.open("rb") as raw, os.fdopen(fd, "w", encoding="utf-8") as out:
            records = _parse_jsonl(decoded_lines(raw, str(source)), str(source), field_name)
            for chunk in _chunks(records):
                texts = [r[field_name] for _, r in chunk if r is not None and field_name in r]
                redactions = iter(redactor.redact_batch(texts, source=None) if texts else [])
                done: list[Redaction] = []
                for _, record in chunk:
                    if record is None:
                        out.write("\n")
                        continue
                    if field_name in record and record[field_name] is not None:
                        redaction = next(redactions)
                        done.append(redaction)
                        record[field_name] = redaction.text
                        if explain:
                            record["pii_entities"] = redaction.explain()
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                stats.add(texts, done)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return stats
