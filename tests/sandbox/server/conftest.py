"""The PostgreSQL variants of the tests that run a whole experiment through the server, back up
the server's stores or drive the admin CLI are marked slow (`make test-all`): their SQLite
variants cover those paths in the default suite, and every isolation test (the matrix, identity,
audit, bundles) runs on both stores."""

from __future__ import annotations

import pytest

SLOW_ON_POSTGRESQL = (
    "test_a_run_lands_in_the_bank_workspace_as_the_server_user",
    # the stores' backup and the admin's and CLI's commands do not depend on the tracking store
    "test_backup_while_running_restores_into_a_new_home_that_serves_the_same_banks",
    "test_admin_configuration_comes_from_the_server_only",
    "test_cli_whoami_and_admin_commands",
)


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
