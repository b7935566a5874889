import os

# Qt aborts the whole run without a display unless a platform is set; must precede QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

try:
    from hypothesis import settings

    settings.register_profile("stepgrad", deadline=None, max_examples=40)
    settings.load_profile("stepgrad")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(autouse=True)
def _seeded():
    np.random.seed(0)  # noqa: NPY002 -- code under test may use the legacy global RNG
    import engine

    engine.manual_seed(0)
    engine.set_default_dtype(engine.float32)
    yield
