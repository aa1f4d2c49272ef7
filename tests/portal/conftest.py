import pytest

from tests.portal.factories import ProgramFactory, SessionFactory


@pytest.fixture
def session(municipality, organization):
    """A scheduled session of 飛騨市's nushi organisation, 2 places (the application tests' stage)."""
    program = ProgramFactory(municipality=municipality, nushi=organization)
    return SessionFactory(program=program, capacity=2)
