"""One module per workbench page, each with a ``render()``."""
