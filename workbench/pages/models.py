"""Models: the catalogue with what is usable here, and a chat through the gateway."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t


def render() -> None:
    st.header(t("Models"))
    st.markdown(f"#### {t('Model catalogue')}")
    statuses = sandbox.model_statuses(settings=common.settings(), probe_endpoints=True)
    st.dataframe(pd.DataFrame([asdict(s) for s in statuses]), hide_index=True, width="stretch")
    usable = [s.name for s in statuses if s.usable and not s.name.endswith("(embeddings)")]
    if not usable:
        st.warning(t("No chat model is usable here; see the reasons above."))
        return
    st.markdown(f"#### {t('Chat through the gateway')}")
    st.caption(
        t(
            "Personal data is replaced by pseudonyms before the model sees it; the call is audited and counted against your bank's quota."
        )
    )
    model = st.selectbox(t("Model"), usable, key="gw_model")
    prompt = st.text_area(t("Message"), key="gw_prompt", height=100)
    tokens = st.slider(t("Max new tokens"), 8, 512, 96, key="gw_tokens")
    if st.button(t("Send"), key="gw_send", disabled=not prompt.strip(), type="primary"):
        with st.spinner():
            st.session_state["gw_reply"] = sandbox.gateway_chat(
                model,
                [{"role": "user", "content": prompt}],
                max_new_tokens=tokens,
                settings=common.settings(),
            )
    reply = st.session_state.get("gw_reply")
    if reply is not None:
        st.caption(t("What the model received"))
        st.code(reply.sent[-1]["content"], language=None, wrap_lines=True)
        st.caption(t("Answer"))
        st.write(reply.text)
        found = ", ".join(f"{k} {v}" for k, v in reply.redactions.get("input", {}).items())
        st.caption(
            f"{reply.model} · {reply.prompt_tokens} + {reply.completion_tokens} tokens · "
            f"{reply.latency_s:.1f} s" + (f" · {found}" if found else "")
        )
