"""The reports page as Streamlit runs it (see workbench/pages/reports.py)."""

from workbench.shell import show

show("reports")
