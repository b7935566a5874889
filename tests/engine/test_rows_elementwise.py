"""Every elementwise row (``engine/ops/elementwise.py``) has its numpy forward; the rows that are
not bound from the table (operators, ``clamp``, ``where``, ...) are whole: forward, node,
backward, symbolic rule, PyTorch's values and grads. (The rows bound from the table by their
``names`` are checked by ``test_op_row_home.py`` and ``test_op_gradients.py``.)"""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, family

from engine.ops import OPS, elementwise

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25]])
Y = np.array([[1.0, 0.25, -3.0], [-0.5, 2.5, 1.75]])
COND = X > 0.6

CASES = [
    Case("rsub", lambda m, x: 1.5 - x, (X,), (1.5, np.dtype(np.float64))),
    Case("add_alpha", lambda m, x, y: m.add(x, y, alpha=0.5), (X, Y), (0.5,)),
    Case("sub_alpha", lambda m, x, y: x.sub(y[0], alpha=-3), (X, Y), (-3,),
         args=lambda x, y: (x, y[0])),
    Case("rpow", lambda m, x: 2.5 ** x, (X,), (2.5, np.dtype(np.float64))),
    Case("sigmoid", lambda m, x: x.sigmoid(), (X,)),
    Case("relu", lambda m, x: m.relu(x), (X,)),
    Case("clamp", lambda m, x: x.clamp(-1.0, 1.0), (X,), (-1.0, 1.0)),
    Case("clamp_min", lambda m, x: m.clamp_min(x, 0.6), (X,), (0.6,)),
    Case("clamp_max", lambda m, x: x.clamp_max(0.6), (X,), (0.6,)),
    Case("where", lambda m, x, y: m.where(m.tensor(COND), x, y), (X, Y), (COND,)),
]


class TestElementwiseRows(RowTests):
    cases = CASES
    families = (elementwise,)
    # rows whose symbolic rule stays in symbolic (keyed by the row's key), and why
    kept_in_symbolic = {
        "tanh": "the matrix-form tests remove tanh's matrix rule, which a row's sym would derive "
                "again",
    }

    def test_every_row_of_the_family_has_a_case(self):
        # the rows bound from the table by their names are checked by test_op_row_home.py and
        # test_op_gradients.py
        assert {c.key for c in CASES} <= family(elementwise)


def test_integer_relu_and_rsub_keep_their_dtype_through_the_rows():
    i = np.array([-3, 0, 4], dtype=np.int64)
    assert OPS["relu"].fwd(i).dtype == np.int64 and OPS["relu"].fwd(i).tolist() == [0, 0, 4]
    out, attrs = OPS["rsub"].fwd(i, 2, np.dtype(np.int64))
    assert out.dtype == np.int64 and out.tolist() == [5, 2, -2] and attrs == 2
