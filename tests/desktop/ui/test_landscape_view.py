"""The landscape view draws the true loss surface, the point, its path and the -grad arrow."""

import math

import numpy as np
import pytest

from desktop.builder import default_spec, generate_code, loss_landscape
from desktop.lessons.check import run_code
from desktop.ui.landscape import ARROW_FRACTION, LandscapeView, steep_gradient

X = np.array([-1.0, 0.0, 1.0, 2.0])
Y = 2 * X + 1


def test_landscape_heatmap_covers_the_grid_and_shows_the_loss(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    land = loss_landscape(X, Y, -1.0, 3.0, w_range=(-2, 4), b_range=(-1, 3), resolution=31)
    view.set_landscape(land)
    image = view.image.image
    assert image.shape == (31, 31)  # [w, b]
    np.testing.assert_allclose(image, np.log1p(land.loss.T))
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert (rect.left(), rect.top(), rect.width(), rect.height()) == pytest.approx((-2, -1, 6, 4))
    levels = [c.level for c in view.contours]
    assert all(c.data is not None for c in view.contours) and levels == sorted(levels)
    assert levels[0] > np.log1p(land.loss.min()) and levels[-1] < np.log1p(land.loss.max())
    assert view.point_item.getData()[0][0] == -1.0 and view.point_item.getData()[1][0] == 3.0
    assert "loss" in view.caption.text()


def test_landscape_arrow_points_along_the_negative_gradient(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    land = loss_landscape(X, Y, -1.0, 3.0, w_range=(-2, 4), b_range=(-1, 3))
    view.set_landscape(land)
    (x0, x1), (y0, y1) = view.arrow_line.getData()
    assert (x0, y0) == (-1.0, 3.0)
    direction = np.array([x1 - x0, y1 - y0])
    neg = np.array(land.neg_grad)
    assert np.allclose(direction / np.linalg.norm(direction), neg / np.linalg.norm(neg))
    full = ARROW_FRACTION * math.hypot(6, 4)
    length = full * min(1.0, np.linalg.norm(neg) / view.grad_ref)
    assert np.linalg.norm(direction) == pytest.approx(length)
    assert view.arrow_end == pytest.approx((x1, y1))
    half = (neg[0] / 2, neg[1] / 2)  # a flatter spot: a shorter arrow, same direction
    view.set_point((0.0, 2.0), half, 1.0)
    (x0, x1), (y0, y1) = view.arrow_line.getData()
    assert np.hypot(x1 - x0, y1 - y0) == pytest.approx(
        full * min(1.0, np.linalg.norm(neg) / 2 / view.grad_ref))
    assert view.arrow_head.pos().x() == pytest.approx(x1)
    view.set_point((2.0, 1.0), (0.0, 0.0), 0.0)  # at the minimum: no arrow
    assert view.arrow_end is None
    assert not view.arrow_head.isVisible() and not view.arrow_line.isVisible()


def test_arrow_length_follows_the_gradient_not_the_first_point_shown(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    # first shown at the minimum (a model already trained): the gradient is tiny, so the arrow
    at_minimum = loss_landscape(X, Y, 2.0 + 1e-6, 1.0, w_range=(-2, 4), b_range=(-1, 3))
    view.set_landscape(at_minimum)
    (x0, x1), (y0, y1) = view.arrow_line.getData()
    full = ARROW_FRACTION * math.hypot(6, 4)
    assert np.hypot(x1 - x0, y1 - y0) < 1e-3 * full
    assert not view.arrow_head.isVisible()  # too short to carry a head
    # the reference is the picture's steep slope: by hand, the steepest corner exceeds it
    def grad(w, b):
        r = w * X + b - Y
        return 2 * np.mean(r * X), 2 * np.mean(r), float(np.mean(r**2))

    w, b = max(((w, b) for w in (-2, 4) for b in (-1, 3)), key=lambda p: math.hypot(*grad(*p)[:2]))
    gw, gb, loss = grad(w, b)
    assert 0 < steep_gradient(at_minimum) < math.hypot(gw, gb)
    view.set_point((w, b), (-gw, -gb), loss)
    (x0, x1), (y0, y1) = view.arrow_line.getData()
    assert np.hypot(x1 - x0, y1 - y0) == pytest.approx(full)


def test_landscape_follows_training_with_fixed_ranges(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    spec = default_spec("linear")
    code = generate_code(spec)
    ns0 = run_code(code.replace(f"range({spec.steps})", "range(0)")).namespace
    assert view.update_from_namespace(ns0, spec)
    first = view.landscape
    assert first.point == (0.0, 0.0)
    ns = run_code(code).namespace
    assert view.update_from_namespace(ns, spec)
    assert np.array_equal(view.landscape.w, first.w)  # the picture stayed put
    assert view.landscape.point == pytest.approx((ns["w"].item(), ns["b"].item()))
    assert view.trail == [(0.0, 0.0), view.landscape.point]
    xs, _ = view.path.getData()
    assert len(xs) == 2
    assert not view.update_from_namespace({"x": 1}, spec)
    assert not view.update_from_namespace(ns, default_spec("mlp"))


def test_landscape_clear(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.set_landscape(loss_landscape(X, Y, 0.0, 0.0))
    view.clear()
    assert view.landscape is None and view.trail == []
    assert all(c.data is None for c in view.contours)
    assert not any(i.isVisible() for i in (view.path, view.point_item, view.arrow_line))
    assert view.image.image is None


def test_landscape_survives_thousands_of_updates_in_a_fresh_process(tmp_path):
    # PySide6 6.12 drops a reference to True on every emit; without desktop.ui.pyside_refcount
    # a few hundred updates abort the interpreter ("bool_dealloc"), exit code 134.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    script = tmp_path / "many.py"
    script.write_text(f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {str(root)!r})
import numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.builder import loss_landscape
from desktop.ui.landscape import LandscapeView
x = np.array([-1.0, 0.0, 1.0, 2.0])
view = LandscapeView()
view.set_landscape(loss_landscape(x, 2 * x + 1, 0.0, 0.0, resolution=11))
for k in range(3000):
    view.set_point((k / 3000, 0.5), (1.0, -1.0), 1.0)
print(len(view.trail))
""")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["3001"]


def test_landscape_follows_debugger_stops(qtbot):
    debugger = pytest.importorskip("desktop.debugger")
    spec = default_spec("linear")
    code = generate_code(spec).replace(f"range({spec.steps})", "range(3)")
    view = LandscapeView()
    qtbot.addWidget(view)
    session = debugger.DebugSession()
    session.start(code, stop_at_start=True)
    points = []
    while (state := session.wait_stop(timeout=20)) is not None:
        if view.update_from_tensors(state.tensors, spec):
            points.append(view.landscape.point)
        session.step_over()
    assert points[0] == (0.0, 0.0)  # drawn as soon as X, y, w and b exist
    distinct = list(dict.fromkeys(points))
    assert len(distinct) == 4  # the start and one point per optimizer.step()
    assert view.trail == distinct
