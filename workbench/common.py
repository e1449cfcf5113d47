"""What every page shares: the signed-in user and their settings, formatting, run labels and
the record view. Pages go through the public ``sandbox`` API only."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
import streamlit as st

import sandbox
from workbench.i18n import t

IDLE_MINUTES = 30
"""A session signs out after this long without a page view."""


def user() -> sandbox.SignedIn:
    """The signed-in user (the shell only renders pages for a signed-in session)."""
    return st.session_state["user"]


def settings() -> sandbox.Settings:
    """The signed-in user's settings (set by the shell for this script run)."""
    return st.session_state["_settings"]


def may(action: sandbox.Action) -> bool:
    return user().identity.can(action)


def fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4f}"


def when(started: str) -> str:
    """``2026-12-05 14:03`` from an ISO time (as recorded), else as given."""
    try:
        return datetime.fromisoformat(started).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return started[:16]


def run_label(summary: sandbox.RunSummary) -> str:
    return (
        f"{when(summary.started)} · {summary.use_case}/{summary.experiment} · {summary.run_id[:8]}"
    )


def mlflow_link(run_id: str, experiment_id: str) -> str:
    base = (settings().server_url or "").rstrip("/")
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}" if base else ""


def verdict_text(record: sandbox.RunRecord) -> str:
    return (
        t("all thresholds met")
        if not record.findings
        else t("{n} threshold breaches", n=len(record.findings))
    )


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _record(run_id: str, tenant: str, _settings: sandbox.Settings) -> sandbox.RunRecord:
    return sandbox.load_run_record(run_id, settings=_settings)


def record(run_id: str) -> sandbox.RunRecord:
    """A finished run's record (cached per bank: records do not change once written)."""
    return _record(run_id, user().identity.tenant, settings())


def show_record(rec: sandbox.RunRecord) -> None:
    """Metrics, verdicts, findings and figures of one run."""
    st.subheader(rec.title)
    link = mlflow_link(rec.run_id, rec.mlflow_experiment_id)
    st.caption(
        f"{when(rec.started_at)} · {rec.use_case}/{rec.experiment} · run `{rec.run_id}` · "
        f"{rec.identity.user} · {rec.duration_seconds:.0f} s · code {rec.code.git_sha[:10]}"
        + (f" · [{t('Open in MLflow')}]({link})" if link else "")
    )
    rows = []
    for model in rec.models:
        failed = sum(1 for v in model.verdicts if not v.passed)
        row = {t("model"): model.name, t("role"): model.role}
        row.update({k: fmt(model.metrics.get(k)) for k in rec.key_metrics})
        row[t("verdict")] = (
            t("all thresholds met") if not failed else t("{n} threshold breaches", n=failed)
        )
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if rec.findings:
        st.warning("\n".join(f"- **{f.model}**: {f.message}" for f in rec.findings))
    else:
        st.success(t("all thresholds met"))
    figures = [(rec.run_id, ref.path, "") for ref in rec.artifacts]
    figures += [(m.run_id, ref.path, m.name) for m in rec.models for ref in m.artifacts]
    figures = [f for f in figures if f[1].endswith(".png")]
    if figures:
        with st.expander(t("Figures"), expanded=False):
            for start in range(0, len(figures), 3):
                columns = st.columns(3)
                for column, (run_id, path, owner) in zip(
                    columns, figures[start : start + 3], strict=False
                ):
                    name = path.removeprefix("figures/").removesuffix(".png").replace("_", " ")
                    column.image(
                        str(sandbox.artifact_path(run_id, path, settings=settings())),
                        caption=f"{owner}: {name}" if owner else name,
                    )
    with st.expander(t("Data, intended use and limitations")):
        st.markdown(f"**{t('Intended use')}.** {rec.intended_use}")
        st.markdown(f"**{t('Limitations')}.**\n" + "\n".join(f"- {i}" for i in rec.limitations))
        st.dataframe(
            pd.DataFrame([f.model_dump() for f in rec.data]), hide_index=True, width="stretch"
        )
        st.code(rec.replay_command, language="bash")
