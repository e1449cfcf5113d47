"""The launch page as Streamlit runs it (see workbench/pages/launch.py)."""

from workbench.shell import show

show("launch")
