"""Launch: an experiment's parameters as a form generated from its typed configuration, checked
before anything starts, then a run through the job queue that outlives this page."""

from __future__ import annotations

import enum
import json
import types
import typing
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import BaseModel

import sandbox
from workbench import common
from workbench.i18n import t

_NONE = "(default)"


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bounds(info: Any) -> dict[str, float]:
    found: dict[str, float] = {}
    for item in info.metadata:
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
    return found


def _field(
    prefix: str, name: str, info: Any, value: Any, chat_models: list[str], problems: dict[str, str]
) -> Any:
    """One widget for one field; returns the value it shows."""
    path = f"{prefix}{name}"
    key = f"param:{st.session_state['launch_target']}:{path}"
    annotation, optional = _strip_optional(info.annotation)
    label = name.replace("_", " ")
    help_text = info.description or None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and value is not None:
        with st.expander(label, expanded=any(p.startswith(f"{path}.") for p in problems)):
            result = _fields(annotation, value, f"{path}.", chat_models, problems)
    elif name == "model" and annotation is str and chat_models:
        choices = [_NONE, *chat_models]
        result = st.selectbox(
            t("Chat model"),
            choices,
            index=choices.index(value) if value in choices else 0,
            key=key,
            help=help_text,
        )
        result = None if result == _NONE else result
    elif annotation is bool:
        result = st.checkbox(label, value=bool(value), key=key, help=help_text)
    elif annotation in (int, float) and value is not None:
        bounds = _bounds(info)
        low = bounds.get("ge", bounds.get("gt"))
        high = bounds.get("le", bounds.get("lt"))
        if annotation is int:
            result = st.number_input(
                label,
                value=int(value),
                step=1,
                min_value=int(low) if low is not None else None,
                max_value=int(high) if high is not None else None,
                key=key,
                help=help_text,
            )
        else:
            result = st.number_input(
                label,
                value=float(value),
                format="%g",
                min_value=float(low) if "ge" in bounds else None,
                max_value=float(high) if "le" in bounds else None,
                key=key,
                help=help_text,
            )
    elif typing.get_origin(annotation) is typing.Literal:
        choices = list(typing.get_args(annotation))
        result = st.selectbox(label, choices, index=choices.index(value), key=key, help=help_text)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = [m.value for m in annotation]
        current = value.value if isinstance(value, enum.Enum) else value
        result = st.selectbox(label, choices, index=choices.index(current), key=key, help=help_text)
    elif annotation is str and not optional:
        result = st.text_input(label, value=value or "", key=key, help=help_text)
    else:  # lists, mappings, optional values: as JSON
        shown = json.dumps(value, ensure_ascii=False, default=str)
        raw = st.text_input(label, value=shown, key=key, help=(help_text or "") + " (JSON)")
        try:
            result = json.loads(raw)
        except ValueError:
            result = raw  # the check names the field
    if path in problems:
        st.error(problems[path], icon=":material/error:")
    return result


def _fields(
    model: type[BaseModel],
    values: BaseModel,
    prefix: str,
    chat_models: list[str],
    problems: dict[str, str],
) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    names = [n for n in model.model_fields if n != "seed"] + (
        ["seed"] if "seed" in model.model_fields and not prefix else []
    )
    plain = [n for n in names if not _is_model(model.model_fields[n].annotation)]
    nested = [n for n in names if n not in plain]
    columns = st.columns(2) if len(plain) > 1 else [st.container()]
    for i, name in enumerate(plain):
        with columns[i % len(columns)]:
            shown[name] = _field(
                prefix, name, model.model_fields[name], getattr(values, name), chat_models, problems
            )
    for name in nested:
        shown[name] = _field(
            prefix, name, model.model_fields[name], getattr(values, name), chat_models, problems
        )
    return shown


def _is_model(annotation: Any) -> bool:
    inner, _ = _strip_optional(annotation)
    return isinstance(inner, type) and issubclass(inner, BaseModel)


def _overrides(shown: dict[str, Any], defaults: dict[str, Any], prefix: str = "") -> list[str]:
    """``key.sub=value`` for every value that differs from the defaults."""
    found = []
    for name, value in shown.items():
        default = defaults.get(name)
        if isinstance(value, dict) and isinstance(default, dict):
            found += _overrides(value, default, f"{prefix}{name}.")
        elif value != default:
            found.append(f"{prefix}{name}={json.dumps(value, ensure_ascii=False)}")
    return found


def _state_icon(state: str) -> str:
    return {
        "queued": ":material/schedule:",
        "running": ":material/progress_activity:",
        "succeeded": ":material/check_circle:",
        "failed": ":material/error:",
        "cancelled": ":material/cancel:",
    }.get(state, "")


def launches_table(launched: list[sandbox.LaunchedRun]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "job": r.job_id,
                    t("experiment"): r.experiment,
                    t("state"): r.state,
                    t("run"): (r.run_id or "")[:8],
                    t("verdict"): r.reason[:160],
                }
                for r in launched
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _job_view(job_id: int, live: bool) -> None:
    """State, progress, log tail and, once finished, the results of one launched run."""
    run = sandbox.launched_run(job_id, settings=common.settings())
    if live and run.done:
        st.rerun()  # the whole page: it then shows the finished run without refreshing
    st.markdown(
        f"#### {_state_icon(run.state)} {t('Run {job}', job=run.job_id)} · {run.experiment} · {run.state}"
    )
    if run.waiting_for:
        st.caption(t("waiting: {why}", why=run.waiting_for))
    for stage, (done, total) in list(run.stages.items())[-6:]:
        st.progress(min(done / total, 1.0) if total else 0.0, text=f"{stage} ({done:g}/{total:g})")
    if run.log_tail:
        with st.expander(t("Log (last lines)"), expanded=run.state == "failed"):
            st.code("\n".join(run.log_tail), language=None)
    if run.state == "succeeded" and run.run_id:
        st.success(t("Finished. Run {run}", run=run.run_id))
        rec = common.record(run.run_id)
        link = common.mlflow_link(rec.run_id, rec.mlflow_experiment_id)
        if link:
            st.link_button(t("Open in MLflow"), link)
        common.show_record(rec)
    elif run.state == "failed":
        st.error(t("Failed: {why}", why=run.reason or "-"))
    elif run.state == "cancelled":
        st.warning(t("Cancelled"))


@st.fragment(run_every=2)
def _watch(job_id: int) -> None:
    """Live state of one launched run, refreshed every two seconds until it ends."""
    _job_view(job_id, live=True)


def render() -> None:
    st.header(t("Launch"))
    if not common.may(sandbox.Action.RUN_EXPERIMENT):
        st.info(t("Your role may not launch runs."))
        return
    catalogue = sandbox.use_cases()
    left, right = st.columns(2)
    use_case = left.selectbox(t("Use case"), list(catalogue), key="launch_use_case")
    name = right.selectbox(t("Experiment"), catalogue[use_case], key="launch_experiment")
    exp = sandbox.get_experiment(use_case, name)
    st.session_state["launch_target"] = f"{use_case}/{name}"
    st.markdown(f"**{exp.title}**  \n{exp.intended_use}")
    defaults = sandbox.load_params(exp.params_model, exp.default_config)
    statuses = sandbox.model_statuses(settings=common.settings(), probe_endpoints=False)
    chat_models = [s.name for s in statuses if s.usable and not s.name.endswith("(embeddings)")]
    problems: dict[str, str] = st.session_state.get("launch_problems", {}).get(
        f"{use_case}/{name}", {}
    )
    st.markdown(f"##### {t('Parameters')}")
    st.caption(t("Defaults come from the experiment's configuration; change what you need."))
    if "" in problems:
        st.error(problems[""], icon=":material/error:")
    shown = _fields(exp.params_model, defaults, "", chat_models, problems)
    extra = st.text_area(
        t("Other settings (advanced, one key=value per line)"), key="launch_extra", height=68
    )
    device = st.radio(t("Run on"), ["auto", "cpu", "cuda"], horizontal=True, key="launch_device")
    if st.button(t("Start the run"), type="primary", key="launch_go", icon=":material/play_arrow:"):
        overrides = _overrides(shown, defaults.model_dump(mode="json"))
        overrides += [line.strip() for line in extra.splitlines() if line.strip()]
        found = sandbox.parameter_problems(use_case, name, overrides)
        if found:
            per_field: dict[str, str] = {}
            for path, message in found:
                per_field[path if path in _paths(exp.params_model) else ""] = message
            st.session_state.setdefault("launch_problems", {})[f"{use_case}/{name}"] = per_field
            st.session_state["launch_error"] = True
            st.rerun()
        st.session_state.get("launch_problems", {}).pop(f"{use_case}/{name}", None)
        job_id = sandbox.launch_run(
            use_case,
            name,
            overrides,
            settings=common.settings(),
            user=common.user(),
            device=None if device == "auto" else device,
        )
        st.session_state["launch_job"] = job_id
        st.session_state["launch_flash"] = job_id
        st.rerun()
    flash = st.session_state.pop("launch_flash", None)
    if flash is not None:
        st.success(
            t(
                "Run queued as job {job}. It keeps running if you leave this page or sign out.",
                job=flash,
            )
        )
    if st.session_state.pop("launch_error", False):
        st.error(t("Fix the fields marked below; nothing was started."))
    job_id = st.session_state.get("launch_job")
    if job_id is not None:
        st.divider()
        run = sandbox.launched_run(job_id, settings=common.settings())
        if run.done:
            _job_view(job_id, live=False)
        else:
            _watch(job_id)
    mine = [
        r for r in sandbox.launched_runs(limit=10, settings=common.settings()) if r.job_id != job_id
    ]
    if mine:
        st.divider()
        st.markdown(f"##### {t('Your recent launches')}")
        launches_table(mine)
        choice = st.selectbox(
            t("Follow"),
            [None, *[r.job_id for r in mine]],
            key="launch_follow",
            format_func=lambda j: "-" if j is None else f"{j}",
        )
        if choice is not None and choice != job_id:
            st.session_state["launch_job"] = choice
            st.rerun()


def _paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    found = set()
    for name, info in model.model_fields.items():
        found.add(f"{prefix}{name}")
        inner, _ = _strip_optional(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found |= _paths(inner, f"{prefix}{name}.")
    return found
