"""The runs page as Streamlit runs it (see workbench/pages/runs.py)."""

from workbench.shell import show

show("runs")
