import pytest
from debug_driver import Driver


@pytest.fixture
def driver():
    made = []

    def make(source, **kwargs):
        d = Driver(source, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.session.stop()
        d.session.wait(3)

