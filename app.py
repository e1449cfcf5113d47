"""Streamlit workbench for bank data scientists: run experiments, look at results and past runs.

Thin by design: every page calls the public ``sandbox`` API and draws; no domain logic here.
Add a page by writing a function and listing it in ``PAGES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

import sandbox

st.set_page_config(page_title="HK GenAI Sandbox", page_icon=":bank:", layout="wide")


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4f}"


def _show_record(record: sandbox.RunRecord) -> None:
    """Metrics, findings and figures of one run."""
    st.subheader(f"{record.title}")
    st.caption(
        f"Run `{record.run_id}` · {record.use_case}/{record.experiment} · "
        f"by {record.identity.user} ({record.identity.role}) · "
        f"{record.duration_seconds:.0f} s · code {record.code.git_sha[:10]}"
    )
    rows = []
    for model in record.models:
        failed = sum(1 for v in model.verdicts if not v.passed)
        row = {"model": model.name, "role": model.role}
        row.update({k: _fmt(model.metrics.get(k)) for k in record.key_metrics})
        row["thresholds"] = "all pass" if failed == 0 else f"{failed} failed"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if record.findings:
        st.warning(
            "**Threshold breaches**\n\n"
            + "\n".join(f"- {f.model}: {f.message}" for f in record.findings)
        )
    else:
        st.success("All thresholds met.")

    st.markdown("#### Figures")
    # Whatever figures the run logged (they differ by task kind: PR curves and confusion
    # matrices for binary models, confused class pairs for multiclass ones, none for agents).
    figures = [(record.run_id, ref.path, "all models") for ref in record.artifacts]
    figures += [(m.run_id, ref.path, m.name) for m in record.models for ref in m.artifacts]
    figures = [f for f in figures if f[1].endswith(".png")]
    if not figures:
        st.caption("This run logs no figures; its evaluations are in the report.")
    for start in range(0, len(figures), 3):
        columns = st.columns(3)
        for column, (run_id, path, owner) in zip(columns, figures[start : start + 3], strict=False):
            caption = f"{owner}: {path.removeprefix('figures/').removesuffix('.png')}"
            column.image(
                str(sandbox.artifact_path(run_id, path)), caption=caption.replace("_", " ")
            )
    with st.expander("Data, intended use and limitations"):
        st.markdown(f"**Intended use.** {record.intended_use}")
        st.markdown("**Limitations.**\n" + "\n".join(f"- {item}" for item in record.limitations))
        st.dataframe(
            pd.DataFrame([f.model_dump() for f in record.data]), hide_index=True, width="stretch"
        )
        st.code(record.replay_command, language="bash")


def run_page() -> None:
    st.header("Run an experiment")
    catalogue = sandbox.use_cases()
    left, right = st.columns(2)
    use_case = left.selectbox("Use case", list(catalogue), key="use_case")
    name = right.selectbox("Experiment", catalogue[use_case], key="experiment")
    exp = sandbox.get_experiment(use_case, name)
    st.markdown(f"**{exp.title}**  \n{exp.intended_use}")
    with st.expander("Parameters (defaults shown; override below)"):
        defaults = sandbox.load_params(exp.params_model, exp.default_config)
        st.json(defaults.model_dump(mode="json"), expanded=False)
        overrides_text = st.text_area(
            "Overrides, one `key.sub=value` per line",
            key="overrides",
            placeholder="seed=7\nsimulation.days=30",
        )
    if st.button("Run experiment", type="primary", key="run"):
        overrides = [line.strip() for line in overrides_text.splitlines() if line.strip()]
        bar = st.progress(0.0, text="Starting")

        def progress(stage: str, completed: float, total: float) -> None:
            bar.progress(min(max(completed / (total or 1), 0.0), 1.0), text=stage)

        try:
            with st.spinner(f"Running {use_case}/{name}"):
                record = sandbox.run_experiment(
                    use_case, name, overrides=overrides, progress=progress
                )
        except sandbox.SandboxError as exc:
            bar.empty()
            st.error(str(exc))
            return
        bar.progress(1.0, text="Finished")
        st.session_state["last_run_id"] = record.run_id
        st.session_state["last_record"] = record
    record = st.session_state.get("last_record")
    if record is not None:
        _show_record(record)


def runs_page() -> None:
    st.header("Recent runs")
    summaries = sandbox.recent_runs(limit=50)
    if not summaries:
        st.info("No runs yet: start one on the *Run an experiment* page or with `sandbox demo`.")
        return
    table = pd.DataFrame(
        [
            {
                "started": s.started,
                "experiment": f"{s.use_case}/{s.experiment}",
                "status": s.status,
                "user": s.user,
                **{
                    k: s.metrics[k]
                    for k in sorted(s.metrics)
                    if k.startswith(("baseline.", "challenger."))
                },
                "run id": s.run_id,
            }
            for s in summaries
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    finished = [s.run_id for s in summaries if s.status == "FINISHED"]
    if finished:
        chosen = st.selectbox("Open a run", finished, key="open_run")
        try:
            _show_record(sandbox.load_run_record(chosen))
        except sandbox.SandboxError as exc:
            st.error(str(exc))


_REVIEW_ACTIONS = {
    "draft": ["submit"],
    "rejected": ["submit"],
    "submitted": ["validate"],
    "validated": ["approve", "reject"],
    "approved": [],
}


def reports_page() -> None:
    st.header("Review reports and sign-off")
    summaries = [s for s in sandbox.recent_runs(limit=50) if s.status == "FINISHED"]
    if not summaries:
        st.info("No finished runs yet: start one on the *Run an experiment* page.")
        return
    labels = {
        f"{s.started} · {s.use_case}/{s.experiment} · {s.run_id}": s.run_id for s in summaries
    }
    run_id = labels[st.selectbox("Run", list(labels), key="report_run")]
    review, check, file_problems = sandbox.review_status(run_id)
    st.markdown(f"Review state: **{review.state}**")
    if review.steps:
        st.dataframe(
            pd.DataFrame(
                [s.model_dump(exclude={"run_sha256", "body_sha256"}) for s in review.steps]
            ),
            hide_index=True,
            width="stretch",
        )
    problems = ([check.reason] if check is not None and not check.valid else []) + file_problems
    for problem in problems:
        st.error(f"Signed content changed: {problem}")
    if check is not None and not problems:
        st.success("Hashes verified: the run and the report are what was signed.")

    if st.button("Build report (HTML + PDF)", key="build_report"):
        with st.spinner("Rendering the report"):
            result = sandbox.build_report(run_id)
        st.session_state["report_result"] = result
    result = st.session_state.get("report_result")
    if result is not None and result.run_id == run_id:
        st.success(f"Report built in {result.seconds:.1f} s ({result.pages} pages).")
        left, right = st.columns(2)
        left.download_button(
            "Download PDF", result.pdf_path.read_bytes(), file_name=f"report-{run_id}.pdf"
        )
        right.download_button(
            "Download HTML", result.html_path.read_bytes(), file_name=f"report-{run_id}.html"
        )

    actions = _REVIEW_ACTIONS.get(review.state, [])
    if actions:
        st.markdown("#### Sign-off")
        action = st.radio("Step", actions, horizontal=True, key="review_action")
        comment = st.text_input("Comment (required)", key="review_comment")
        if st.button(f"Record '{action}'", key="review_go"):
            try:
                with st.spinner("Recording the step and rebuilding the report"):
                    new = sandbox.review_step(run_id, action, comment=comment)
            except sandbox.SandboxError as exc:
                st.error(str(exc))
            else:
                st.success(f"Run is now {new.state}.")


def models_page() -> None:
    from dataclasses import asdict

    from sandbox.models.base import GenerationConfig
    from sandbox.models.catalog import model_statuses
    from sandbox.models.gateway import Gateway, GatewayPolicy

    st.header("Models and the gateway")
    settings = sandbox.load_settings()
    statuses = model_statuses(settings, probe_endpoints=True)
    st.dataframe(pd.DataFrame([asdict(s) for s in statuses]), hide_index=True, width="stretch")
    usable = [s.name for s in statuses if s.usable and not s.name.endswith("(embeddings)")]
    if not usable:
        st.warning("No chat model is usable here; see the reasons above.")
        return
    st.markdown(
        "#### Chat through the gateway\n"
        "Personal data is replaced by pseudonyms before the model sees it; the call is audited "
        "and counted against your bank's quota. Values come back only for roles that may "
        "re-identify (compliance officer, admin)."
    )
    model = st.selectbox("Model", usable, key="chat_model")
    prompt = st.text_area("Message", key="chat_prompt", height=100)
    left, right = st.columns(2)
    max_new_tokens = left.slider("Max new tokens", 8, 512, 96, key="chat_tokens")
    deterministic = right.toggle("Deterministic (greedy, fixed seed)", True, key="chat_det")
    if st.button("Send", key="chat_send", disabled=not prompt.strip()):
        with st.spinner(f"Asking {model} (the first call loads the model)"):
            gateway = Gateway(settings, model, policy=GatewayPolicy(deterministic=deterministic))
            reply = gateway.chat(
                [{"role": "user", "content": prompt}],
                GenerationConfig(max_new_tokens=max_new_tokens),
            )
        st.session_state["chat_reply"] = reply
    reply = st.session_state.get("chat_reply")
    if reply is not None:
        st.caption("What the model received")
        st.code(reply.sent[-1]["content"], language=None, wrap_lines=True)
        st.caption("Answer (pseudonyms kept; re-identification goes through the vault)")
        st.write(reply.text)
        st.caption(
            f"{reply.model} · {reply.prompt_tokens} + {reply.completion_tokens} tokens · "
            f"{reply.latency_s:.1f} s · found in the prompt: "
            + (", ".join(f"{k} {v}" for k, v in reply.redactions["input"].items()) or "nothing")
        )


PAGES: dict[str, Callable[[], None]] = {
    "Run an experiment": run_page,
    "Recent runs": runs_page,
    "Reports and sign-off": reports_page,
    "Models and gateway": models_page,
}


def main() -> None:
    try:
        settings = sandbox.load_settings()
        identity = settings.identity
    except sandbox.SandboxError as exc:
        st.error(str(exc))
        return
    with st.sidebar:
        st.title("HK GenAI Sandbox")
        st.caption(f"Tenant **{identity.tenant}** · {identity.user} · {identity.role.value}")
        page = st.radio("Page", list(PAGES), key="page")
        st.divider()
        st.caption(f"MLflow store: `{settings.resolved_tracking_uri}`")
    try:
        PAGES[page]()
    except sandbox.SandboxError as exc:
        st.error(str(exc))


main()
