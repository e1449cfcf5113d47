"""The experiment contract (data + candidate models + scorer + thresholds) and the RunRecord.

A use case's factory returns an :class:`Experiment`. The runner (``sandbox.runner``) turns one into
an MLflow parent run with one child run per candidate model and a versioned :class:`RunRecord`,
the single truth about the run that MLflow logging and reports are built from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sandbox.errors import ConfigError
from sandbox.evaluation.base import Evaluation
from sandbox.evaluation.robustness import Lexicon
from sandbox.evaluation.thresholds import Finding, Threshold, Verdict
from sandbox.evaluation.tiering import RiskFacts, RiskTier
from sandbox.identity import Identity
from sandbox.tasks import TaskKind

RUN_RECORD_SCHEMA_VERSION = "1.3"


class Wording(BaseModel):
    """The words a use case uses for its outcome, so platform figures and reports speak its
    language ("frauds alerted", "intents routed") instead of a generic or a borrowed one.

    Attributes:
        positive: One positive case, e.g. ``fraud``, ``scam``.
        positive_plural: e.g. ``frauds``.
        negative: One negative case, e.g. ``legitimate transaction``.
        decision: The noun for a positive decision, e.g. ``alert``.
        decided: The past participle, e.g. ``alerted``.
        score: What the score is, e.g. ``fraud score``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: str = "positive"
    positive_plural: str = "positives"
    negative: str = "negative"
    decision: str = "flag"
    decided: str = "flagged"
    score: str = "model score"


class ProgressCallback(Protocol):
    """Receives progress of long work: a stage label and how much of it is done."""

    def __call__(self, stage: str, completed: float, total: float) -> None: ...


def no_progress(stage: str, completed: float, total: float) -> None:
    """A progress callback that ignores everything."""


class DataFingerprint(BaseModel):
    """What a data set was: enough to tell whether a later run used the same data."""

    model_config = ConfigDict(extra="forbid")

    name: str
    source: str
    licence: str
    rows: int
    sha256: str
    role: str = Field(description="train, test, full or source")
    note: str = ""


def frame_sha256(frame: pd.DataFrame) -> str:
    """sha256 of a frame's values, row order included and index ignored (a data fingerprint)."""
    import hashlib

    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


class ModelProvenance(BaseModel):
    """Where a model or one of its components comes from (HKMA-AI-7)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    source: str
    licence: str
    base_model: str = ""
    weights_sha256: str = ""


def sklearn_provenance() -> ModelProvenance:
    """scikit-learn as a component of a model trained in the run (HKMA-AI-7)."""
    import sklearn

    return ModelProvenance(
        name="scikit-learn",
        version=sklearn.__version__,
        source="PyPI scikit-learn; trained in this run",
        licence="BSD-3-Clause",
    )


class Governance(BaseModel):
    """What a use case declares for model-risk review: tiering facts, controls and monitoring."""

    model_config = ConfigDict(extra="forbid")

    risk_facts: RiskFacts
    conceptual_soundness: list[str] = Field(
        description="Why this modelling approach fits the problem; known design trade-offs"
    )
    controls: list[str] = Field(description="Human-in-the-loop design and other controls")
    customer_disclosure: str = Field(
        description="How customers are told about the model, or why they need not be"
    )
    monitoring_frequency: str
    monitoring_owner: str
    monitoring_metrics: list[str] = Field(
        default_factory=list, description="Metrics to monitor in production (besides drift)"
    )


@dataclass
class PreparedData:
    """A use case's data, split and described, ready for every candidate model.

    Attributes:
        train: Training rows with the input columns and the target.
        test: Test rows with the input columns, the target and the slice/group columns.
        inputs: Columns a model receives (its MLflow signature).
        target: Name of the label column: 0/1 for binary tasks, the class index
            ``0..len(class_names)-1`` for multiclass tasks; unused by conversational tasks.
        slices: Test columns to report metrics by (e.g. ``language``).
        fingerprints: One entry per data set used.
        facts: Data facts worth logging (row counts, prevalence, period).
    """

    train: pd.DataFrame
    test: pd.DataFrame
    inputs: list[str]
    target: str
    slices: list[str] = field(default_factory=list)
    fingerprints: list[DataFingerprint] = field(default_factory=list)
    facts: dict[str, float | int | str] = field(default_factory=dict)
    fairness_attributes: list[str] = field(default_factory=list)
    """Test columns holding protected or customer attributes to check fairness over (never model
    inputs unless the use case says so)."""
    drift_columns: list[str] | None = None
    """Columns compared between train and test for population drift; defaults to ``inputs``."""
    raw_zone: dict[str, Any] = field(default_factory=dict)
    """Unredacted data an experiment may need in memory (e.g. to measure the cost of redaction).
    Never logged, never written: it stays in the bank's raw zone."""
    class_names: list[str] = field(default_factory=list)
    """Multiclass tasks: the name of each class index in ``target`` (model output columns)."""
    conversations: list[Any] = field(default_factory=list)
    """Conversational tasks: the test conversations (:class:`sandbox.conversation.Conversation`),
    aligned 1:1 with the rows of ``test`` (which hold their expected behaviour)."""


@dataclass
class Candidate:
    """One model to train and evaluate: an unfitted scikit-learn estimator with a role.

    The estimator receives ``data.train[data.inputs]`` and must implement ``predict_proba``
    (classification), or is a :class:`~sandbox.conversation.ConversationalAgent` with ``reply``
    (conversational tasks; ``describe`` is then required, since it is logged as a document).
    Costly models (an LLM on CPU) may be scored on a fixed sample of the test split and get
    lighter robustness and explanation checks; the report says so.
    """

    name: str
    role: str
    description: str
    estimator: Any
    provenance: list[ModelProvenance] = field(default_factory=list)
    test_rows: np.ndarray | None = None
    """Positions in ``data.test`` this candidate is scored on (``None``: the whole split)."""
    robustness_limit: int | None = None
    """At most this many robustness texts (``None``: the experiment's whole set)."""
    explain_rows: int | None = None
    """Rows given per-decision reasons (``None``: the experiment's ``explain_rows``)."""
    describe: Callable[[], dict[str, Any]] | None = None
    """When set, the model is logged as this JSON document (e.g. an LLM's prompt, shots and model
    card) instead of as an sklearn model."""

    def test_data(self, data: PreparedData) -> PreparedData:
        """``data`` with the test split cut to :attr:`test_rows` (``data`` itself when unset)."""
        if self.test_rows is None:
            return data
        from dataclasses import replace

        rows = np.asarray(self.test_rows, dtype=int)
        if rows.size == 0 or rows.min() < 0 or rows.max() >= len(data.test):
            raise ConfigError(f"candidate {self.name}: test_rows out of range of the test split")
        return replace(data, test=data.test.iloc[rows].reset_index(drop=True))


@dataclass
class Scores:
    """What an experiment's scorer returns for one fitted model."""

    metrics: dict[str, float]
    slice_metrics: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """{slice column: {slice value: {metric: value}}}"""
    evaluations: list[Evaluation] = field(default_factory=list)
    """Evaluations the scorer made on the way (conversational tasks: the conduct evaluations)."""


@dataclass
class RunContext:
    """What a running experiment may use besides its parameters."""

    identity: Identity
    cache_dir: Path
    data_dir: Path
    device: str = "cpu"
    progress: ProgressCallback = no_progress
    settings: Any = None
    """The run's Settings (vault, audit log), for platform services such as redaction."""


class ExperimentParams(BaseModel):
    """Base for every experiment's parameters: unknown keys are errors; a seed is always there."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 42


@dataclass
class Experiment:
    """A use case's experiment: data, candidate models, scorer, thresholds and documentation.

    Attributes:
        task: What the candidates produce (binary or multiclass probabilities, or replies to
            conversations); decides how the runner scores them.
        wording: The use case's words for outcomes and decisions (figures, reports).
        robustness_lexicon: Bilingual vocabulary for the code-mixing and keyword-splitting
            perturbations of the robustness check (text models).
        use_case: Registered use-case name, e.g. ``fraud``.
        name: Registered experiment name, e.g. ``transactions``.
        title: One line for tables and reports.
        version: Bumped when the experiment's logic changes (recorded in every run).
        intended_use: What the model may be used for.
        limitations: Known limitations a reviewer must read.
        params_model: Pydantic model of the parameters (extends ExperimentParams).
        prepare: Loads and splits data.
        candidates: Builds the unfitted candidate models; roles must be unique.
        score: Scores one fitted model's test-split scores; slice metrics are also exposed
            as flat keys ``<metric>.<slice column>.<value>`` (thresholds may use them).
        thresholds: Limits that turn metrics into verdicts and findings.
        key_metrics: Metrics shown in summary tables, most important first.
        operating_threshold: Score at or above which a model flags a positive, or None when
            the operating point is not a fixed threshold (e.g. a daily review capacity).
        flag: Optional rule turning test scores into 0/1 decisions at the operating point;
            defaults to ``score >= operating_threshold``.
        operating_point: Words for the operating point, shown in figures and reports.
        extra_metrics: Optional per-candidate evaluation beyond the test split (e.g. CV).
    """

    use_case: str
    name: str
    title: str
    version: str
    intended_use: str
    limitations: list[str]
    params_model: type[ExperimentParams]
    prepare: Callable[[Any, RunContext], PreparedData]
    candidates: Callable[[Any, PreparedData, RunContext], list[Candidate]]
    score: Callable[[Any, PreparedData, Any], Scores]
    thresholds: list[Threshold]
    key_metrics: tuple[str, ...]
    operating_threshold: Callable[[Any], float | None] = lambda params: 0.5
    flag: Callable[[Any, PreparedData, np.ndarray], np.ndarray] | None = None
    operating_point: Callable[[Any], str] = lambda params: "score >= 0.5"
    extra_metrics: Callable[[Candidate, PreparedData, Any, RunContext], dict[str, float]] | None = (
        None
    )
    default_config: Path | None = None
    governance: Governance | None = None
    robustness_set: (
        Callable[[Any, PreparedData], tuple[list[str], np.ndarray, dict[str, list[str]]]] | None
    ) = None
    """Optional texts, labels and use-case-supplied variants (paraphrases, adversarial rewrites,
    aligned 1:1 with the texts) for the robustness scorer; text models only."""
    explain_rows: int = 5
    """How many of the highest-scored test rows get per-decision reasons in the report."""
    extra_evaluations: (
        Callable[[Any, PreparedData, Candidate, np.ndarray, RunContext], list[Evaluation]] | None
    ) = None
    """Optional use-case evaluations of a fitted candidate (e.g. LLM-written alert explanations
    scored for faithfulness); they join the standard ones in the RunRecord and the report."""
    token_estimate: Callable[[Any], int] | None = None
    """Gateway tokens (prompt + completion) a run with these parameters needs, roughly, from a
    measured run; the runner checks the tenant's daily quota for it before any work starts."""
    task: TaskKind = TaskKind.BINARY
    wording: Wording = field(default_factory=Wording)
    robustness_lexicon: Lexicon | None = None
    expectations: tuple[str, ...] = ()
    """Regulatory expectation ids (REGULATORY map) that apply to this use case; the report's
    traceability appendix lists each with the evidence of the run and its status."""
    agent: Callable[[Any, RunContext, str | None], Any] | None = None
    """Conversational tasks: builds the deployable agent, fitted and ready to reply, from the
    parameters, the context and an optional catalogue model name (``sandbox assistant reply``)."""

    @property
    def qualified_name(self) -> str:
        return f"{self.use_case}/{self.name}"

    def decisions(self, params: Any, data: PreparedData, scores: np.ndarray) -> np.ndarray:
        """Decisions on the test split at the operating point: 0/1 for binary tasks, the class
        index for multiclass ones (a ``flag`` rule may return -1 for "hand to a person")."""
        if self.flag is not None:
            return np.asarray(self.flag(params, data, scores), dtype=int)
        if self.task is TaskKind.MULTICLASS:
            return np.asarray(scores).argmax(axis=1)
        threshold = self.operating_threshold(params)
        if threshold is None:
            raise ConfigError(f"{self.qualified_name} has neither a threshold nor a flag rule")
        return (np.asarray(scores) >= threshold).astype(int)

    def validate_candidates(self, candidates: list[Candidate]) -> None:
        roles = [c.role for c in candidates]
        if len(set(roles)) != len(roles):
            raise ConfigError(f"{self.qualified_name}: candidate roles must be unique, got {roles}")
        names = [c.name for c in candidates]
        if len(set(names)) != len(names):
            raise ConfigError(f"{self.qualified_name}: candidate names must be unique, got {names}")


class ArtifactRef(BaseModel):
    """An artifact logged to MLflow with its content hash."""

    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str


class ModelResult(BaseModel):
    """Everything measured about one candidate model in one run."""

    model_config = ConfigDict(extra="forbid")

    name: str
    role: str
    description: str
    run_id: str
    model_uri: str
    model_sha256: str = ""
    """sha256 of the logged model's files (``tracking.tree_sha256``), checked before the model is
    registered; empty in records older than schema 1.3."""
    provenance: list[ModelProvenance]
    operating_threshold: float | None
    operating_point: str
    metrics: dict[str, float]
    slice_metrics: dict[str, dict[str, dict[str, float]]]
    verdicts: list[Verdict]
    artifacts: list[ArtifactRef]
    fit_seconds: float
    score_seconds: float
    evaluations: list[Evaluation] = Field(default_factory=list)

    def evaluation(self, scorer: str) -> Evaluation | None:
        return next((e for e in self.evaluations if e.scorer == scorer), None)


class IdentityRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str
    user: str
    role: str


class CodeVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    git_sha: str
    dirty: bool
    experiment_version: str


class Environment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    python: str
    platform: str
    device: str
    packages: dict[str, str]


class RunRecord(BaseModel):
    """The versioned truth about one experiment run (DESIGN.md section 4)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = RUN_RECORD_SCHEMA_VERSION
    run_id: str
    mlflow_experiment: str
    mlflow_experiment_id: str
    tracking_uri: str
    use_case: str
    experiment: str
    title: str
    status: str
    started_at: str
    finished_at: str
    duration_seconds: float
    identity: IdentityRecord
    code: CodeVersion
    environment: Environment
    params: dict[str, Any]
    seed: int
    intended_use: str
    limitations: list[str]
    data: list[DataFingerprint]
    data_facts: dict[str, float | int | str]
    models: list[ModelResult]
    findings: list[Finding]
    key_metrics: list[str]
    artifacts: list[ArtifactRef]
    replay_command: str
    evaluations: list[Evaluation] = Field(
        default_factory=list, description="Run-level evaluations (e.g. population drift)"
    )
    governance: Governance | None = None
    risk_tier: RiskTier | None = None
    task: TaskKind = TaskKind.BINARY
    wording: Wording = Field(default_factory=Wording)
    class_names: list[str] = Field(default_factory=list)
    expectations: list[str] = Field(
        default_factory=list, description="Regulatory expectation ids that apply to the use case"
    )

    def evaluation(self, scorer: str) -> Evaluation | None:
        return next((e for e in self.evaluations if e.scorer == scorer), None)

    def model(self, role: str) -> ModelResult:
        for result in self.models:
            if result.role == role:
                return result
        raise KeyError(role)
