"""The home page as Streamlit runs it (see workbench/pages/home.py)."""

from workbench.shell import show

show("home")
