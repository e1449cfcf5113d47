"""The models page as Streamlit runs it (see workbench/pages/models.py)."""

from workbench.shell import show

show("models")
