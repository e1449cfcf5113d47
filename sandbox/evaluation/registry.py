"""The scorer registry: every scorer's name, title, task kinds and the report section it evidences.

A scorer registers with :func:`scorer`; the decorator stamps the report section on every
:class:`~sandbox.evaluation.base.Evaluation` it returns, so a RunRecord alone tells a report where
each evaluation belongs. Use cases may register scorers of their own the same way.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec

from sandbox.errors import UnknownNameError
from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.tasks import TaskKind

__all__ = ["ScorerSpec", "get_scorer", "scorer", "scorers", "section_of"]

P = ParamSpec("P")

_BUILT_IN_MODULES = (
    "sandbox.evaluation.calibration",
    "sandbox.evaluation.stability",
    "sandbox.evaluation.fairness",
    "sandbox.evaluation.explainability",
    "sandbox.evaluation.robustness",
    "sandbox.evaluation.drift",
    "sandbox.evaluation.genai",
    "sandbox.evaluation.faithfulness",
    "sandbox.evaluation.multiclass",
    "sandbox.evaluation.conduct",
)


@dataclass(frozen=True)
class ScorerSpec:
    """One registered scorer."""

    name: str
    title: str
    section: ReportSection
    task_kinds: frozenset[TaskKind]
    function: Callable[..., Evaluation]


_SCORERS: dict[str, ScorerSpec] = {}
_LOADED = False


def scorer(
    name: str,
    *,
    title: str,
    section: ReportSection,
    task_kinds: Iterable[TaskKind] = tuple(TaskKind),
) -> Callable[[Callable[P, Evaluation]], Callable[P, Evaluation]]:
    """Register a scorer; the Evaluations it returns carry ``section`` unless they set their own.

    Raises:
        ValueError: ``name`` is registered twice by different functions.
    """

    def register(function: Callable[P, Evaluation]) -> Callable[P, Evaluation]:
        @functools.wraps(function)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Evaluation:
            result = function(*args, **kwargs)
            if result.section is None:
                result.section = section
            return result

        existing = _SCORERS.get(name)
        if existing is not None and existing.function.__qualname__ != function.__qualname__:
            raise ValueError(f"scorer '{name}' is registered twice")
        _SCORERS[name] = ScorerSpec(name, title, section, frozenset(task_kinds), wrapped)
        return wrapped

    return register


def _load() -> None:
    global _LOADED
    if not _LOADED:
        for module in _BUILT_IN_MODULES:
            importlib.import_module(module)
        _LOADED = True


def scorers(task_kind: TaskKind | None = None) -> list[ScorerSpec]:
    """Registered scorers (for one task kind when given), by report section then name."""
    _load()
    found = [s for s in _SCORERS.values() if task_kind is None or task_kind in s.task_kinds]
    return sorted(found, key=lambda s: (int(s.section), s.name))


def get_scorer(name: str) -> ScorerSpec:
    """A registered scorer by name.

    Raises:
        UnknownNameError: listing the known scorers.
    """
    _load()
    if name not in _SCORERS:
        raise UnknownNameError(f"unknown scorer '{name}'; known: {', '.join(sorted(_SCORERS))}")
    return _SCORERS[name]


def section_of(name: str) -> ReportSection | None:
    """The report section of a registered scorer, or None for an unknown name."""
    _load()
    spec = _SCORERS.get(name)
    return spec.section if spec else None


def run_scorer(name: str, *args: Any, **kwargs: Any) -> Evaluation:
    """Call a registered scorer by name."""
    return get_scorer(name).function(*args, **kwargs)
