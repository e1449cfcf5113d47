"""Audit trail: the bank's audit entries (newest first), filtered, and a check of the chain."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t


def entries_table(entries: list[sandbox.AuditEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": e.seq,
                t("at"): e.timestamp[:19].replace("T", " "),
                t("user"): e.user,
                t("role"): e.role,
                t("action"): e.action,
                t("target"): e.target,
                t("details"): json.dumps(e.details, ensure_ascii=False)[:300],
            }
            for e in reversed(entries)
        ]
    )


def render() -> None:
    st.header(t("Audit trail"))
    settings = common.settings()
    if st.button(t("Verify the chain"), key="audit_verify", icon=":material/verified_user:"):
        location, count, head = sandbox.verify_audit_log(settings=settings)
        st.success(
            t(
                "The audit log is intact: {count} entries, head {head}.",
                count=count,
                head=f"{head.seq}:{head.hash[:12]}" if head else "-",
            )
        )
    entries = sandbox.audit_entries(settings=settings)
    actions = sorted({e.action for e in entries})
    chosen = st.multiselect(t("Filter by action"), actions, key="audit_actions")
    shown = [e for e in entries if not chosen or e.action in chosen][-500:]
    st.dataframe(entries_table(shown), hide_index=True, width="stretch", height=520)
