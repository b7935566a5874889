"""The wired window lowers the interpreter's switch interval (see desktop.ui.gil_latency)."""

import sys

import pytest

from desktop.ui.gil_latency import GUI_SWITCH_INTERVAL, keep_gui_responsive


@pytest.fixture
def interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_it_lowers_the_default_interval(interval):
    sys.setswitchinterval(0.005)
    keep_gui_responsive()
    assert sys.getswitchinterval() == pytest.approx(GUI_SWITCH_INTERVAL)
    assert GUI_SWITCH_INTERVAL <= 0.001


def test_it_never_raises_a_shorter_one(interval):
    sys.setswitchinterval(0.0002)
    keep_gui_responsive()
    assert sys.getswitchinterval() == pytest.approx(0.0002)


def test_wiring_a_window_applies_it(interval, qtbot):
    from desktop.app import create_window, wire

    sys.setswitchinterval(0.005)
    window = create_window()
    qtbot.addWidget(window)
    wire(window)
    try:
        assert sys.getswitchinterval() == pytest.approx(GUI_SWITCH_INTERVAL)
    finally:
        window.controller.shutdown()
