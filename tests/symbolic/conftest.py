import contextlib

import pytest

from engine import observe
from symbolic import CallTraceRecorder


@contextlib.contextmanager
def recording(**kwargs):
    rec = CallTraceRecorder(**kwargs)
    with observe.observing(rec):
        yield rec


@pytest.fixture
def record():
    return recording
