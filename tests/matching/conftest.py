import pytest

from portal.selectors.matching import forget_open_sessions


@pytest.fixture(autouse=True)
def _fresh_open_sessions():
    """The table of open sessions is per process: each test reads its own database."""
    forget_open_sessions()
    yield
    forget_open_sessions()
