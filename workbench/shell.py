"""The workbench's frame: language, sign-in and its timeout, the header, the pages a role may
see, and the guard that turns an unexpected error into one line and an audit reference."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import LANGUAGES, t
from workbench.pages import audit, chat, home, launch, models, privacy, registry, reports, runs

_RENDER: dict[str, Callable[[], None]] = {
    "home": home.render,
    "launch": launch.render,
    "runs": runs.render,
    "privacy": privacy.render,
    "chat": chat.render,
    "reports": reports.render,
    "registry": registry.render,
    "audit": audit.render,
    "models": models.render,
}
SCREENS = Path(__file__).parent / "screens"


def show(name: str) -> None:
    """Render one page; a sandbox error is its own one-line message, anything else is recorded
    on the operator's side and shown as one line with a reference (never a traceback)."""
    try:
        _RENDER[name]()
    except sandbox.SandboxError as exc:
        st.error(str(exc))
    except Exception as exc:  # noqa: BLE001 - the guard of last resort
        if type(exc).__module__.startswith("streamlit"):
            raise  # st.rerun and st.stop travel as exceptions
        reference = sandbox.record_incident(f"workbench:{name}", exc, settings=common.settings())
        st.error(
            t(
                "Something went wrong on this page. Reference {ref}: quote it to your sandbox administrator.",
                ref=reference,
            )
        )


def _pages() -> list[st.Page]:
    """The pages the signed-in role may use, in menu order."""
    may = common.may
    found = [("home", t("Home"), ":material/home:")]
    if may(sandbox.Action.RUN_EXPERIMENT):
        found.append(("launch", t("Launch"), ":material/rocket_launch:"))
    found.append(("runs", t("Runs"), ":material/table_chart:"))
    if may(sandbox.Action.REDACT):
        found.append(("privacy", t("Privacy playground"), ":material/shield:"))
    if may(sandbox.Action.CALL_MODEL):
        found.append(("chat", t("Chat lab"), ":material/forum:"))
    found.append(("reports", t("Reports and sign-off"), ":material/verified:"))
    found.append(("registry", t("Registry"), ":material/workspace_premium:"))
    found.append(("audit", t("Audit trail"), ":material/receipt_long:"))
    if may(sandbox.Action.CALL_MODEL):
        found.append(("models", t("Models"), ":material/memory:"))
    return [
        st.Page(SCREENS / f"{key}.py", title=title, icon=icon, url_path=key, default=key == "home")
        for key, title, icon in found
    ]


def _language_switch(where) -> None:
    where.radio(
        t("Language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        horizontal=True,
        key="lang",
    )


def _sign_in_form() -> None:
    st.title(t("HK GenAI Sandbox"))
    _language_switch(st)
    if st.session_state.pop("timed_out", False):
        st.info(
            t(
                "Your session timed out after {minutes} minutes without activity; sign in again.",
                minutes=common.IDLE_MINUTES,
            )
        )
    with st.form("sign_in", border=True):
        st.markdown(t("Sign in with your sandbox user (the same as the MLflow server's)."))
        username = st.text_input(t("User name"), key="signin_user")
        password = st.text_input(t("Password"), type="password", key="signin_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    st.caption(t("Demo bank: `sandbox server demo-signin --show` lists its users and passwords."))
    if submitted:
        try:
            st.session_state["user"] = sandbox.sign_in(username, password)
        except sandbox.SandboxError as exc:
            st.error(str(exc))
            return
        st.session_state["last_seen"] = time.time()
        st.rerun()


def _sign_out() -> None:
    lang = st.session_state.get("lang", "en")
    for key in list(st.session_state):
        del st.session_state[key]
    st.session_state["lang"] = lang


def main() -> None:
    st.set_page_config(page_title="HK GenAI Sandbox", page_icon=":bank:", layout="wide")
    st.session_state.setdefault("lang", "en")
    signed = st.session_state.get("user")
    now = time.time()
    if (
        signed is not None
        and now - st.session_state.get("last_seen", now) > common.IDLE_MINUTES * 60
    ):
        _sign_out()
        st.session_state["timed_out"] = True
        signed = None
    if signed is None:
        _sign_in_form()
        return
    st.session_state["last_seen"] = now
    with sandbox.acting_as(signed) as settings:
        st.session_state["_settings"] = settings
        identity = signed.identity
        with st.sidebar:
            st.markdown(f"### {t('HK GenAI Sandbox')}")
            st.caption(
                t(
                    "{user} · {bank} · {role}",
                    user=identity.user,
                    bank=identity.tenant,
                    role=t(identity.role.value),
                )
            )
            _language_switch(st)
            if st.button(t("Sign out"), key="sign_out", icon=":material/logout:"):
                _sign_out()
                st.rerun()
        navigation = st.navigation(_pages(), position="sidebar")
        navigation.run()
