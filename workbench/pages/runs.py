"""Runs: filter the bank's runs, open one, or compare several side by side (metrics with
intervals, overlaid ROC / precision-recall / calibration curves, fairness gaps, verdicts)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t

_ALL = "__all__"


def _metric_columns(summaries: list[sandbox.RunSummary], key_metrics: list[str]) -> list[str]:
    """``role.metric`` columns of the key metrics that these runs recorded, every role kept."""
    seen = {k for s in summaries for k in s.metrics}
    roles = sorted({k.split(".", 1)[0] for k in seen if "." in k})
    return [f"{role}.{m}" for role in roles for m in key_metrics if f"{role}.{m}" in seen]


def _table(summaries: list[sandbox.RunSummary], columns: list[str]) -> pd.DataFrame:
    rows = []
    for s in summaries:
        row = {
            t("run"): common.run_label(s),
            t("status"): s.status,
            t("user"): s.user,
        }
        row.update({c: s.metrics.get(c) for c in columns})
        row[t("Failure")] = s.failure[:200]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not any(s.failure for s in summaries):
        frame = frame.drop(columns=[t("Failure")])
    return frame


def _interval(model: sandbox.ModelResult, metric: str) -> str:
    value = model.metrics.get(metric)
    for evaluation in model.evaluations:
        if metric in evaluation.intervals:
            i = evaluation.intervals[metric]
            return f"{common.fmt(value)} [{i.low:.3f}, {i.high:.3f}]"
    return common.fmt(value)


def _curves(records: list[sandbox.RunRecord]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    roc, pr, reliability = [], [], []
    for rec in records:
        for model in rec.models:
            series = f"{rec.run_id[:8]} · {model.name}"
            evaluation = model.evaluation("calibration")
            if evaluation is None:
                continue
            curves = evaluation.evidence.get("curves") or {}
            roc += [{"series": series, "x": x, "y": y} for x, y in curves.get("roc", [])]
            pr += [{"series": series, "x": x, "y": y} for x, y in curves.get("pr", [])]
            reliability += [
                {"series": series, "x": row["mean_score"], "y": row["fraction_positive"]}
                for row in evaluation.evidence.get("reliability", [])
            ]
    return pd.DataFrame(roc), pd.DataFrame(pr), pd.DataFrame(reliability)


def _line(frame: pd.DataFrame, x: str, y: str, diagonal: bool, points: bool = False) -> alt.Chart:
    chart = (
        alt.Chart(frame)
        .mark_line(point=points)
        .encode(
            x=alt.X("x:Q", title=x, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("y:Q", title=y, scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
        )
        .properties(height=300)
    )
    if diagonal:
        line = (
            alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
            .mark_line(strokeDash=[4, 4], color="grey")
            .encode(x="x:Q", y="y:Q")
        )
        chart = line + chart
    return chart


def _compare(records: list[sandbox.RunRecord]) -> None:
    st.markdown(f"#### {t('Metrics with 95% intervals')}")
    keys = list(dict.fromkeys(k for rec in records for k in rec.key_metrics))
    rows = []
    for rec in records:
        for model in rec.models:
            row = {
                t("run"): f"{common.when(rec.started_at)} · {rec.run_id[:8]}",
                t("model"): model.name,
                t("role"): model.role,
            }
            row.update({k: _interval(model, k) for k in keys})
            failed = sum(not v.passed for v in model.verdicts)
            row[t("verdict")] = (
                t("all thresholds met") if not failed else t("{n} threshold breaches", n=failed)
            )
            rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

    roc, pr, reliability = _curves(records)
    if roc.empty and reliability.empty:
        st.caption(t("These runs recorded no curves (runs made before curves were recorded)."))
    else:
        left, middle, right = st.columns(3)
        if not roc.empty:
            left.markdown(f"##### {t('ROC curves')}")
            left.altair_chart(
                _line(roc, "false positive rate", "true positive rate", True),
                use_container_width=True,
            )
        if not pr.empty:
            middle.markdown(f"##### {t('Precision-recall curves')}")
            middle.altair_chart(_line(pr, "recall", "precision", False), use_container_width=True)
        if not reliability.empty:
            right.markdown(f"##### {t('Calibration')}")
            right.altair_chart(
                _line(reliability, "mean score", "fraction positive", True, points=True),
                use_container_width=True,
            )

    gaps = []
    for rec in records:
        for model in rec.models:
            evaluation = model.evaluation("fairness")
            if evaluation is None:
                continue
            for metric, value in evaluation.metrics.items():
                if metric.startswith(("dpd.", "eod.")) and value == value:
                    interval = evaluation.intervals.get(metric)
                    gaps.append(
                        {
                            "series": f"{rec.run_id[:8]} · {model.name}",
                            "gap": metric,
                            "value": value,
                            "low": interval.low if interval else value,
                            "high": interval.high if interval else value,
                        }
                    )
    if gaps:
        st.markdown(f"#### {t('Fairness gaps')}")
        frame = pd.DataFrame(gaps)
        bars = (
            alt.Chart()
            .mark_bar()
            .encode(
                y=alt.Y("series:N", title=None),
                x=alt.X("value:Q", title="gap (bars) and 95% interval (lines)"),
                color=alt.Color("series:N", legend=None),
            )
        )
        whiskers = alt.Chart().mark_rule(color="black").encode(y="series:N", x="low:Q", x2="high:Q")
        chart = alt.layer(bars, whiskers, data=frame).facet(
            row=alt.Row("gap:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left"))
        )
        st.altair_chart(chart, use_container_width=True)

    st.markdown(f"#### {t('Threshold verdicts')}")
    verdicts = [
        {
            t("run"): rec.run_id[:8],
            t("model"): model.name,
            t("metric"): v.threshold.metric,
            t("value"): v.value,
            t("limit"): f"{v.threshold.direction} {v.threshold.limit:g}",
            t("passed"): v.passed,
        }
        for rec in records
        for model in rec.models
        for v in model.verdicts
    ]
    if verdicts:
        st.dataframe(pd.DataFrame(verdicts), hide_index=True, width="stretch")


def render() -> None:
    st.header(t("Runs"))
    summaries = sandbox.recent_runs(limit=100, settings=common.settings())
    if not summaries:
        st.info(t("No runs yet."))
        return
    experiments = sorted({f"{s.use_case}/{s.experiment}" for s in summaries})
    left, middle, right = st.columns([2, 1, 1])
    chosen = left.selectbox(
        t("Experiment"),
        [_ALL, *experiments],
        key="runs_experiment",
        format_func=lambda x: t("All experiments") if x == _ALL else x,
    )
    statuses = sorted({s.status for s in summaries})
    status = middle.multiselect(t("status"), statuses, default=statuses, key="runs_status")
    users = sorted({s.user for s in summaries})
    who = right.multiselect(t("user"), users, default=users, key="runs_user")
    shown = [
        s
        for s in summaries
        if s.status in status
        and s.user in who
        and (chosen == _ALL or f"{s.use_case}/{s.experiment}" == chosen)
    ]
    columns: list[str] = []
    if chosen != _ALL:
        finished = [s for s in shown if s.status == "FINISHED"]
        if finished:
            columns = _metric_columns(shown, common.record(finished[0].run_id).key_metrics)
    else:
        st.caption(t("Pick an experiment to see its metrics side by side."))
    st.dataframe(_table(shown, columns), hide_index=True, width="stretch")

    finished = [s for s in shown if s.status == "FINISHED"]
    if not finished:
        return
    labels = {common.run_label(s): s.run_id for s in finished}
    st.markdown(f"### {t('Compare runs')}")
    picked = st.multiselect(
        t("Compare runs"),
        list(labels),
        key="runs_compare",
        label_visibility="collapsed",
        placeholder=t("Pick two or more finished runs of this experiment."),
    )
    if len(picked) >= 2:
        _compare([common.record(labels[p]) for p in picked])
    elif picked:
        st.caption(t("Pick two or more finished runs of this experiment."))
    st.markdown(f"### {t('Open a run')}")
    label = st.selectbox(
        t("Open a run"), list(labels), key="runs_open", label_visibility="collapsed"
    )
    common.show_record(common.record(labels[label]))
