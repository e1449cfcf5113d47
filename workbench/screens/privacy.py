"""The privacy page as Streamlit runs it (see workbench/pages/privacy.py)."""

from workbench.shell import show

show("privacy")
