"""Edge labels and the inspector's grad column: compact, unpadded numbers."""

import numpy as np

from desktop.ui.formatting import short_array


def test_small_arrays_inline_without_padding():
    assert short_array(np.float32([5.2963, 3.0302])) == "[5.296, 3.03]"
    assert short_array(np.array([[1.0], [-0.5]])) == "[1, -0.5]"
    assert short_array(np.float32(7.637)) == "7.637"
    assert short_array(None) == "None"


def test_larger_arrays_become_shape_and_range():
    a = np.linspace(-1.0, 2.0, 10).reshape(10, 1)
    assert short_array(a) == "[10, 1] -1..2"
    assert short_array(np.array([np.nan, 1.0, 3.0] * 3)) == "[9] 1..3"
