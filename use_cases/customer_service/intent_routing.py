"""Experiment ``customer_service/intent_routing``: route a customer's chat message to one of 77
banking intents, or to a person.

Data: BANKING77 (real online-banking queries, CC BY 4.0, committed under ``data/banking77``).
Baseline: frozen all-MiniLM-L6-v2 sentence embeddings + logistic regression. Challenger: see
``intent_model`` (trained on CPU in the run). Routing operating point: the top intent when its
probability reaches ``routing.min_confidence`` and the intent is not one that always goes to a
person (lost cards, unrecognised payments, identity checks); otherwise a colleague takes over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field
from sklearn.model_selection import train_test_split

from sandbox.errors import DataError
from sandbox.evaluation.base import Evaluation, ReportSection
from sandbox.evaluation.multiclass import multiclass_metrics
from sandbox.evaluation.robustness import Lexicon
from sandbox.evaluation.thresholds import load_thresholds
from sandbox.evaluation.tiering import RiskFacts
from sandbox.experiment import (
    Candidate,
    Experiment,
    ExperimentParams,
    Governance,
    ModelProvenance,
    PreparedData,
    RunContext,
    Scores,
    Wording,
    sklearn_provenance,
)
from sandbox.models.embeddings import minilm_provenance
from sandbox.registry import experiment
from sandbox.tasks import TaskKind
from use_cases.customer_service import CUSTOMER_SERVICE_EXPECTATIONS
from use_cases.customer_service.banking77 import banking77_fingerprints, load_banking77

HERE = Path(__file__).parent
HUMAN = -1
"""Decision value for "hand the query to a person"."""


class RoutingSettings(BaseModel):
    """Declared routing policy: which intents always go to a person, and intent families."""

    model_config = ConfigDict(extra="forbid")

    human_intents: list[str]
    groups: dict[str, list[str]]
    cantonese_frames: list[str]


def load_routing_settings(path: Path = HERE / "data" / "intent_routing.yaml") -> RoutingSettings:
    """Read the routing policy file.

    Raises:
        DataError: naming the file when it is missing or malformed.
    """
    try:
        return RoutingSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise DataError(f"cannot read the routing policy {path}: {exc}") from None


class BaselineParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    C: float = Field(10.0, gt=0, description="Inverse regularisation of the logistic regression")


class ChallengerParams(BaseModel):
    """The challenger ensemble (``intent_model.IntentEnsembleClassifier``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    augment_fraction: float = Field(
        0.2, ge=0, le=2, description="Code-mixed and typo variants added, as a share of train"
    )
    hidden: int = Field(512, ge=16, le=4096, description="Hidden units of each MLP head")
    epochs: int = Field(20, ge=1, le=200)
    learning_rate: float = Field(3e-3, gt=0, le=1)
    tfidf_C: float = Field(10.0, gt=0)
    weights: tuple[float, float, float] = Field(
        (1.0, 1.0, 1.0),
        description="Pooling weights: MLP on all layers, MLP on the last, TF-IDF LR",
    )


class RoutingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(
        0.75, ge=0, le=1, description="Top-intent probability below which a person takes over"
    )


class IntentRoutingParams(ExperimentParams):
    """Parameters of customer_service/intent_routing (configs/intent_routing.yaml)."""

    train_per_intent: int | None = Field(
        None, ge=5, description="Cap on training queries per intent (quick runs); None: all"
    )
    test_sample: int | None = Field(
        None, ge=77, description="Stratified sample of the test split; None: all 3,080"
    )
    robustness_sample: int = Field(300, ge=0, le=3080)
    baseline: BaselineParams = BaselineParams()
    challenger: ChallengerParams = ChallengerParams()
    routing: RoutingParams = RoutingParams()


def _group(intent: str, groups: dict[str, list[str]]) -> str:
    for name, words in groups.items():
        if any(word in intent for word in words):
            return name
    return "other"


def prepare(params: IntentRoutingParams, ctx: RunContext) -> PreparedData:
    settings = load_routing_settings()
    train, test, intents = load_banking77()
    unknown = sorted(set(settings.human_intents) - set(intents))
    if unknown:
        raise DataError(f"routing policy names intents BANKING77 does not have: {unknown}")
    fingerprints = banking77_fingerprints(train, test)
    if params.train_per_intent is not None:
        shuffled = train.sample(frac=1.0, random_state=params.seed)
        train = shuffled.groupby("intent").head(params.train_per_intent).sort_index()
    if params.test_sample is not None and params.test_sample < len(test):
        test, _ = train_test_split(
            test, train_size=params.test_sample, stratify=test["intent"], random_state=params.seed
        )
        test = test.reset_index(drop=True)
    index = {name: i for i, name in enumerate(intents)}
    for frame in (train, test):
        frame["label"] = frame["intent"].map(index).astype(int)
        frame["group"] = frame["intent"].map(lambda name: _group(name, settings.groups))
        frame["chars"] = frame["text"].str.len()
    return PreparedData(
        train=train.reset_index(drop=True),
        test=test.reset_index(drop=True),
        inputs=["text"],
        target="label",
        slices=["group"],
        fingerprints=fingerprints,
        facts={
            "train_rows": len(train),
            "test_rows": len(test),
            "intents": len(intents),
            "human_intents": len(settings.human_intents),
            "min_train_per_intent": int(train["intent"].value_counts().min()),
        },
        drift_columns=["chars", "group"],
        class_names=intents,
    )


def route(params: IntentRoutingParams, data: PreparedData, proba: np.ndarray) -> np.ndarray:
    """The routing decision per query: the top intent's index, or -1 (a person takes over)."""
    settings = load_routing_settings()
    human = {data.class_names.index(name) for name in settings.human_intents}
    top = np.asarray(proba).argmax(axis=1)
    confident = np.asarray(proba).max(axis=1) >= params.routing.min_confidence
    return np.where(confident & ~np.isin(top, list(human)), top, HUMAN)


def _routing_metrics(y: np.ndarray, proba: np.ndarray, decisions: np.ndarray) -> dict[str, float]:
    automated = decisions != HUMAN
    right = decisions == y
    return {
        "automation_rate": float(automated.mean()),
        "automated_accuracy": float(right[automated].mean()) if automated.any() else float("nan"),
        "human_share": float((~automated).mean()),
        "wrong_automated_rate": float((automated & ~right).mean()),
    }


def score(params: IntentRoutingParams, data: PreparedData, proba: np.ndarray) -> Scores:
    y = data.test["label"].to_numpy()
    decisions = route(params, data, proba)
    metrics = {**multiclass_metrics(y, proba), **_routing_metrics(y, proba, decisions)}
    slices: dict[str, dict[str, dict[str, float]]] = {"group": {}}
    for group, rows in data.test.groupby("group").groups.items():
        positions = data.test.index.get_indexer(rows)
        values = multiclass_metrics(y[positions], proba[positions])
        routing = _routing_metrics(y[positions], proba[positions], decisions[positions])
        slices["group"][str(group)] = {
            "n": values["n"],
            "accuracy": values["accuracy"],
            "automation_rate": routing["automation_rate"],
        }
    return Scores(metrics=metrics, slice_metrics=slices)


def routing_table(
    params: IntentRoutingParams, data: PreparedData, proba: np.ndarray
) -> pd.DataFrame:
    """Per intent: test rows, share routed to a person, and accuracy when automated."""
    y = data.test["label"].to_numpy()
    decisions = route(params, data, proba)
    rows = []
    for index, name in enumerate(data.class_names):
        mask = y == index
        if not mask.any():
            continue
        automated = mask & (decisions != HUMAN)
        rows.append(
            {
                "intent": name,
                "n": int(mask.sum()),
                "to_person": float(1 - automated.sum() / mask.sum()),
                "automated_accuracy": float((decisions[automated] == index).mean())
                if automated.any()
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def validation_operating_curve(model: Any, data: PreparedData) -> list[dict[str, float]]:
    """Automation rate and automated accuracy per ``min_confidence`` on the model's held-out
    validation slice (``validation_top_`` etc. of :class:`IntentEnsembleClassifier`), with the
    declared human intents always going to a person; empty for a model without one."""
    top = getattr(model, "validation_top_", None)
    if top is None or not len(top):
        return []
    names = [data.class_names[int(label)] for label in model.classes_]  # classes_ are labels
    human = [names.index(n) for n in load_routing_settings().human_intents if n in names]
    confidence = np.asarray(model.validation_confidence_)
    right = top == np.asarray(model.validation_target_)
    rows = []
    for threshold in np.round(np.arange(0.3, 0.951, 0.05), 2):
        automated = (confidence >= threshold) & ~np.isin(top, human)
        rows.append(
            {
                "min_confidence": float(threshold),
                "automation_rate": round(float(automated.mean()), 4),
                "automated_accuracy": round(float(right[automated].mean()), 4)
                if automated.any()
                else float("nan"),
                "n": int(len(top)),
            }
        )
    return rows


def routing_evaluation(
    params: IntentRoutingParams,
    data: PreparedData,
    candidate: Candidate,
    proba: Any,
    ctx: RunContext,
) -> list[Evaluation]:
    """Which intents go to a person at the operating point (evidence for sections 6 and 12)."""
    table = routing_table(params, data, np.asarray(proba))
    settings = load_routing_settings()
    mostly_human = table[table["to_person"] >= 0.5].sort_values("to_person", ascending=False)
    curve = validation_operating_curve(candidate.estimator, data)
    notes = [
        f"A query goes to a person when the top intent's probability is below "
        f"{params.routing.min_confidence:g} or the intent is one of the "
        f"{len(settings.human_intents)} declared in data/intent_routing.yaml (lost or "
        "compromised cards, unrecognised payments, identity checks, account closure).",
    ]
    if curve:
        chosen = min(
            curve, key=lambda row: abs(row["min_confidence"] - params.routing.min_confidence)
        )
        notes.append(
            "On the model's held-out validation slice of the training data (not the test split), "
            f"min_confidence {chosen['min_confidence']:g} automates "
            f"{chosen['automation_rate']:.1%} of queries at {chosen['automated_accuracy']:.1%} "
            "accuracy; the curve in the evidence shows the other operating points."
        )
    return [
        Evaluation(
            scorer="routing",
            title="Routing operating point: which intents go to a person",
            evidences=["HKMA-GENAI-HITL", "HKMA-AI-12"],
            metrics={
                "intents_mostly_to_person": float(len(mostly_human)),
                "declared_human_intents": float(len(settings.human_intents)),
            },
            evidence={
                "declared_human_intents": settings.human_intents,
                "mostly_to_person": mostly_human.head(25).to_dict(orient="records"),
                "min_confidence": params.routing.min_confidence,
                "validation_operating_curve": curve,
            },
            notes=notes,
            section=ReportSection.HUMAN_IN_THE_LOOP,
        )
    ]


def robustness_set(
    params: IntentRoutingParams, data: PreparedData
) -> tuple[list[str], np.ndarray, dict[str, list[str]]]:
    """A stratified sample of test queries, plus each wrapped in a Cantonese sentence frame."""
    test = data.test
    n = min(params.robustness_sample, len(test))
    if n == 0:
        return [], np.array([], dtype=int), {}
    if n < len(test):
        counts = test["label"].value_counts()
        stratify = test["label"] if counts.min() >= 2 and n >= len(counts) else None
        sample, _ = train_test_split(
            test, train_size=n, stratify=stratify, random_state=params.seed
        )
    else:
        sample = test
    frames = load_routing_settings().cantonese_frames
    texts = sample["text"].tolist()
    framed = [frames[i % len(frames)].format(text=text) for i, text in enumerate(texts)]
    return texts, sample["label"].to_numpy().astype(int), {"cantonese_frame": framed}


def candidates(params: IntentRoutingParams, data: PreparedData, ctx: RunContext) -> list[Candidate]:
    from use_cases.customer_service.intent_model import IntentEnsembleClassifier, make_baseline

    cache = str(ctx.cache_dir / "intent_features")  # one MiniLM pass for both models
    found = [
        Candidate(
            name="minilm_frozen_lr",
            role="baseline",
            description="Frozen all-MiniLM-L6-v2 sentence embeddings + logistic regression "
            f"(C={params.baseline.C:g})",
            estimator=make_baseline(cache_dir=cache, C=params.baseline.C, device=ctx.device),
            provenance=[sklearn_provenance(), minilm_provenance()],
        )
    ]
    c = params.challenger
    if c.enabled:
        challenger = IntentEnsembleClassifier(
            cache_dir=cache,
            seed=params.seed,
            augment_fraction=c.augment_fraction,
            hidden=c.hidden,
            epochs=c.epochs,
            learning_rate=c.learning_rate,
            tfidf_C=c.tfidf_C,
            weights=c.weights,
            device=ctx.device,
        )
        found.append(
            Candidate(
                name="minilm_layers_mlp_tfidf_ensemble",
                role="challenger",
                description="Frozen MiniLM, mean-pooled per layer: two MLP heads (all seven "
                "layers; last layer) and a word + character TF-IDF logistic regression, pooled "
                "by a weighted geometric mean; trained on the training split plus "
                f"{c.augment_fraction:.0%} code-mixed English/Cantonese and typo variants",
                estimator=challenger,
                provenance=[sklearn_provenance(), _torch_provenance(), minilm_provenance()],
                describe=lambda: _describe_challenger(challenger, params),
            )
        )
    return found


def _torch_provenance() -> ModelProvenance:
    import torch

    return ModelProvenance(
        name="PyTorch",
        version=torch.__version__,
        source="PyPI torch; MLP heads trained in this run",
        licence="BSD-3-Clause",
    )


def _describe_challenger(model: Any, params: IntentRoutingParams) -> dict[str, Any]:
    """The challenger as logged with its run: architecture, settings, fit timings, weights hash
    (its torch heads are not a scikit-learn flavour MLflow can serialise safely)."""
    import hashlib
    import io
    import pickle

    digest = hashlib.sha256()
    buffer = io.BytesIO()
    pickle.dump(model, buffer)
    digest.update(buffer.getvalue())
    return {
        "kind": "intent-routing ensemble over frozen MiniLM layer features and TF-IDF",
        "params": params.challenger.model_dump(mode="json"),
        "seed": params.seed,
        "fit_timings_seconds": getattr(model, "timings_", {}),
        "pickled_sha256": digest.hexdigest(),
        "classes": len(getattr(model, "classes_", [])),
    }


@experiment("customer_service", "intent_routing")
def intent_routing() -> Experiment:
    return Experiment(
        use_case="customer_service",
        name="intent_routing",
        title="Intent routing of customer chat messages (BANKING77, 77 intents), with hand-off",
        version="1.0.0",
        task=TaskKind.MULTICLASS,
        intended_use=(
            "Route a retail-banking customer's chat message to the right self-service flow or "
            "team, and hand it to a person when the model is unsure or the matter is sensitive. "
            "The routed flow answers from the bank's content; the model never answers itself."
        ),
        limitations=[
            "BANKING77 is English, written by crowd workers for a UK/EU neobank: Hong Kong "
            "products (FPS, Octopus, eDDA), Chinese and Cantonese queries are not in it; the "
            "robustness check measures code-mixed and Cantonese-framed variants, not real HK "
            "traffic.",
            "Intents are single-label; a message with two requests is routed by its main one.",
            "Accuracy on the published test split says little about drift: new products and "
            "scam waves create new intents, which must be monitored.",
        ],
        params_model=IntentRoutingParams,
        prepare=prepare,
        candidates=candidates,
        score=score,
        thresholds=load_thresholds(HERE / "thresholds" / "intent_routing.yaml"),
        key_metrics=(
            "accuracy",
            "macro_f1",
            "automation_rate",
            "automated_accuracy",
            "ece",
            "accuracy_drop_max",
        ),
        operating_threshold=lambda params: None,
        flag=route,
        operating_point=lambda params: (
            f"top intent if probability >= {params.routing.min_confidence:g} and not a "
            "person-only intent; otherwise a person"
        ),
        default_config=HERE / "configs" / "intent_routing.yaml",
        robustness_set=robustness_set,
        robustness_lexicon=Lexicon.load(HERE / "data" / "robustness_lexicon.yaml"),
        extra_evaluations=routing_evaluation,
        explain_rows=5,
        wording=Wording(
            positive="intent",
            positive_plural="intents",
            negative="other intent",
            decision="routing",
            decided="routed",
            score="top-intent probability",
        ),
        expectations=CUSTOMER_SERVICE_EXPECTATIONS,
        governance=Governance(
            risk_facts=RiskFacts(
                customer_impact="direct", autonomy="automated", materiality="medium"
            ),
            conceptual_soundness=[
                "Routing is multiclass classification with calibrated probabilities, so one "
                "confidence threshold sets the trade-off between automation and hand-offs.",
                "The baseline keeps the encoder frozen (a transparent linear read-out of generic "
                "sentence embeddings); the challenger adapts the encoder to banking language on "
                "the training split only, on CPU.",
                "Sensitive intents (money may be leaving the customer now, identity checks) go "
                "to a person by declared policy, independent of the model's confidence.",
            ],
            controls=[
                "A query below the confidence threshold, or with a person-only intent, is "
                "handed to a colleague with the model's top three intents as a hint.",
                "Customers can ask for a person at any time (the assistant's conduct policy).",
                "The threshold and the person-only list are parameters recorded in every run.",
            ],
            customer_disclosure=(
                "The chat tells customers they are served by an AI assistant that routes their "
                "request, and how to reach a person."
            ),
            monitoring_frequency="weekly on a labelled sample of the week's chats",
            monitoring_owner="Head of Digital Channels (first line); Model Validation (second)",
            monitoring_metrics=["accuracy", "macro_f1", "automated_accuracy", "ece"],
        ),
    )
