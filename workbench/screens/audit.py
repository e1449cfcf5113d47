"""The audit page as Streamlit runs it (see workbench/pages/audit.py)."""

from workbench.shell import show

show("audit")
