"""The registry page as Streamlit runs it (see workbench/pages/registry.py)."""

from workbench.shell import show

show("registry")
