"""Registry: the bank's approved champions, one per experiment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t


def render() -> None:
    st.header(t("Registry"))
    st.caption(t("Approved champions of your bank, one per experiment."))
    found = sandbox.champions(settings=common.settings())
    if not found:
        st.info(t("No champion yet: a run becomes champion when a compliance officer approves it."))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("experiment"): c.experiment,
                    t("registered model"): c.registered_model,
                    t("version"): c.version,
                    t("model"): c.model,
                    t("run"): c.run_id,
                    t("approved by"): c.approved_by,
                }
                for c in found
            ]
        ),
        hide_index=True,
        width="stretch",
    )
