"""Home: the bank's recent runs with verdicts, its launches, and the compute picture."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t
from workbench.pages.launch import launches_table


def _compute() -> None:
    status = sandbox.compute_status(settings=common.settings())
    left, middle, right, last = st.columns(4)
    gpu = ", ".join(d["name"] for d in status.devices) if status.devices else "CPU"
    left.metric(t("Device"), status.device.upper(), gpu if status.devices else None)
    middle.metric(
        t("Queue"),
        t("{queued} waiting · {running} running", queued=status.queued, running=status.running),
    )
    tokens, token_limit = status.usage["tokens"], status.limits["tokens_per_day"]
    right.metric(t("Model tokens today"), f"{tokens:,.0f} / {token_limit:,.0f}")
    right.progress(min(tokens / token_limit, 1.0) if token_limit else 0.0)
    seconds, second_limit = status.usage["gpu_seconds"], status.limits["gpu_seconds_per_day"]
    last.metric(t("GPU-seconds today"), f"{seconds:,.0f} / {second_limit:,.0f}")
    last.progress(min(seconds / second_limit, 1.0) if second_limit else 0.0)
    if status.device_problem:
        st.warning(status.device_problem)


def _recent() -> None:
    summaries = sandbox.recent_runs(limit=12, settings=common.settings())
    if not summaries:
        st.info(t("No runs yet."))
        return
    rows = []
    for s in summaries:
        row = {
            t("started"): common.when(s.started),
            t("experiment"): f"{s.use_case}/{s.experiment}",
            t("status"): s.status,
            t("user"): s.user,
            t("run"): s.run_id[:8],
            t("verdict"): s.failure[:120] if s.status == "FAILED" else "",
        }
        if s.status == "FINISHED":
            rec = common.record(s.run_id)
            row[t("verdict")] = common.verdict_text(rec)
            champion = next((m for m in rec.models if m.role == "challenger"), None) or (
                rec.models[0] if rec.models else None
            )
            if champion is not None and rec.key_metrics:
                key = rec.key_metrics[0]
                row[t("metric")] = (
                    f"{key} {common.fmt(champion.metrics.get(key))} ({champion.name})"
                )
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render() -> None:
    st.header(t("Home"))
    st.subheader(t("Compute"))
    _compute()
    st.subheader(t("Recent runs"))
    _recent()
    launched = sandbox.launched_runs(limit=5, settings=common.settings())
    if launched:
        st.subheader(t("Launched from the workbench"))
        launches_table(launched)
