"""Hand-derived gradients compared with autograd's, line by line (the backprop-by-hand lesson)."""

from desktop import lessons
from desktop.lessons.check import run_code
from desktop.practice.by_hand import compare, first_wrong, report

LESSON = lessons.get("backprop-by-hand")


def results(code):
    outcome = run_code(code)
    assert outcome.status == "finished", outcome.error_message
    return compare(outcome.namespace, code)


def test_the_lessons_hand_derived_gradients_all_match():
    got = results(LESSON.code)
    assert [h.name for h in got] == ["diff", "Y_hat", "W2", "b2", "H", "Z", "W1", "b1"]
    assert all(h.approx for h in got) and first_wrong(got) is None
    assert report(got).endswith("All 8 hand-derived gradients match autograd.")


def test_the_first_wrong_line_and_its_mistake_are_named():
    code = LESSON.code.replace("db1 = dZ.sum(0)", "db1 = dZ").replace(
        "dW2 = H.T @ dY_hat", "dW2 = (dY_hat.T @ H)")
    got = results(code.replace("    cmp(name, mine, t)\n", "    pass\n"))
    wrong = first_wrong(got)
    assert wrong.name == "W2" and wrong.mistake == "transposed"
    assert wrong.line == code.splitlines().index("dW2 = (dY_hat.T @ H)") + 1
    b1 = next(h for h in got if h.name == "b1")
    assert b1.mistake == "missing_sum" and "`b1`" in b1.message
    text = report(got)
    assert f"First wrong: dW2 at line {wrong.line}." in text
    assert "<- transposed" in text


def test_a_sign_error_in_the_middle_of_the_chain_is_where_it_starts():
    code = LESSON.code.replace("dZ = dH * (1 - H ** 2)", "dZ = -dH * (1 - H ** 2)")
    got = results(code.replace("    cmp(name, mine, t)\n", "    pass\n"))
    wrong = first_wrong(got)
    assert wrong.name == "Z" and wrong.mistake == "sign"
    # W1 and b1 are computed from the wrong dZ: wrong too, but after the first wrong line
    assert {h.name for h in got if not h.approx} == {"Z", "W1", "b1"}


def test_without_hand_gradients_the_report_says_how_to_name_them():
    assert "name them d<tensor>" in report([])


def _with_closed_forms(code, tmp_path):
    from symbolic import CallTraceRecorder, check_all
    from symbolic.cli import run_script

    from desktop.practice.by_hand import closed_form_values

    path = tmp_path / "hand.py"
    path.write_text(code)
    recorder = CallTraceRecorder()
    error = run_script(str(path), code, recorder)
    assert error is None
    forms = closed_form_values(check_all(recorder.calls[:1]))
    return forms


def test_leaf_gradients_are_also_compared_with_sympys_closed_forms(tmp_path):
    code = LESSON.code.replace("    cmp(name, mine, t)\n", "    pass\n")
    forms = _with_closed_forms(code, tmp_path)
    assert {"W1", "b1", "W2", "b2"} <= set(forms)
    ns = run_code(code).namespace
    got = {h.name: h for h in compare(ns, code, forms)}
    assert got["W1"].closed_form.startswith("agrees (")
    assert got["Z"].closed_form == ""  # an intermediate tensor: no closed form of its own
    wrong = code.replace("db2 = dY_hat.sum(0)", "db2 = dY_hat.sum(0) * 2")
    ns = run_code(wrong).namespace
    b2 = next(h for h in compare(ns, wrong, forms) if h.name == "b2")
    assert b2.closed_form.startswith("differs at [0]:") and not b2.approx
    assert "closed form: differs" in b2.text()
