"""Model providers. Today: the embedded sentence-embedding model; generative providers follow."""
