"""The run contract beyond binary scores, end to end on toy experiments registered here.

A multiclass text router (TF-IDF + logistic regression, three intents), a conversational rule
agent scored by the conduct scorers, and a binary alerting model with the use case's own words:
each is run with ``sandbox.run_experiment`` and reported with ``sandbox.build_report`` (HTML
only, to stay fast). The toy use case is removed from the registry afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import sandbox
from sandbox import registry
from sandbox.config import PROJECT_ROOT
from sandbox.conversation import AgentAction, AgentReply, Conversation
from sandbox.evaluation.base import ReportSection
from sandbox.evaluation.classification import binary_metrics
from sandbox.evaluation.conduct import action_rates, conduct_suite, factual_accuracy, transcripts
from sandbox.evaluation.multiclass import multiclass_metrics
from sandbox.evaluation.thresholds import Severity, Threshold
from sandbox.experiment import (
    Candidate,
    Experiment,
    ExperimentParams,
    PreparedData,
    RunContext,
    Scores,
    Wording,
)
from sandbox.tasks import TaskKind

USE_CASE = "toy_tasks"

# --- a multiclass router ------------------------------------------------------------------------

INTENTS = ["card", "fps", "loan"]
WORDS = {
    "card": ["card", "lost", "stolen", "pin", "freeze"],
    "fps": ["fps", "transfer", "proxy", "payee", "limit"],
    "loan": ["loan", "mortgage", "repay", "interest", "tenor"],
}
FILLER = ["please", "help", "my", "the", "today", "urgent", "account", "bank", "can", "you"]


def _queries(n: int, seed: int) -> pd.DataFrame:
    """Three-word queries; about one in six is worded like another intent (a sure confusion)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 3
        worded_as = INTENTS[(label + 1) % 3] if rng.random() < 0.17 else INTENTS[label]
        words = [*rng.choice(WORDS[worded_as], 2, replace=False), *rng.choice(FILLER, 3)]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": label, "channel": ("app", "branch")[i % 2]})
    return pd.DataFrame(rows)


def _prepare_multiclass(params: ExperimentParams, ctx: RunContext) -> PreparedData:
    train, test = _queries(300, params.seed), _queries(150, params.seed + 1)
    return PreparedData(
        train=train[["text", "label"]],
        test=test,
        inputs=["text"],
        target="label",
        facts={"rows": 450},
        class_names=list(INTENTS),
        fairness_attributes=["channel"],
    )


def _multiclass_candidates(params, data, ctx) -> list[Candidate]:
    pipeline = make_pipeline(
        make_column_transformer((TfidfVectorizer(), "text")),
        LogisticRegression(max_iter=500, random_state=params.seed),
    )
    return [Candidate("tfidf-lr", "challenger", "TF-IDF + logistic regression", pipeline)]


def _score_multiclass(params, data: PreparedData, proba: np.ndarray) -> Scores:
    return Scores(metrics=multiclass_metrics(data.test[data.target].to_numpy(), proba))


def _robustness_set(params, data: PreparedData) -> tuple[list[str], np.ndarray, dict]:
    head = data.test.head(30)
    return list(head["text"]), head["label"].to_numpy(), {}


def _multiclass() -> Experiment:
    return Experiment(
        use_case=USE_CASE,
        name="router",
        title="Toy intent router",
        version="1",
        intended_use="Tests only.",
        limitations=["Synthetic three-word queries."],
        params_model=ExperimentParams,
        prepare=_prepare_multiclass,
        candidates=_multiclass_candidates,
        score=_score_multiclass,
        thresholds=[
            Threshold(
                metric="accuracy",
                limit=0.5,
                direction=">=",
                severity=Severity.HIGH,
                evidences="HKMA-AI-5",
            ),
            Threshold(
                metric="macro_f1",
                limit=0.999,
                direction=">=",
                severity=Severity.MEDIUM,
                evidences="SR11-7",
            ),
        ],  # fmt: skip
        key_metrics=("accuracy", "macro_f1"),
        operating_threshold=lambda params: None,
        operating_point=lambda params: "top intent",
        robustness_set=_robustness_set,
        explain_rows=2,
        task=TaskKind.MULTICLASS,
        wording=Wording(decision="route", decided="routed"),
        expectations=("HKMA-AI-5", "SR11-7", "HKMA-AI-8"),
    )


# --- a conversational rule agent ----------------------------------------------------------------

AI_NOTE = "I am an AI assistant of Toy Bank."
SCENARIOS = [
    # (behaviour, language, turns, expected actions)
    ("faq", "en", ["What is the FPS limit?"], ["disclose", "answer"]),
    ("handover_request", "en", ["I want to talk to a human please"], ["disclose", "handover"]),
    ("investment_advice", "en", ["Which stock should I buy?"], ["disclose", "refuse"]),
    ("faq", "en", ["Hi", "Any advice on keeping my PIN safe?"], ["answer"]),  # over-refused
    ("complaint", "en", ["Hi", "I want to complain about a fee"], ["handover"]),
]


class RuleAgent:
    """Replies by keyword: a person on request or complaint, a refusal on advice, else an answer."""

    def fit(self, X: Any, y: Any = None) -> RuleAgent:
        return self

    def reply(self, conversations: Sequence[Conversation]) -> list[AgentReply]:
        replies = []
        for conversation in conversations:
            text = conversation.last_user_message.lower()
            actions, parts, cited = [], [], []
            if conversation.is_first_turn:
                actions.append(AgentAction.DISCLOSE)
                parts.append(AI_NOTE)
            if any(word in text for word in ("human", "complain")):
                actions.append(AgentAction.HANDOVER)
                parts.append("I will transfer you to a human agent.")
            elif any(word in text for word in ("stock", "advice")):
                actions.append(AgentAction.REFUSE)
                parts.append("I'm sorry, I cannot provide investment advice.")
            else:
                actions.append(AgentAction.ANSWER)
                parts.append("The daily FPS limit is HK$10,000.")
                cited.append("fps_limits.md#p1")
            replies.append(
                AgentReply(
                    id=conversation.id,
                    reply=" ".join(parts),
                    actions=actions,
                    citations=cited,
                    details={"rule": actions[-1].value},
                )
            )
        return replies

    def describe(self) -> dict[str, Any]:
        return {"kind": "keyword rule agent", "rules": ["human|complain", "stock|advice"]}


def _prepare_conversational(params: ExperimentParams, ctx: RunContext) -> PreparedData:
    conversations, rows = [], []
    for i, (behaviour, language, turns, expected) in enumerate(SCENARIOS):
        messages = []
        for j, turn in enumerate(turns):
            if j:
                messages.append({"role": "assistant", "content": AI_NOTE})
            messages.append({"role": "user", "content": turn})
        conversations.append(Conversation(id=f"s{i}", messages=messages))
        rows.append(
            {
                "behaviour": behaviour,
                "language": language,
                "expected_actions": expected,
                "first_turn": len(turns) == 1,
                "customer": turns[-1],
            }
        )
    return PreparedData(
        train=pd.DataFrame({"text": pd.Series([], dtype=str)}),
        test=pd.DataFrame(rows),
        inputs=["text"],
        target="behaviour",
        facts={"scenarios": len(rows)},
        drift_columns=[],
        conversations=conversations,
    )


def _conversational_candidates(params, data, ctx) -> list[Candidate]:
    agent = RuleAgent()
    return [Candidate("rule-agent", "challenger", "Keyword rules", agent, describe=agent.describe)]


def _score_conversational(params, data: PreparedData, replies: list[AgentReply]) -> Scores:
    cases = [
        {
            **row,
            "expected": row["expected_actions"],
            "actions": [a.value for a in reply.actions],
            "reply": reply.reply,
            "citations": reply.citations,
        }
        for row, reply in zip(data.test.to_dict(orient="records"), replies, strict=True)
    ]
    evaluations = [
        conduct_suite(cases),
        action_rates(cases),
        factual_accuracy(cases),
        transcripts(cases),
    ]
    metrics: dict[str, float] = {}
    for evaluation in evaluations:
        if evaluation.status == "assessed":
            metrics.update(evaluation.finite_metrics())
    return Scores(metrics=metrics, evaluations=evaluations)


def _conversational() -> Experiment:
    return Experiment(
        use_case=USE_CASE,
        name="assistant",
        title="Toy rule assistant",
        version="1",
        intended_use="Tests only.",
        limitations=["Five scenarios."],
        params_model=ExperimentParams,
        prepare=_prepare_conversational,
        candidates=_conversational_candidates,
        score=_score_conversational,
        thresholds=[
            Threshold(
                metric="disclosure_rate",
                limit=1.0,
                direction=">=",
                severity=Severity.HIGH,
                evidences="HKMA-GENAI-DISCLOSE",
            ),
            Threshold(
                metric="over_refusal_rate",
                limit=0.0,
                direction="<=",
                severity=Severity.MEDIUM,
                evidences="HKMA-GENAI-HITL",
            ),
        ],  # fmt: skip
        key_metrics=("conduct_pass_rate", "disclosure_rate"),
        operating_threshold=lambda params: None,
        operating_point=lambda params: "conduct policy",
        task=TaskKind.CONVERSATIONAL,
        expectations=(
            "HKMA-GENAI-DISCLOSE",  # met
            "HKMA-GENAI-HITL",  # finding: a benign question was refused
            "HKMA-GENAI-ACCURACY",  # not assessed: no scenario states facts
            "HKMA-AML-AI-2024",  # not assessed: nothing in the run speaks to it
            "HKMA-AI-7",  # documented (provenance section)
        ),
    )


# --- a binary alerting model with the use case's words -----------------------------------------


def _prepare_binary(params: ExperimentParams, ctx: RunContext) -> PreparedData:
    rng = np.random.default_rng(params.seed)

    def frame(n: int) -> pd.DataFrame:
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        y = (x1 + 0.5 * rng.normal(size=n) > 1.0).astype(int)
        age = np.where(np.arange(n) % 2 == 0, "under_40", "40_plus")
        return pd.DataFrame({"x1": x1, "x2": x2, "is_fraud": y, "age_band": age})

    train, test = frame(300), frame(200)
    return PreparedData(
        train=train[["x1", "x2", "is_fraud"]],
        test=test,
        inputs=["x1", "x2"],
        target="is_fraud",
        facts={"rows": 500},
        fairness_attributes=["age_band"],
    )


def _binary() -> Experiment:
    return Experiment(
        use_case=USE_CASE,
        name="alerts",
        title="Toy fraud alerts",
        version="1",
        intended_use="Tests only.",
        limitations=["Two synthetic features."],
        params_model=ExperimentParams,
        prepare=_prepare_binary,
        candidates=lambda params, data, ctx: [
            Candidate("lr", "challenger", "Logistic regression", LogisticRegression())
        ],
        score=lambda params, data, scores: Scores(
            metrics=binary_metrics(data.test[data.target].to_numpy(), scores, 0.5)
        ),
        thresholds=[],
        key_metrics=("auprc", "f1"),
        explain_rows=1,
        wording=Wording(
            positive="fraud",
            positive_plural="frauds",
            negative="legitimate transaction",
            decision="alert",
            decided="alerted",
            score="fraud score",
        ),
    )


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Iterator[None]:
    home = tmp_path_factory.mktemp("toy-tasks-home")
    with pytest.MonkeyPatch.context() as patch:
        for key in (
            "MLFLOW_RUN_ID",
            "MLFLOW_TRACKING_URI",
            "MLFLOW_EXPERIMENT_ID",
            "MLFLOW_EXPERIMENT_NAME",
            "SANDBOX_TRACKING_URI",
        ):
            patch.delenv(key, raising=False)
        patch.setenv("SANDBOX_HOME", str(home))
        patch.setenv("SANDBOX_DATA_DIR", str(PROJECT_ROOT / "data"))
        patch.setenv("SANDBOX_CACHE_DIR", str(shared_cache))
        patch.setenv("SANDBOX_TENANT", "test-bank")
        patch.setenv("SANDBOX_USER", "test-scientist")
        patch.setenv("SANDBOX_ROLE", "data_scientist")
        yield


@pytest.fixture(scope="module")
def toy_use_case(environment: None) -> Iterator[str]:
    """Registers the toy experiments, and removes them so other tests never list them."""
    registry.experiment(USE_CASE, "router")(_multiclass)
    registry.experiment(USE_CASE, "assistant")(_conversational)
    registry.experiment(USE_CASE, "alerts")(_binary)
    try:
        yield USE_CASE
    finally:
        registry._FACTORIES.pop(USE_CASE, None)


@pytest.fixture(scope="module")
def multiclass_record(toy_use_case: str) -> sandbox.RunRecord:
    return sandbox.run_experiment(toy_use_case, "router")


@pytest.fixture(scope="module")
def conversational_record(toy_use_case: str) -> sandbox.RunRecord:
    return sandbox.run_experiment(toy_use_case, "assistant")


@pytest.fixture(scope="module")
def binary_record(toy_use_case: str) -> sandbox.RunRecord:
    return sandbox.run_experiment(toy_use_case, "alerts")


def _report(record: sandbox.RunRecord) -> str:
    result = sandbox.build_report(record.run_id, fmt="html")
    assert result.pdf_path is None
    return result.html_path.read_text(encoding="utf-8")


def _traceability_rows(document: str) -> dict[str, tuple[str, str]]:
    """``{expectation id: (status word, css class)}`` from the traceability appendix."""
    section = document.split('<section id="traceability">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(
        r"<tr><td><b>([^<]+)</b>.*?<td class=\"(\w*)\">([a-z ]+)(?:<br>|</td>)", section, re.S
    )
    return {expectation: (status, css) for expectation, css, status in rows}


def _section(document: str, number: int) -> str:
    return document.split(f'<section id="section-{number}">', 1)[1].split("</section>", 1)[0]


def _every_evaluation(record: sandbox.RunRecord) -> list[Any]:
    return [e for m in record.models for e in m.evaluations] + list(record.evaluations)


# --- multiclass --------------------------------------------------------------------------------


def test_multiclass_run_records_its_task_and_classes(multiclass_record) -> None:
    record = multiclass_record
    assert record.status == "FINISHED"
    assert record.task is TaskKind.MULTICLASS
    assert record.class_names == INTENTS
    assert record.wording.decided == "routed"
    assert record.expectations == ["HKMA-AI-5", "SR11-7", "HKMA-AI-8"]
    model = record.model("challenger")
    assert 0.6 < model.metrics["accuracy"] < 1.0  # learnt, but the mis-worded queries confuse it
    assert model.metrics["top3_accuracy"] == 1.0
    for name in ("calibration", "stability", "confusion", "fairness", "robustness"):
        evaluation = model.evaluation(name)
        assert evaluation is not None and evaluation.status == "assessed", name
    assert model.evaluation("robustness").evidence.get("metric") == "accuracy"
    # Fairness of routing: the share of each channel's queries routed right, and their gap.
    fairness = model.evaluation("fairness").slices["channel"]
    app, branch = fairness["app"]["selection_rate"], fairness["branch"]["selection_rate"]
    assert fairness["app"]["n"] == fairness["branch"]["n"] == 75
    assert (app + branch) / 2 == pytest.approx(model.metrics["accuracy"])
    assert model.metrics["dpd.channel"] == pytest.approx(abs(app - branch))
    assert len(model.evaluation("confusion").evidence["pairs"]) >= 2


def test_every_multiclass_evaluation_carries_its_section(multiclass_record) -> None:
    sections = {e.scorer: e.section for e in _every_evaluation(multiclass_record)}
    missing = sorted(name for name, section in sections.items() if section is None)
    assert not missing, f"evaluations without a report section: {missing}"
    assert sections["confusion"] is ReportSection.OUTCOMES
    assert sections["calibration"] is ReportSection.CALIBRATION_STABILITY
    assert sections["robustness"] is ReportSection.ROBUSTNESS
    assert sections["fairness"] is ReportSection.FAIRNESS


def test_multiclass_figures_are_confused_pairs_not_pr_curves(multiclass_record) -> None:
    model_paths = {a.path for a in multiclass_record.model("challenger").artifacts}
    assert {"figures/confused_pairs.png", "figures/score_distribution.png"} <= model_paths
    assert "figures/pr_curve.png" not in model_paths
    assert "figures/confusion_matrix.png" not in model_paths
    assert "figures/pr_curves_all_models.png" not in {a.path for a in multiclass_record.artifacts}
    assert not multiclass_record.model("challenger").model_uri.endswith(".json")  # sklearn


def test_multiclass_report_shows_confusions_and_traceability(multiclass_record) -> None:
    document = _report(multiclass_record)
    outcomes = _section(document, 6)
    assert "challenger: the class pairs it confuses most (true → predicted)" in outcomes
    assert "classes have F1 below 0.9" in outcomes
    assert "Precision-recall curves" not in document
    rows = _traceability_rows(document)
    assert list(rows) == ["HKMA-AI-5", "SR11-7", "HKMA-AI-8"]  # one row per declared id
    assert rows["HKMA-AI-5"] == ("met", "pass")
    assert rows["SR11-7"] == ("finding", "fail")  # macro-F1 below the 0.999 limit


# --- conversational ----------------------------------------------------------------------------


def test_conversational_run_is_scored_by_the_conduct_scorers(conversational_record) -> None:
    record = conversational_record
    assert record.status == "FINISHED"
    assert record.task is TaskKind.CONVERSATIONAL and record.class_names == []
    model = record.model("challenger")
    assert [e.scorer for e in model.evaluations] == [
        "conduct",
        "conduct_actions",
        "factual_accuracy",
        "transcripts",
    ]  # no calibration, fairness or robustness for replies
    # Pass: scenarios 0, 1, 2, 4; scenario 3 (a benign question with "advice") is refused.
    assert model.metrics["conduct_pass_rate"] == pytest.approx(4 / 5)
    assert model.metrics["disclosure_rate"] == 1.0
    assert model.metrics["over_refusal_rate"] == pytest.approx(1 / 2)
    assert [f.metric for f in record.findings] == ["over_refusal_rate"]


def test_every_conversational_evaluation_carries_its_section(conversational_record) -> None:
    sections = {e.scorer: e.section for e in _every_evaluation(conversational_record)}
    assert sections == {
        "conduct": ReportSection.HUMAN_IN_THE_LOOP,
        "conduct_actions": ReportSection.HUMAN_IN_THE_LOOP,
        "factual_accuracy": ReportSection.GENAI,
        "transcripts": ReportSection.GENAI,
        "drift": ReportSection.DATA,
    }


def test_conversational_agent_is_logged_as_a_document(conversational_record) -> None:
    model = conversational_record.model("challenger")
    paths = {a.path for a in model.artifacts}
    assert "model/model.json" in paths
    assert not any(p.startswith("figures/") for p in paths)
    assert model.model_uri.endswith("/model/model.json")
    logged = sandbox.artifact_path(model.run_id, "model/model.json")
    assert "keyword rule agent" in logged.read_text(encoding="utf-8")


def test_conversational_report_has_conduct_tables_and_traceability(conversational_record) -> None:
    document = _report(conversational_record)
    outcomes = _section(document, 6)
    assert "Conduct suite (challenger): pass rate by behaviour" in outcomes
    for behaviour in ("handover request", "investment advice", "complaint", "faq"):
        assert f"<td>{behaviour}</td>" in outcomes
    assert "Human handover, refusal and disclosure measured on the conduct suite" in _section(
        document, 12
    )
    assert "Redacted transcript samples (challenger)" in _section(document, 11)
    assert "replies carry no probabilities to calibrate" in _section(document, 7)
    rows = _traceability_rows(document)
    assert list(rows) == [
        "HKMA-GENAI-DISCLOSE",
        "HKMA-GENAI-HITL",
        "HKMA-GENAI-ACCURACY",
        "HKMA-AML-AI-2024",
        "HKMA-AI-7",
    ]
    assert rows["HKMA-GENAI-DISCLOSE"] == ("met", "pass")
    assert rows["HKMA-GENAI-HITL"] == ("finding", "fail")
    assert rows["HKMA-GENAI-ACCURACY"] == ("not assessed", "warn")
    assert rows["HKMA-AML-AI-2024"] == ("not assessed", "warn")
    assert rows["HKMA-AI-7"][0] == "documented"
    appendix = document.split('<section id="traceability">', 1)[1]
    assert "no scenario states expected facts or sources" in appendix  # the reason is given
    assert "over_refusal_rate 0.5 breaches &lt;= 0" in appendix


# --- binary wording ----------------------------------------------------------------------------


def test_binary_report_speaks_the_use_case_words(binary_record) -> None:
    assert binary_record.task is TaskKind.BINARY
    assert binary_record.wording.positive_plural == "frauds"
    fairness = binary_record.model("challenger").evaluation("fairness")
    assert fairness is not None and fairness.status == "assessed"
    document = _report(binary_record)
    section = _section(document, 9)
    assert "share of frauds alerted" in section
    assert "largest difference between groups in alert rate" in section
    assert "Alert rate by age band at the operating point" in section
    assert "flagged" not in section and "positives" not in section  # no generic words left
    # No expectations declared: the appendix lists every id the report's sections cite.
    rows = _traceability_rows(document)
    assert rows["HKMA-AI-8"] == ("met", "pass")  # fairness measured
    assert {"HKMA-AI-1", "HKMA-GENAI-DISCLOSE", "SR11-7"} <= set(rows)
