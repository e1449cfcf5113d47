"""The sandbox server: one MLflow tracking server with basic-auth and one workspace per bank,
plus the sandbox's control plane (:mod:`sandbox.server.app`), started by :mod:`.process` and
reached through :mod:`.client` with MLflow's own credential variables."""
