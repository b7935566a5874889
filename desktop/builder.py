"""The model builder: a form (``ModelSpec``) turned into plain, readable PyTorch-style code, and
the loss landscape over (w, b) for the two-parameter models (no Qt).

    spec = ModelSpec(template="linear", samples=50, true_weights=(2.0,), true_bias=0.5)
    code = generate_code(spec)          # ordinary code for the editor; no hidden state
    land = loss_landscape(x, y, w=0.0, b=0.0)

The generated code names its tensors ``X``, ``y``, ``w``, ``b`` (``W1``, ``b1``, ``W2``, ``b2``
for the MLP) so the inspector, the graph view and ``landscape_from_namespace`` find them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

TEMPLATES = {
    "linear": "Linear regression  y = x·w + b",
    "logistic": "Logistic regression  p = sigmoid(x·w + b)",
    "mlp": "2-layer MLP  y = tanh(x·W1 + b1)·W2 + b2",
    "poly": "Polynomial fit  y = w1·x + w2·x² + … + b",
    "classifier": "Classifier on 2-D points  p = sigmoid(tanh(x·W1 + b1)·W2 + b2)",
}
LOSSES = {
    "linear": ("mse", "l1"),
    "logistic": ("bce", "mse"),
    "mlp": ("mse", "l1"),
    "poly": ("mse", "l1"),
    "classifier": ("bce",),
}
DATASETS = {"moons": "two interleaved half-moons", "blobs": "two Gaussian blobs",
            "circles": "a circle inside a ring"}
LOSS_NAMES = {"mse": "mean squared error", "l1": "mean absolute error",
              "bce": "binary cross-entropy"}
OPTIMIZERS = {"sgd": "torch.optim.SGD", "adam": "torch.optim.Adam",
              "manual": "plain gradient descent, written out"}
P_CLAMP = 1e-6  # keeps log() finite in the cross-entropy when the model becomes very sure


@dataclass(frozen=True)
class ModelSpec:
    """What the builder form holds.

    ``true_weights`` has ``n_in * n_out`` numbers (row-major, shape (n_in, n_out)), or is None to
    draw them from the seed; for the MLP they shape the non-linear target sin(x·w) + b."""

    template: str = "linear"
    n_in: int = 1
    n_out: int = 1
    hidden: int = 16
    samples: int = 100
    true_weights: tuple[float, ...] | None = (2.0,)
    true_bias: float = 0.5
    noise: float = 0.1
    seed: int = 0
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.1
    steps: int = 100
    degree: int = 3  # polynomial fit: powers x**1 .. x**degree
    dataset: str = "moons"  # classifier: one of DATASETS

    def problems(self) -> list[str]:
        """Everything wrong with the form, as messages for the user (empty when valid)."""
        out = []
        if self.template not in TEMPLATES:
            out.append(f"unknown template {self.template!r}; choose one of {', '.join(TEMPLATES)}")
            return out
        for name in ("n_in", "n_out", "hidden", "samples", "steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                out.append(f"{name} must be a whole number of at least 1")
        if self.template == "logistic" and self.n_out != 1:
            out.append("logistic regression has one output (the probability of class 1)")
        if self.template == "poly" and (self.n_in, self.n_out) != (1, 1):
            out.append("the polynomial fit has one input and one output")
        if self.template == "poly" and not (isinstance(self.degree, int)
                                            and 1 <= self.degree <= 12):
            out.append("the degree must be a whole number from 1 to 12")
        if self.template == "classifier":
            if (self.n_in, self.n_out) != (2, 1):
                out.append("the classifier takes 2-D points (2 inputs) and gives 1 output")
            if self.dataset not in DATASETS:
                out.append(f"unknown data set {self.dataset!r}; choose {', '.join(DATASETS)}")
        need = self.degree if self.template == "poly" else self.n_in * self.n_out
        if self.template == "classifier":
            pass  # the data sets have no true weights
        elif self.true_weights is not None and len(self.true_weights) != need:
            if self.template == "poly":
                out.append(f"true weights need {need} numbers (the coefficients of x, x², …), "
                           f"got {len(self.true_weights)}")
                return out
            out.append(f"true weights need {need} number{'s' * (need != 1)} (n_in × n_out), "
                       f"got {len(self.true_weights)}")
        if self.loss not in LOSSES[self.template]:
            out.append(f"loss {self.loss!r} does not fit {self.template}; choose "
                       f"{' or '.join(LOSSES[self.template])}")
        if self.optimizer not in OPTIMIZERS:
            out.append(f"unknown optimiser {self.optimizer!r}; choose {', '.join(OPTIMIZERS)}")
        if not self.lr > 0:
            out.append("the learning rate must be positive")
        if self.noise < 0:
            out.append("noise must be zero or positive")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            out.append("the seed must be a whole number, zero or more")
        return out

    @property
    def two_parameter(self) -> bool:
        """A model with exactly one weight and one bias: its loss landscape can be drawn."""
        return self.template in ("linear", "logistic") and self.n_in == 1 and self.n_out == 1


def default_spec(template: str = "linear", optimizer: str = "sgd") -> ModelSpec:
    """A spec that trains well out of the box."""
    base = {
        "linear": ModelSpec("linear", true_weights=(2.0,), true_bias=0.5, noise=0.1, loss="mse"),
        "logistic": ModelSpec("logistic", true_weights=(3.0,), true_bias=-1.0, noise=0.3,
                              loss="bce", steps=200),
        "mlp": ModelSpec("mlp", true_weights=(1.5,), true_bias=0.5, noise=0.05, loss="mse",
                         steps=1000),
        "poly": ModelSpec("poly", true_weights=(-1.0, 0.0, 2.0), true_bias=0.5, noise=0.1,
                          loss="mse", steps=1000, degree=3),
        "classifier": ModelSpec("classifier", n_in=2, n_out=1, hidden=16, samples=200,
                                true_weights=None, true_bias=0.0, noise=0.1, loss="bce",
                                steps=1000, dataset="moons"),
    }[template]
    return replace(base, optimizer=optimizer, lr=suggested_lr(template, optimizer))


def suggested_lr(template: str, optimizer: str) -> float:
    if optimizer == "adam":
        return 0.05 if template in ("mlp", "classifier") else 0.1
    return {"linear": 0.1, "logistic": 0.5, "mlp": 0.1, "poly": 0.5,
            "classifier": 0.5}[template]


# --- code generation ---------------------------------------------------------------------------

def _num(x: float) -> str:
    return repr(float(x))


def _matrix(values, rows: int, cols: int) -> str:
    vals = [_num(v) for v in values]
    body = ", ".join("[" + ", ".join(vals[r * cols:(r + 1) * cols]) + "]" for r in range(rows))
    return f"torch.tensor([{body}])"


def _classifier_data(s: ModelSpec) -> list[str]:
    noise = _num(s.noise)
    head = [f"# Synthetic 2-D points: {DATASETS[s.dataset]}, labels 0 and 1",
            "pi = 3.141592653589793",
            f"torch.manual_seed({s.seed})",
            f"n_samples, n_in, n_out = {s.samples}, 2, 1",
            "half = n_samples // 2"]
    if s.dataset == "blobs":
        body = ["X0 = torch.randn(half, 2) + torch.tensor([-1.5, -1.0])",
                "X1 = torch.randn(n_samples - half, 2) + torch.tensor([1.5, 1.0])"]
    elif s.dataset == "circles":
        body = ["t0 = torch.rand(half) * 2 * pi",
                "t1 = torch.rand(n_samples - half) * 2 * pi",
                "X0 = 0.5 * torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)",
                "X1 = 1.2 * torch.stack([torch.cos(t1), torch.sin(t1)], dim=1)"]
    else:
        body = ["t0 = torch.rand(half) * pi",
                "t1 = torch.rand(n_samples - half) * pi",
                "X0 = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)",
                "X1 = torch.stack([1 - torch.cos(t1), 0.5 - torch.sin(t1)], dim=1)"]
    tail = [f"X = torch.cat([X0, X1]) + {noise} * torch.randn(n_samples, 2)",
            "y = torch.cat([torch.zeros(half, 1), torch.ones(n_samples - half, 1)])"]
    return head + body + tail


def _data_lines(s: ModelSpec) -> list[str]:
    if s.template == "classifier":
        return _classifier_data(s)
    if s.template == "poly":
        weights = s.true_weights if s.true_weights is not None else (1.0,) * s.degree
        noise = f" + {_num(s.noise)} * torch.randn(n_samples, 1)" if s.noise else ""
        return [
            f"# Synthetic data on a degree-{s.degree} polynomial (plus noise)",
            f"torch.manual_seed({s.seed})",
            f"n_samples, degree = {s.samples}, {s.degree}",
            "X = torch.linspace(-1, 1, n_samples).reshape(-1, 1)",
            "# one column per power: x, x**2, ..., x**degree",
            "features = torch.cat([X ** k for k in range(1, degree + 1)], dim=1)",
            f"true_w = {_matrix(weights, s.degree, 1)}",
            f"true_b = {_num(s.true_bias)}",
            f"y = features @ true_w + true_b{noise}",
        ]
    lines = [f"torch.manual_seed({s.seed})",
             f"n_samples, n_in, n_out = {s.samples}, {s.n_in}, {s.n_out}"]
    if s.true_weights is None:
        lines.append("true_w = torch.randn(n_in, n_out)")
    else:
        lines.append(f"true_w = {_matrix(s.true_weights, s.n_in, s.n_out)}")
    lines += [f"true_b = {_num(s.true_bias)}", "X = torch.randn(n_samples, n_in)"]
    noise = f" + {_num(s.noise)} * torch.randn(n_samples, n_out)" if s.noise else ""
    if s.template == "linear":
        lines.insert(0, "# Synthetic data on a known line (plus noise): y = X @ true_w + true_b")
        lines.append(f"y = X @ true_w + true_b{noise}")
    elif s.template == "logistic":
        lines.insert(0, "# Synthetic labels: 1 where the noisy score X @ true_w + true_b is "
                        "positive")
        lines.append(f"y = (X @ true_w + true_b{noise} > 0).float()")
    else:
        lines.insert(0, "# A non-linear target the hidden layer has to learn: sin(X @ true_w) + "
                        "true_b")
        lines.append(f"y = torch.sin(X @ true_w) + true_b{noise}")
    return lines


def preview_data(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """The data the generated code will train on, made by running its data lines on the
    engine (the same seed, so the same numbers): ``(X, y)`` as numpy arrays."""
    import engine

    problems = spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    ns: dict = {"torch": engine}
    state = engine.get_rng_state()  # the preview must not move the app's random stream
    try:
        exec("\n".join(_data_lines(spec)), ns)  # our own generated lines, not user code
    finally:
        engine.set_rng_state(state)
    return ns["X"].numpy(), ns["y"].numpy()


def _param_lines(s: ModelSpec) -> tuple[list[str], list[str]]:
    if s.template == "poly":
        return [
            "# Parameters to learn: one weight per power, and the bias, starting at zero",
            "w = torch.zeros(degree, 1, requires_grad=True)",
            "b = torch.zeros(1, requires_grad=True)",
        ], ["w", "b"]
    if s.template in ("mlp", "classifier"):
        return [
            "# Parameters: random starting weights, scaled so tanh starts in its steep part",
            f"hidden = {s.hidden}",
            "W1 = (torch.randn(n_in, hidden) / n_in ** 0.5).requires_grad_()",
            "b1 = torch.zeros(hidden, requires_grad=True)",
            "W2 = (torch.randn(hidden, n_out) / hidden ** 0.5).requires_grad_()",
            "b2 = torch.zeros(n_out, requires_grad=True)",
        ], ["W1", "b1", "W2", "b2"]
    return [
        "# Parameters to learn, starting at zero",
        "w = torch.zeros(n_in, n_out, requires_grad=True)",
        "b = torch.zeros(n_out, requires_grad=True)",
    ], ["w", "b"]


def _forward_lines(s: ModelSpec) -> list[str]:
    if s.template == "linear":
        pred = ["y_hat = X @ w + b"]
    elif s.template == "poly":
        pred = ["y_hat = features @ w + b"]
    elif s.template == "classifier":
        pred = ["h = torch.tanh(X @ W1 + b1)",
                "p = torch.sigmoid(h @ W2 + b2)  # probability of class 1",
                f"p = p.clamp({P_CLAMP!r}, 1 - {P_CLAMP!r})  # keeps log() finite"]
    elif s.template == "logistic":
        pred = ["p = torch.sigmoid(X @ w + b)  # probability of class 1"]
        if s.loss == "bce":
            pred.append(f"p = p.clamp({P_CLAMP!r}, 1 - {P_CLAMP!r})  # keeps log() finite")
    else:
        pred = ["h = torch.tanh(X @ W1 + b1)", "y_hat = h @ W2 + b2"]
    target = "p" if s.template in ("logistic", "classifier") else "y_hat"
    loss = {
        "mse": f"loss = (({target} - y) ** 2).mean()",
        "l1": f"loss = ({target} - y).abs().mean()",
        "bce": "loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()",
    }[s.loss]
    return [*pred, loss]


def generate_code(spec: ModelSpec) -> str:
    """Plain code that builds the data and trains the model, runnable on the engine and on
    real PyTorch. Raises ``ValueError`` listing ``spec.problems()``."""
    problems = spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    s = spec
    params_code, params = _param_lines(s)
    plist = ", ".join(params)
    lines = [
        f"# {TEMPLATES[s.template].split('  ')[0]}, written by the stepgrad model builder.",
        f"# Loss: {LOSS_NAMES[s.loss]}. {s.steps} steps.",
        f"# Optimiser: {OPTIMIZERS[s.optimizer]}.",
        "import torch",
        "",
        *_data_lines(s),
        "",
        *params_code,
        "",
    ]
    if s.optimizer == "manual":
        lines.append(f"lr = {_num(s.lr)}")
    else:
        lines.append(f"optimizer = {OPTIMIZERS[s.optimizer]}([{plist}], lr={_num(s.lr)})")
    every = max(1, s.steps // 10)
    body = [f"    {line}" for line in _forward_lines(s)]
    if s.optimizer == "manual":
        body += [
            "    loss.backward()",
            "    with torch.no_grad():  # the update itself is not part of the model",
            f"        for param in ({plist}):",
            "            param -= lr * param.grad",
            "            param.grad.zero_()",
        ]
    else:
        body += [
            "    optimizer.zero_grad()",
            "    loss.backward()",
            "    optimizer.step()",
        ]
    lines += [
        "losses = []",
        "",
        f"for step in range({s.steps}):",
        *body,
        "    losses.append(loss.item())",
        f"    if step % {every} == 0 or step == {s.steps - 1}:",
        '        print(f"step {step:4d}  loss {loss.item():.6f}")',
        "",
    ]
    if s.template == "mlp":
        lines.append('print("final loss:", losses[-1])')
    elif s.template == "classifier":
        lines += ['print("final loss:", losses[-1])',
                  'print("accuracy:", ((p > 0.5).float() == y).float().mean().item())']
    else:
        lines += [
            'print("learned w:", w.detach().flatten().tolist())',
            'print("true w:   ", true_w.flatten().tolist())',
            'print("learned b:", b.detach().tolist(), " true b:", true_b)',
        ]
        if s.template == "logistic":
            lines.append('print("accuracy:", ((p > 0.5).float() == y).float().mean().item())')
    return "\n".join(lines) + "\n"


# --- loss landscape over (w, b) ----------------------------------------------------------------

@dataclass(frozen=True)
class Landscape:
    """The loss of a one-weight, one-bias model on a grid, with the current point.

    ``loss[i, j]`` is the loss at ``(w[j], b[i])`` (rows follow b, as an image with b upwards).
    ``neg_grad`` is −(∂loss/∂w, ∂loss/∂b) at ``point``, computed by the engine's autograd."""

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    point: tuple[float, float]
    point_loss: float
    neg_grad: tuple[float, float]

    @property
    def grid_minimum(self) -> tuple[float, float]:
        i, j = np.unravel_index(int(np.nanargmin(self.loss)), self.loss.shape)
        return float(self.w[j]), float(self.b[i])


def _loss_np(pred: np.ndarray, y: np.ndarray, template: str, loss: str) -> np.ndarray:
    """Mean loss over the last axis; the same formulas ``generate_code`` writes."""
    if template == "logistic":
        pred = 1.0 / (1.0 + np.exp(-pred))
        if loss == "bce":
            p = np.clip(pred, P_CLAMP, 1 - P_CLAMP)
            return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)
    if loss == "l1":
        return np.abs(pred - y).mean(axis=-1)
    return ((pred - y) ** 2).mean(axis=-1)


def loss_grid(x, y, w_values, b_values, template: str = "linear",
              loss: str = "mse") -> np.ndarray:
    """Loss at every (w, b) of the grid, shape (len(b_values), len(w_values)), in float64."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w_values = np.asarray(w_values, dtype=np.float64)
    out = np.empty((len(b_values), len(w_values)))
    # one row of b at a time keeps memory bounded for large data sets
    for i, b in enumerate(np.asarray(b_values, dtype=np.float64)):
        pred = w_values[:, None] * x[None, :] + b
        out[i] = _loss_np(pred, y[None, :], template, loss)
    return out


def point_and_gradient(x, y, w: float, b: float, template: str = "linear",
                       loss: str = "mse") -> tuple[float, float, float]:
    """(loss, ∂loss/∂w, ∂loss/∂b) at one point, from the engine's autograd in float64."""
    import engine

    X = engine.tensor(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    Y = engine.tensor(np.asarray(y, dtype=np.float64).reshape(-1, 1))
    wt = engine.tensor([[float(w)]], dtype=engine.float64, requires_grad=True)
    bt = engine.tensor([float(b)], dtype=engine.float64, requires_grad=True)
    pred = X @ wt + bt
    if template == "logistic":
        pred = engine.sigmoid(pred)
        if loss == "bce":
            p = pred.clamp(P_CLAMP, 1 - P_CLAMP)
            value = -(Y * engine.log(p) + (1 - Y) * engine.log(1 - p)).mean()
        else:
            value = ((pred - Y) ** 2).mean()
    elif loss == "l1":
        value = (pred - Y).abs().mean()
    else:
        value = ((pred - Y) ** 2).mean()
    value.backward()
    return float(value.item()), float(wt.grad.item()), float(bt.grad.item())


def _fit_guess(x: np.ndarray, y: np.ndarray, template: str) -> tuple[float, float]:
    """A rough location of the minimum, so the default grid shows the valley."""
    if template == "logistic":
        y = np.clip(y, 0.05, 0.95)
        y = np.log(y / (1 - y))  # fit the log-odds of the labels
    if np.ptp(x) == 0:
        return 0.0, float(np.mean(y))
    w, b = np.polyfit(x, y, 1)
    return float(w), float(b)


def default_ranges(x, y, w: float, b: float, template: str = "linear"
                   ) -> tuple[tuple[float, float], tuple[float, float]]:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    gw, gb = _fit_guess(x, y, template)
    ranges = []
    for lo, hi in ((min(w, gw), max(w, gw)), (min(b, gb), max(b, gb))):
        pad = 0.5 * (hi - lo) + 1.0
        ranges.append((lo - pad, hi + pad))
    return ranges[0], ranges[1]


def loss_landscape(x, y, w: float, b: float, *, template: str = "linear", loss: str = "mse",
                   w_range: tuple[float, float] | None = None,
                   b_range: tuple[float, float] | None = None,
                   resolution: int = 61) -> Landscape:
    """The loss surface over (w, b) around the current point ``(w, b)``.

    Args:
        x, y: the data, one input and one target per sample.
        w, b: the current parameters (scalars).
        template, loss: as in ``ModelSpec`` ("linear" or "logistic").
        w_range, b_range: grid limits; by default they cover the current point and the
            valley of the loss, with a margin. Keep them fixed while training so the picture
            stays put and only the point moves.
        resolution: grid points per axis.
    """
    if template not in ("linear", "logistic"):
        raise ValueError("a loss landscape needs a one-weight, one-bias model "
                         "(linear or logistic regression with one input and one output)")
    if w_range is None or b_range is None:
        dw, db = default_ranges(x, y, w, b, template)
        w_range, b_range = w_range or dw, b_range or db
    ws = np.linspace(*w_range, resolution)
    bs = np.linspace(*b_range, resolution)
    grid = loss_grid(x, y, ws, bs, template, loss)
    value, gw, gb = point_and_gradient(x, y, w, b, template, loss)
    return Landscape(ws, bs, grid, (float(w), float(b)), value, (-gw, -gb))


def landscape_from_namespace(namespace: dict, spec: ModelSpec | None = None,
                             **kwargs) -> Landscape | None:
    """The landscape for a script's current ``X``, ``y``, ``w``, ``b`` (as the builder names
    them), or None when they are missing or not one weight and one bias."""
    spec = spec or ModelSpec()
    if not spec.two_parameter:
        return None
    try:
        x, y, w, b = (np.asarray(_plain(namespace[k]), dtype=np.float64) for k in "Xywb")
    except (KeyError, TypeError, ValueError):
        return None
    if w.size != 1 or b.size != 1 or x.size != y.size or x.size == 0:
        return None
    return loss_landscape(x, y, float(w.item()), float(b.item()), template=spec.template,
                          loss=spec.loss, **kwargs)


def landscape_from_tensors(tensors, spec: ModelSpec | None = None,
                           **kwargs) -> Landscape | None:
    """The same from snapshot data: ``desktop.model.TensorInfo`` items, as a ``RunResult`` or
    a debugger stop carries them (so the view can follow every step, back in time too)."""
    return landscape_from_namespace({t.name: t.value for t in tensors}, spec, **kwargs)


def _plain(t):
    if hasattr(t, "detach"):
        t = t.detach()
    return t.numpy() if hasattr(t, "numpy") else t
