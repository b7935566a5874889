import contextlib

import pytest

from engine import observe
from symbolic import Recorder


@contextlib.contextmanager
def recording(**kwargs):
    rec = Recorder(**kwargs)
    with observe.observing(rec):
        yield rec


@pytest.fixture
def record():
    return recording
