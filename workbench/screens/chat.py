"""The chat page as Streamlit runs it (see workbench/pages/chat.py)."""

from workbench.shell import show

show("chat")
