"""The Streamlit workbench (``app.py``): pages over the public ``sandbox`` API."""
