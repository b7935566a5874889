"""The recorder: plain-data snapshots, names from the user's variables, never breaking a script."""

import engine as torch
from engine import observe
from symbolic import CallTraceRecorder, check
from symbolic import record as record_mod


def test_snapshot_keeps_values_from_before_an_optimiser_step(record):
    with record() as rec:
        w = torch.tensor([1.0, -1.0], requires_grad=True)
        for _ in range(2):
            loss = (w * w).sum()
            loss.backward()
            with torch.no_grad():
                w -= 0.25 * w.grad
            w.grad = None
    first, second = (check(c) for c in rec.calls)
    assert [e.symbolic for e in first.elements] == [2.0, -2.0]
    assert [e.symbolic for e in second.elements] == [1.0, -1.0]  # w was halved in between
    assert first.ok and second.ok


def test_in_place_ops_are_replayed(record):
    with record() as rec:
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.add_(1)
        y[0] = x[2] ** 2
        y.sum().backward()
    report = check(rec.calls[0])
    assert report.ok and not [n for n in report.notes if "replaying" in n]
    assert [e.symbolic for e in report.elements] == [0.0, 2.0, 2.0 + 6.0]


def test_a_failure_of_ours_never_breaks_the_script(monkeypatch, record):
    def boom(*a, **k):
        raise ValueError("bug in the recorder")

    monkeypatch.setattr(record_mod, "make_rec", boom)
    with record() as rec:
        w = torch.tensor([1.0], requires_grad=True)
        (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0]
    assert any("bug in the recorder" in e for e in rec.errors)
    assert rec.calls and rec.calls[0].error  # that call is reported as not checkable
    assert check(rec.calls[0]).error


def test_two_observers_of_one_thread_both_see_it():
    a, b = CallTraceRecorder(), CallTraceRecorder()
    with observe.attached(a, b):
        w = torch.tensor([2.0], requires_grad=True)
        (w * w).sum().backward()
    assert len(a.calls) == len(b.calls) == 1
    assert check(a.calls[0]).elements[0].symbolic == 4.0


def test_names_come_from_variables_and_module_attributes(record):
    from engine import nn

    with record() as rec:
        layer = nn.Linear(2, 1)
        weights = torch.tensor([0.5, 0.5], requires_grad=True)
        (layer(torch.ones(3, 2) * weights).sum()).backward()
    names = [t.name for t in rec.calls[0].targets]
    assert set(names) == {"layer_weight", "layer_bias", "weights"}


def test_a_deep_graph_does_not_hit_the_recursion_limit(record):
    with record() as rec:
        w = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        x = w
        for _ in range(1500):
            x = x * 0.999 + 0.001
        x.backward()
    report = check(rec.calls[0])
    (e,) = report.elements
    assert e.ok and abs(e.engine - 0.999**1500) < 1e-12 and e.finite is not None


def test_grad_with_respect_to_a_non_leaf(record):
    with record() as rec:
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = (h**2).sum() + x.sum()
        (gh,) = torch.autograd.grad(y, h)
    assert gh.tolist() == [6.0, 12.0]
    report = check(rec.calls[0])
    (t,) = report.targets
    assert t.name == "h" and report.ok
    # h is held as independent symbols: dy/dh = 2 h, the x.sum() path does not count
    assert [e.closed_form for e in t.elements] == ["2*h_0", "2*h_1"]
    assert [e.symbolic for e in t.elements] == [6.0, 12.0]


def _plain(value) -> bool:
    import dataclasses

    if dataclasses.is_dataclass(value):
        return all(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, float, int, bool)


def test_reports_are_plain_data_made_on_worker_threads(record):
    # the GUI checks on a worker thread, two at once when the user re-runs, and keeps the result
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from seed_programs import MyReLU, relu_model

    with record() as rec:
        relu_model(MyReLU)
        w = torch.tensor([2.0, -1.0], requires_grad=True)
        (w * w).sum().backward()
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(check, rec.calls))
    assert [r.ok for r in reports] == [True, True] and reports[0].custom
    assert [e.symbolic for e in reports[1].elements] == [4.0, -2.0]
    for r in reports:
        assert _plain(r), r
        assert pickle.loads(pickle.dumps(r)) == r
