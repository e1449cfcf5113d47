"""Privacy playground: paste English or Chinese text and see what the raw-zone guard finds (type
and score per span) and what it would pass on (pseudonymised, masked or hashed)."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t

_COLOURS = ["#fde68a", "#bfdbfe", "#c7f9cc", "#fbcfe8", "#ddd6fe", "#fed7aa", "#bae6fd"]

SAMPLE = (
    "Customer Chan Tai Man (HKID A123456(3)) called from +852 9123 4567 about FPS 1234567.\n"
    "陳大文先生住在九龍旺角彌敦道 123 號 5 樓 B 室，電話 6123 4567。"
)


def highlighted(text: str, spans: list[dict]) -> str:
    """The text as HTML with each span marked by its type and score (everything escaped)."""
    types = sorted({s["type"] for s in spans})
    colour = {name: _COLOURS[i % len(_COLOURS)] for i, name in enumerate(types)}
    parts, at = [], 0
    for span in spans:
        if span["start"] < at:
            continue  # overlapping detections: the guard keeps one
        parts.append(html.escape(text[at : span["start"]]))
        value = html.escape(text[span["start"] : span["end"]])
        parts.append(
            f'<mark style="background:{colour[span["type"]]};padding:0 2px;border-radius:3px">'
            f'{value}<sub style="font-size:0.65em;margin-left:2px">{span["type"]} '
            f"{span['score']:.2f}</sub></mark>"
        )
        at = span["end"]
    parts.append(html.escape(text[at:]))
    body = "".join(parts).replace("\n", "<br>")
    return f'<div style="line-height:2;font-size:1.05em">{body}</div>'


def render() -> None:
    st.header(t("Privacy playground"))
    if not common.may(sandbox.Action.REDACT):
        st.info(t("Your role may not redact text."))
        return
    st.caption(
        t(
            "Paste English or Chinese text; personal data is found and replaced as the raw-zone guard would."
        )
    )
    text = st.text_area(t("Text"), value=SAMPLE, height=140, key="privacy_text")
    operator = st.radio(
        t("Replace with"),
        ["pseudonymise", "mask", "hash"],
        horizontal=True,
        format_func=t,
        key="privacy_operator",
    )
    if st.button(
        t("Find personal data"), type="primary", key="privacy_go", disabled=not text.strip()
    ):
        with st.spinner():
            st.session_state["privacy_result"] = sandbox.redact_preview(
                text, operator, settings=common.settings()
            )
    result = st.session_state.get("privacy_result")
    if result is None:
        return
    if not result.spans:
        st.success(t("Nothing found."))
    left, right = st.columns(2)
    left.markdown(f"##### {t('Found')}")
    left.markdown(highlighted(result.text, result.spans), unsafe_allow_html=True)
    right.markdown(f"##### {t('Result')}")
    right.code(result.redacted, language=None, wrap_lines=True)
    if result.spans:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("type"): s["type"],
                        t("score"): s["score"],
                        "start": s["start"],
                        "end": s["end"],
                        t("replacement"): s["replacement"],
                    }
                    for s in result.spans
                ]
            ),
            hide_index=True,
            width="stretch",
        )
