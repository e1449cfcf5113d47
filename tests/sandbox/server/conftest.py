"""The PostgreSQL variant of the one test that runs a whole experiment through the server is
marked slow (`make test-all`): the SQLite variant covers the run path in the default suite, and
every isolation test runs on both stores."""

from __future__ import annotations

import pytest

SLOW_ON_POSTGRESQL = ("test_a_run_lands_in_the_bank_workspace_as_the_server_user",)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (
            callspec is not None
            and callspec.params.get("server") == "postgresql"
            and item.originalname in SLOW_ON_POSTGRESQL  # type: ignore[attr-defined]
        ):
            item.add_marker(pytest.mark.slow)
