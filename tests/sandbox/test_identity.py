import pytest

from sandbox.errors import AccessDenied
from sandbox.identity import Action, Identity, Role


def test_data_scientist_may_run_and_reviewer_may_not() -> None:
    Identity(user="a", tenant="demo-bank", role=Role.DATA_SCIENTIST).require(Action.RUN_EXPERIMENT)
    reviewer = Identity(user="r", tenant="hkma", role=Role.HKMA_REVIEWER)
    with pytest.raises(AccessDenied, match="role 'hkma_reviewer' may not run_experiment"):
        reviewer.require(Action.RUN_EXPERIMENT)
    assert reviewer.can(Action.READ_RUNS)
