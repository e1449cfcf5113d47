"""The hashed body of the model-risk review report, rendered from RunRecords only.

The body (sections 1-14, the traceability and reproducibility appendices) is rendered from a
run's RunRecord, an optional compared run's RunRecord (e.g. the approved champion) and the
figures the RunRecord lists with their sha256. The sign-off section sits outside the body (see
``builder``), so approvals can hash the body without hashing themselves.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sandbox import tracking
from sandbox.config import Settings
from sandbox.errors import DataError, PrerequisiteError, SandboxError, UnknownNameError
from sandbox.experiment import ModelResult, RunRecord
from sandbox.reports import charts

BODY_START = "<!-- report-body-start -->"
BODY_END = "<!-- report-body-end -->"

# Section number -> (title, regulatory ids it evidences). The numbering is part of the contract
# with compliance officers: it never changes, a section without evidence says "not assessed".
SECTIONS: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("Executive summary", ("HKMA-AI-1", "HKMA-BDAI-GOV", "SR11-7")),
    2: ("Use case, intended use and limitations", ("HKMA-AI-1", "SR11-7")),
    3: ("Data and lineage", ("HKMA-AI-4", "HKMA-AI-10", "HKMA-BDAI-PRIV", "PDPO-DPP")),
    4: ("Model provenance", ("HKMA-AI-7", "HKMA-AI-6")),
    5: ("Conceptual soundness", ("SR11-7", "HKMA-AI-5")),
    6: ("Outcomes analysis", ("HKMA-AI-5", "SR11-7")),
    7: ("Calibration and stability", ("HKMA-AI-5",)),
    8: ("Robustness", ("HKMA-AI-5", "HKMA-AI-11")),
    9: ("Fairness", ("HKMA-AI-8", "HKMA-BDAI-FAIR")),
    10: (
        "Explainability and customer disclosure",
        ("HKMA-AI-3", "HKMA-BDAI-TRANS", "HKMA-GENAI-DISCLOSE"),
    ),
    11: ("GenAI-specific risks", ("HKMA-GENAI-ACCURACY", "HKMA-GENAI-VALID", "HKMA-AI-11")),
    12: ("Human-in-the-loop and controls", ("HKMA-GENAI-HITL", "HKMA-AI-12", "HKMA-BDAI-GOV")),
    13: ("Monitoring plan", ("HKMA-AI-9", "SR11-7")),
    14: ("Findings and limitations", ("HKMA-AI-5", "SR11-7")),
    15: ("Sign-offs", ("HKMA-AI-1", "HKMA-AI-2", "HKMA-AI-6")),
}
APPENDIX = ("Appendix: reproducibility", ("HKMA-AI-6",))
TRACEABILITY_APPENDIX = ("Appendix: regulatory traceability", ("HKMA-AI-6", "HKMA-GENAI-VALID"))

_METRIC_LABELS = {
    "auprc": "AUPRC",
    "roc_auc": "ROC AUC",
    "f1": "F1",
    "precision": "Precision",
    "recall": "Recall",
    "precision_at_capacity": "Precision at capacity",
    "recall_at_capacity": "Recall at capacity",
    "expected_cost": "Expected cost (HK$)",
    "cv_f1_sms_mean": "F1, SMS k-fold CV",
    "sample.f1": "F1 on the LLM's test sample",
    "sample.auprc": "AUPRC on the LLM's test sample",
    "brier": "Brier score",
    "ece": "Expected calibration error",
}


def metric_label(key: str) -> str:
    if key in _METRIC_LABELS:
        return _METRIC_LABELS[key]
    base, _, rest = key.partition(".")
    if base in _METRIC_LABELS and rest:
        return f"{_METRIC_LABELS[base]} ({rest.replace('.', ' ')})"
    return key.replace("_", " ")


def fmt(value: Any, key: str = "") -> str:
    """Numbers as a compliance officer reads them: 4 significant digits, money with commas."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return "n/a"
        if "cost" in key or "saving" in key:
            return f"{number:,.0f}"
        if number.is_integer() and abs(number) >= 1:
            return f"{int(number):,}"
        if abs(number) >= 1000:
            return f"{number:,.1f}"
        return f"{number:.4g}"
    return str(value)


def resolve_parent_run(settings: Settings, run_id: str) -> str:
    """The parent run id for a parent or child run id of the acting tenant."""
    client = tracking.configure(settings)
    try:
        run = client.get_run(run_id)
    except Exception:
        raise UnknownNameError(
            f"no run '{run_id}' in {settings.resolved_tracking_uri}; `sandbox runs` lists runs"
        ) from None
    if run.data.tags.get(tracking.TAG_TENANT) != settings.identity.tenant:
        raise UnknownNameError(f"no run '{run_id}' for tenant '{settings.identity.tenant}'")
    if run.data.tags.get(tracking.TAG_KIND) == "model":
        return run.data.tags["mlflow.parentRunId"]
    return run_id


def load_record(settings: Settings, run_id: str) -> RunRecord:
    """The RunRecord of a (parent or child) run, validated against the current schema."""
    parent = resolve_parent_run(settings, run_id)
    try:
        record = RunRecord.model_validate(tracking.download_run_record(settings, parent))
    except UnknownNameError:
        raise UnknownNameError(
            f"run '{parent}' has no run record (did it finish?); only finished sandbox runs "
            "have reports"
        ) from None
    except ValueError as exc:
        raise PrerequisiteError(
            f"run '{parent}' was recorded with an older run-record schema and cannot be "
            f"reported ({str(exc).splitlines()[0]}); re-run the experiment"
        ) from None
    if record.run_id != parent:  # the record names the run it is stored in, nothing else
        raise DataError(
            f"the run record stored in run '{parent}' claims to be of another run; it was "
            "altered and is not used"
        )
    return record


def _artifact_image(settings: Settings, run_id: str, refs: list, path: str) -> str | None:
    """A logged figure as a data URI, after checking its sha256 against the RunRecord."""
    ref = next((r for r in refs if r.path == path), None)
    if ref is None:
        return None
    local = tracking.download_artifact(settings, run_id, path)
    data = local.read_bytes()
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise SandboxError(
            f"figure {path} of run {run_id} does not match the sha256 in its run record: "
            "the artifact was changed after the run; the report refuses to use it"
        )
    return _data_uri(data)


def _data_uri(png: bytes | None) -> str | None:
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _verdict(record: RunRecord) -> dict[str, Any]:
    high = [f for f in record.findings if f.severity.value == "high"]
    medium = [f for f in record.findings if f.severity.value == "medium"]
    low = [f for f in record.findings if f.severity.value == "low"]
    if high:
        word, css = "Not ready for approval", "fail"
        text = (
            f"{len(high)} high-severity finding(s) must be resolved or the model restricted "
            "before approval."
        )
    elif medium:
        word, css = "Approvable with justification", "warn"
        text = f"{len(medium)} medium-severity finding(s) need a written justification."
    else:
        word, css = "All thresholds met", "pass"
        text = "Every threshold that applies to the models is met."
    return {"word": word, "css": css, "text": text, "high": high, "medium": medium, "low": low}


def _slice_tables(model: ModelResult) -> list[dict[str, Any]]:
    tables = []
    for column, by_value in model.slice_metrics.items():
        keys = sorted({k for values in by_value.values() for k in values})
        rows = [(value, [values.get(k) for k in keys]) for value, values in by_value.items()]
        tables.append({"column": column, "metric_keys": keys, "rows": rows})
    return tables


def _monitoring_rows(record: RunRecord, model: ModelResult | None) -> list[dict[str, str]]:
    if record.governance is None or model is None:
        return []
    thresholds = {v.threshold.metric: v.threshold for v in model.verdicts}
    rows = []
    for metric in record.governance.monitoring_metrics:
        threshold = thresholds.get(metric)
        trigger = (
            f"{threshold.direction} {threshold.limit:g} ({threshold.severity.value})"
            if threshold
            else "moves more than 10% from this run's value"
        )
        rows.append(
            {
                "metric": metric_label(metric),
                "key": metric,
                "current": fmt(model.metrics.get(metric), metric),
                "trigger": trigger,
            }
        )
    drift = record.evaluation("drift")
    if drift is not None and drift.status == "assessed":
        rows.append(
            {
                "metric": "Population drift (max PSI over inputs)",
                "key": "psi_max",
                "current": fmt(drift.metrics.get("psi_max")),
                "trigger": ">= 0.25 on any input: investigate; >= 0.1: watch",
            }
        )
    return rows


GENAI_SECTION = 11
"""The report section GenAI evaluations evidence (their ``section`` in the RunRecord)."""


def _in_section(record: RunRecord, number: int) -> list[tuple[ModelResult, Any]]:
    """(model, evaluation) pairs whose evaluation evidences report section ``number``."""
    return [
        (model, evaluation)
        for model in record.models
        for evaluation in model.evaluations
        if evaluation.section is not None and int(evaluation.section) == number
    ]


def _regulatory_catalogue() -> dict[str, dict[str, str]]:
    doc = yaml.safe_load((Path(__file__).parent / "regulatory.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in doc["expectations"]}


def traceability(record: RunRecord) -> list[dict[str, Any]]:
    """Each applicable expectation id with the evidence of this run and its status.

    Status: ``finding`` (a threshold citing it is breached), ``met`` (measured evidence cites it
    and nothing citing it is breached), ``documented`` (only declared evidence: governance text,
    provenance, the sign-off trail), ``not assessed`` (the evaluations citing it could not run,
    or nothing in the run speaks to it), with the reason.
    """
    catalogue = _regulatory_catalogue()
    cited_sections: dict[str, list[int]] = {}
    for number, (_, ids) in SECTIONS.items():
        for expectation in ids:
            cited_sections.setdefault(expectation, []).append(number)
    for expectation in APPENDIX[1]:
        cited_sections.setdefault(expectation, []).append(0)
    ids = list(record.expectations) or sorted(
        {e for _title, section_ids in SECTIONS.values() for e in section_ids}
        | {v.threshold.evidences for m in record.models for v in m.verdicts}
    )
    rows = []
    for expectation in ids:
        entry = catalogue.get(expectation, {})
        verdicts = [
            (m.role, v)
            for m in record.models
            for v in m.verdicts
            if v.threshold.evidences == expectation
        ]
        evaluations = [
            (m.role, e) for m in record.models for e in m.evaluations if expectation in e.evidences
        ] + [("run", e) for e in record.evaluations if expectation in e.evidences]
        breached = [(role, v) for role, v in verdicts if not v.passed]
        assessed = [(role, e) for role, e in evaluations if e.status == "assessed"]
        not_assessed = [(role, e) for role, e in evaluations if e.status != "assessed"]
        evidence: list[str] = []
        if verdicts:
            met = len(verdicts) - len(breached)
            evidence.append(f"{met} of {len(verdicts)} thresholds met")
        titles = sorted({e.title for _, e in assessed})
        evidence.extend(titles[:4])
        sections = [n for n in cited_sections.get(expectation, []) if n]
        if sections:
            evidence.append("report section " + ", ".join(str(n) for n in sections))
        if breached:
            status = "finding"
            reason = "; ".join(
                f"{role}: {v.threshold.metric} {fmt(v.value)} breaches "
                f"{v.threshold.direction} {v.threshold.limit:g}"
                for role, v in breached[:3]
            )
        elif verdicts or assessed:
            status, reason = "met", ""
        elif not_assessed:
            status = "not assessed"
            reason = "; ".join(sorted({e.reason for _, e in not_assessed}))[:300]
        elif sections:
            status = "documented"
            reason = "declared by the use case and the sign-off trail; no metric applies"
        else:
            status = "not assessed"
            reason = "no evaluation, threshold or report section of this run speaks to it"
        rows.append(
            {
                "id": expectation,
                "source": entry.get("source", ""),
                "expectation": entry.get("expectation", "(not in the regulatory map)"),
                "evidence": evidence,
                "status": status,
                "reason": reason,
            }
        )
    return rows


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sandbox.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["label"] = metric_label
    env.filters["short"] = lambda value, n=12: str(value)[:n]
    env.filters["pct"] = lambda value: "n/a" if value is None else f"{100 * float(value):.1f}%"
    return env


def render_body(settings: Settings, record: RunRecord, compare: RunRecord | None) -> str:
    """The hashed part of the report: sections 1-14 and the appendix, deterministic."""
    models = record.models
    figures = {
        "pr_all": _artifact_image(
            settings, record.run_id, record.artifacts, "figures/pr_curves_all_models.png"
        ),
        "confusion": {
            m.role: _artifact_image(settings, m.run_id, m.artifacts, "figures/confusion_matrix.png")
            for m in models
        },
        "scores": {
            m.role: _artifact_image(
                settings, m.run_id, m.artifacts, "figures/score_distribution.png"
            )
            for m in models
        },
        "reliability": _data_uri(charts.reliability(models)),
        "drift": _data_uri(charts.drift(record)),
        "importance": {
            m.role: _data_uri(charts.importance(m, record.wording.positive)) for m in models
        },
        "fairness": {},
        "confused": {
            m.role: _artifact_image(settings, m.run_id, m.artifacts, "figures/confused_pairs.png")
            for m in models
        },
    }
    fairness_attributes: list[str] = []
    for model in models:
        evaluation = model.evaluation("fairness")
        if evaluation is not None and evaluation.status == "assessed":
            for attribute in evaluation.slices:
                if attribute not in fairness_attributes:
                    fairness_attributes.append(attribute)
    for attribute in fairness_attributes:
        figures["fairness"][attribute] = _data_uri(
            charts.fairness_rates(models, attribute, record.wording.decision)
        )

    primary = next((m for m in models if m.role == "challenger"), models[-1] if models else None)
    context = {
        "record": record,
        "compare": compare,
        "models": models,
        "primary": primary,
        "sections": SECTIONS,
        "appendix": APPENDIX,
        "traceability_appendix": TRACEABILITY_APPENDIX,
        "verdict": _verdict(record),
        "figures": figures,
        "fairness_attributes": fairness_attributes,
        "slice_tables": {m.role: _slice_tables(m) for m in models},
        "monitoring": _monitoring_rows(record, primary),
        "genai": _in_section(record, GENAI_SECTION),
        "in_section": {n: _in_section(record, n) for n in SECTIONS},
        "traceability": traceability(record),
        "words": record.wording,
        "task": record.task.value,
        "redaction": {
            k.removeprefix("redaction."): v
            for k, v in record.data_facts.items()
            if k.startswith("redaction.")
        },
        "facts": {k: v for k, v in record.data_facts.items() if not k.startswith("redaction.")},
        "baseline": next((m for m in models if m.role == "baseline"), None),
        "findings_sorted": sorted(
            record.findings, key=lambda f: {"high": 0, "medium": 1, "low": 2}[f.severity.value]
        ),
    }
    return environment().get_template("body.html.j2").render(**context)


def body_of(document: str) -> str:
    """The hashed body inside a rendered report document."""
    start, end = document.find(BODY_START), document.find(BODY_END)
    if start < 0 or end < 0:
        raise SandboxError("not a sandbox report: the body markers are missing")
    return document[start : end + len(BODY_END)]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.parts.append(data.strip())


def visible_text(document: str) -> list[str]:
    """Visible text fragments of an HTML document (for the privacy guard; images excluded)."""
    parser = _TextOnly()
    parser.feed(re.sub(r"<style.*?</style>", "", document, flags=re.S))
    return parser.parts


def report_dir(settings: Settings, run_id: str) -> Path:
    return settings.home / "reports" / settings.identity.tenant / tracking.checked_run_id(run_id)
