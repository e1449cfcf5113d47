"""Page scripts for ``st.navigation``: one per page, each showing its module's ``render``."""
