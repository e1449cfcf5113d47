"""The scorer registry: every built-in scorer has a report section, stamped on what it returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.errors import UnknownNameError
from sandbox.evaluation import registry
from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.calibration import calibration
from sandbox.evaluation.conduct import conduct_suite
from sandbox.evaluation.registry import get_scorer, run_scorer, scorer, scorers, section_of
from sandbox.tasks import TaskKind

S = ReportSection
BUILT_IN = {
    "drift": S.DATA,
    "confusion": S.OUTCOMES,
    "calibration": S.CALIBRATION_STABILITY,
    "stability": S.CALIBRATION_STABILITY,
    "seed_stability": S.CALIBRATION_STABILITY,
    "robustness": S.ROBUSTNESS,
    "fairness": S.FAIRNESS,
    "explainability": S.EXPLAINABILITY_DISCLOSURE,
    "disclosure": S.EXPLAINABILITY_DISCLOSURE,
    "groundedness": S.GENAI,
    "pii_leakage": S.GENAI,
    "refusal": S.GENAI,
    "prompt_injection": S.GENAI,
    "explanation_faithfulness": S.GENAI,
    "factual_accuracy": S.GENAI,
    "transcripts": S.GENAI,
    "handover": S.HUMAN_IN_THE_LOOP,
    "conduct": S.HUMAN_IN_THE_LOOP,
    "conduct_actions": S.HUMAN_IN_THE_LOOP,
}


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Scorers a test registers disappear afterwards (other tests see the built-ins only)."""
    before = dict(registry._SCORERS)
    yield
    registry._SCORERS.clear()
    registry._SCORERS.update(before)


def test_every_built_in_scorer_is_registered_with_its_section() -> None:
    found = {spec.name: spec.section for spec in scorers()}
    missing = sorted(set(BUILT_IN) - set(found))
    assert not missing, f"built-in scorers not in the registry: {missing}"
    assert {name: found[name] for name in BUILT_IN} == BUILT_IN
    for spec in scorers():
        assert isinstance(spec.section, ReportSection), spec.name
        assert spec.title and spec.task_kinds, spec.name


def test_every_measured_report_section_has_a_scorer() -> None:
    # Each section a scorer can evidence has at least one: a section without one would always
    # read "not assessed" in a report grouped from the RunRecord.
    assert {spec.section for spec in scorers()} == set(ReportSection)


def test_scorers_are_listed_by_section_then_name() -> None:
    listed = [(int(s.section), s.name) for s in scorers()]
    assert listed == sorted(listed)


def test_registered_scorer_stamps_its_section() -> None:
    result = calibration([0, 1, 1, 0], [0.2, 0.8, 0.6, 0.4])
    assert result.status == "assessed"
    assert result.section is ReportSection.CALIBRATION_STABILITY
    dumped = result.model_dump(mode="json")
    assert dumped["section"] == 7  # the report's own section number, in the RunRecord


def test_not_assessed_results_are_stamped_too() -> None:
    empty = calibration([], [])
    assert empty.status == "not_assessed"
    assert empty.section is ReportSection.CALIBRATION_STABILITY
    no_cases = conduct_suite([])
    assert no_cases.status == "not_assessed" and no_cases.reason == "no scenarios were run"
    assert no_cases.section is ReportSection.HUMAN_IN_THE_LOOP


def test_run_scorer_by_name_is_the_same_function() -> None:
    spec = get_scorer("calibration")
    assert spec.function is calibration
    by_name = run_scorer("calibration", [0, 1], [0.1, 0.9])
    assert by_name.metrics == calibration([0, 1], [0.1, 0.9]).metrics
    assert by_name.section is ReportSection.CALIBRATION_STABILITY


def test_unknown_scorer_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as caught:
        get_scorer("calibrashun")
    message = str(caught.value)
    assert "unknown scorer 'calibrashun'" in message
    assert "calibration" in message and "conduct_actions" in message
    assert section_of("calibrashun") is None
    assert section_of("confusion") is ReportSection.OUTCOMES


def test_conversational_scorers_hold_conduct_not_calibration() -> None:
    names = {s.name for s in scorers(TaskKind.CONVERSATIONAL)}
    assert {"conduct", "conduct_actions", "factual_accuracy", "transcripts"} <= names
    assert {"groundedness", "pii_leakage", "prompt_injection", "drift"} <= names
    assert not names & {"calibration", "stability", "fairness", "confusion", "explainability"}


def test_task_kinds_split_binary_and_multiclass() -> None:
    binary = {s.name for s in scorers(TaskKind.BINARY)}
    multiclass = {s.name for s in scorers(TaskKind.MULTICLASS)}
    assert "confusion" in multiclass and "confusion" not in binary
    assert {"calibration", "fairness", "robustness"} <= binary & multiclass
    assert not (binary | multiclass) & {"conduct", "conduct_actions", "transcripts"}


def test_a_scorer_may_set_its_own_section(scratch_registry: None) -> None:
    @scorer("toy_sectioned", title="Toy", section=ReportSection.GENAI)
    def toy(own: bool) -> Evaluation:
        section = ReportSection.DATA if own else None
        return Evaluation(scorer="toy_sectioned", title="Toy", section=section)

    assert toy(own=False).section is ReportSection.GENAI
    assert toy(own=True).section is ReportSection.DATA
    assert get_scorer("toy_sectioned").task_kinds == frozenset(TaskKind)


def test_a_name_registered_by_two_functions_is_refused(scratch_registry: None) -> None:
    @scorer("toy_twice", title="Toy", section=ReportSection.GENAI)
    def first() -> Evaluation:
        return Evaluation(scorer="toy_twice", title="Toy")

    with pytest.raises(ValueError, match="'toy_twice' is registered twice"):

        @scorer("toy_twice", title="Toy", section=ReportSection.GENAI)
        def second() -> Evaluation:
            return Evaluation(scorer="toy_twice", title="Toy")
