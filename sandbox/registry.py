"""The registry of use cases and their experiments.

A use case is a package that registers experiment factories with ``@experiment(use_case, name)``;
packages are discovered through the ``sandbox.use_cases`` entry-point group, so a bank can add its
own use case as a separate distribution.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from sandbox.errors import PrerequisiteError, UnknownNameError

if TYPE_CHECKING:
    from sandbox.experiment import Experiment

ExperimentFactory = Callable[[], "Experiment"]

_FACTORIES: dict[str, dict[str, ExperimentFactory]] = {}
_DISCOVERED = False


def experiment(use_case: str, name: str) -> Callable[[ExperimentFactory], ExperimentFactory]:
    """Register ``factory`` as experiment ``name`` of ``use_case``."""

    def register(factory: ExperimentFactory) -> ExperimentFactory:
        experiments = _FACTORIES.setdefault(use_case, {})
        if name in experiments and experiments[name] is not factory:
            raise ValueError(f"experiment '{use_case}/{name}' is registered twice")
        experiments[name] = factory
        return factory

    return register


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    for entry in entry_points(group="sandbox.use_cases"):
        try:
            importlib.import_module(entry.value)
        except ImportError as exc:
            raise PrerequisiteError(
                f"use case '{entry.name}' ({entry.value}) cannot be imported: {exc}; "
                "reinstall the project with `make install`"
            ) from exc
    _DISCOVERED = True


def use_cases() -> dict[str, list[str]]:
    """Every registered use case with its experiment names, sorted."""
    _discover()
    return {uc: sorted(exps) for uc, exps in sorted(_FACTORIES.items())}


def get_experiment(use_case: str, name: str | None = None) -> Experiment:
    """Build the registered experiment; ``name`` may be omitted when the use case has one.

    Raises:
        UnknownNameError: listing the known use cases or experiments.
    """
    known = use_cases()
    if use_case not in known:
        raise UnknownNameError(
            f"unknown use case '{use_case}'; known: {', '.join(known) or '(none registered)'}"
        )
    experiments = known[use_case]
    if name is None:
        if len(experiments) != 1:
            raise UnknownNameError(
                f"use case '{use_case}' has several experiments; choose one with --experiment: "
                + ", ".join(experiments)
            )
        name = experiments[0]
    if name not in experiments:
        raise UnknownNameError(
            f"unknown experiment '{name}' for use case '{use_case}'; known: "
            + ", ".join(experiments)
        )
    return _FACTORIES[use_case][name]()
