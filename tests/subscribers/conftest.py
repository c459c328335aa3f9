import pytest


@pytest.fixture(autouse=True)
def _parent_mail_runs_in_process(eager_tasks):
    """Signup and manage-link mail goes out through a task; here it runs where it is queued."""
