"""Reports and sign-off: the review state of a run, its report (preview, download, rebuild),
the sign-off steps the signed-in role may take, and the run's audit trail."""

from __future__ import annotations

import contextvars
import threading

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

import sandbox
from workbench import common
from workbench.i18n import t
from workbench.pages.audit import entries_table

_REBUILDS: dict[str, threading.Thread] = {}
"""Report rebuilds after a sign-off step, by run (one process serves every session)."""


def _rebuild_in_background(run_id: str, compare: str | None) -> None:
    """Rebuild a report after a sign-off step without holding the page (tens of seconds)."""
    current = _REBUILDS.get(run_id)
    if current is not None and current.is_alive():
        return
    context = contextvars.copy_context()  # the signed-in user's sign-in travels with it
    settings = common.settings()
    thread = threading.Thread(
        target=context.run,
        args=(sandbox.build_report, run_id),
        kwargs={"compare": compare, "settings": settings},
        daemon=True,
        name=f"report-{run_id[:8]}",
    )
    _REBUILDS[run_id] = thread
    thread.start()


def _report(run_id: str, compare: str | None) -> None:
    st.markdown(f"#### {t('Report')}")
    rebuilding = _REBUILDS.get(run_id)
    if rebuilding is not None and rebuilding.is_alive():
        st.info(t("Rendering the report (HTML and PDF)..."), icon=":material/hourglass_top:")
    files = sandbox.existing_report(run_id, settings=common.settings())
    label = t("Rebuild the report") if files else t("Build the report")
    if st.button(label, key="report_build", icon=":material/description:"):
        with st.spinner(t("Rendering the report (HTML and PDF)...")):
            sandbox.build_report(run_id, compare=compare, settings=common.settings())
        files = sandbox.existing_report(run_id, settings=common.settings())
    if not files:
        st.caption(t("No report yet for this run."))
        return
    left, right, _ = st.columns([1, 1, 3])
    if "pdf" in files:
        left.download_button(
            t("Download PDF"),
            files["pdf"].read_bytes(),
            file_name=f"report-{run_id}.pdf",
            mime="application/pdf",
            key="report_pdf",
            icon=":material/download:",
        )
    if "html" in files:
        right.download_button(
            t("Download HTML"),
            files["html"].read_bytes(),
            file_name=f"report-{run_id}.html",
            mime="text/html",
            key="report_html",
            icon=":material/download:",
        )
        with st.expander(t("Preview"), expanded=False):
            components.html(files["html"].read_text(encoding="utf-8"), height=900, scrolling=True)


def _sign_off(run_id: str, review) -> None:
    st.markdown(f"#### {t('Sign-off')}")
    steps = sandbox.review_steps_for(review.state, common.user().role)
    if not steps:
        st.caption(t("Your role takes no step on a review in this state."))
        return
    with st.form("signoff", clear_on_submit=True):
        action = st.radio(t("Step"), steps, horizontal=True, format_func=t, key="review_action")
        comment = st.text_area(t("Comment (required)"), key="review_comment", height=80)
        submitted = st.form_submit_button(t("Record the step"), type="primary")
    if submitted:
        new = sandbox.review_step(
            run_id, action, comment=comment, settings=common.settings(), rebuild_report=False
        )
        _rebuild_in_background(run_id, new.compare_run_id)
        st.session_state["review_flash"] = t(
            "Recorded: the run is now {state}. The report is being rebuilt to show it.",
            state=t(new.state),
        )
        st.rerun()


def render() -> None:
    st.header(t("Reports and sign-off"))
    settings = common.settings()
    finished = [
        s for s in sandbox.recent_runs(limit=100, settings=settings) if s.status == "FINISHED"
    ]
    if not finished:
        st.info(t("No finished runs yet."))
        return
    labels = {common.run_label(s): s.run_id for s in finished}
    run_id = labels[st.selectbox(t("Run"), list(labels), key="report_run")]
    flash = st.session_state.pop("review_flash", None)
    if flash:
        st.success(flash)
    review, check, file_problems = sandbox.review_status(run_id, settings=settings)
    st.markdown(f"{t('Review state')}: **{t(review.state)}**")
    if review.steps:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("action"): t(s.action),
                        t("user"): s.user,
                        t("role"): t(s.role),
                        t("at"): s.at[:19].replace("T", " "),
                        t("details"): s.comment,
                    }
                    for s in review.steps
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    rebuilding = _REBUILDS.get(run_id)
    if rebuilding is not None and rebuilding.is_alive():
        file_problems = []  # the files are being rewritten to match the new state
    problems = ([check.reason] if check is not None and not check.valid else []) + file_problems
    for problem in problems:
        st.error(t("Signed content changed: {problem}", problem=problem))
    if check is not None and not problems:
        st.success(t("Hashes verified: the run and the report are what was signed."))
    _report(run_id, review.compare_run_id or sandbox.champion_run_id(run_id, settings=settings))
    _sign_off(run_id, review)
    with st.expander(t("Audit trail of this run")):
        mine = [
            e
            for e in sandbox.audit_entries(settings=settings)
            if e.target == run_id or run_id in str(e.details)
        ]
        st.dataframe(entries_table(mine), hide_index=True, width="stretch")
