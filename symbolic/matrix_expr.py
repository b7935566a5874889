"""Matrix-notation expressions that carry their own value: what a textbook writes for backprop
(``(∂L/∂Z)ᵀ·X``, ``∂L/∂H ⊙ (1 − H²)``, ``Σ_rows ∂L/∂Z``, ``1[Z > 0]``), built so that the text
shown and the number checked are the same object. Every node computes its float64 value from its
children's values when it is made; a few identities are applied as it is built
((Aᵀ)ᵀ = A, (A·B)ᵀ = Bᵀ·Aᵀ, constants pulled to the front, 𝟙 absorbed).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

ADD, MUL, POW, ATOM = 1, 2, 3, 4  # precedence: tighter binds higher
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def tex_name(name: str) -> str:
    """A variable name in LaTeX: ``W1`` -> ``W_{1}``, ``Y_hat`` -> ``\\hat{Y}``, others
    upright with escaped underscores."""
    if name.endswith("_hat") and name[:-4].isidentifier():
        return rf"\hat{{{tex_name(name[:-4])}}}"
    head = name.rstrip("0123456789")
    if head and head != name and "_" not in head and len(head) <= 2:
        return f"{head}_{{{name[len(head):]}}}"
    if len(name) == 1:
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


class Expr:
    """Subclasses define ``_text``/``_tex``; ``text``/``tex`` cache them (an expression is
    shared by every equation that uses it)."""

    prec = ATOM

    def __init__(self, value):
        self.value = np.asarray(value, dtype=np.float64)

    @property
    def shape(self):
        return self.value.shape

    def text(self) -> str:
        t = self.__dict__.get("_text_cache")
        if t is None:
            t = self._text_cache = self._text()
        return t

    def tex(self) -> str:
        t = self.__dict__.get("_tex_cache")
        if t is None:
            t = self._tex_cache = self._tex()
        return t

    def _text(self) -> str:
        raise NotImplementedError

    def _tex(self) -> str:
        raise NotImplementedError

    def wrap(self, prec: int) -> tuple[str, str]:
        """(text, tex), parenthesised when this binds looser than ``prec``."""
        if self.prec < prec:
            return f"({self.text()})", rf"\left({self.tex()}\right)"
        return self.text(), self.tex()


class Sym(Expr):
    """A named tensor (``X``, ``H``) or a named adjoint (``∂L/∂Z``)."""

    def __init__(self, name, value, tex=None):
        super().__init__(value)
        self.name, self.texname = name, tex or tex_name(name)

    def _text(self):
        return self.name

    def _tex(self):
        return self.texname


def adjoint(name: str, value) -> Sym:
    s = Sym(f"∂L/∂{name}", value, rf"\frac{{\partial L}}{{\partial {tex_name(name)}}}")
    s.prec = MUL  # (∂L/∂Z)ᵀ, not ∂L/∂Zᵀ
    return s


class Number(Expr):
    def __init__(self, c):
        super().__init__(float(c))
        self.c = float(c)

    def _text(self):
        return _num(self.c)

    def _tex(self):
        return _num(self.c).replace("−", "-")


def _num(c: float) -> str:
    if c == int(c) and abs(c) < 1e15:
        s = str(int(c))
    else:
        s = f"{c:.4g}"
    return s.replace("-", "−")


class Ones(Expr):
    """The all-ones tensor of a shape (what the gradient of a sum is)."""

    def __init__(self, shape):
        super().__init__(np.ones(shape))

    def _text(self):
        return "𝟙"

    def _tex(self):
        return r"\mathbf{1}"


class Coef:
    """A constant factor kept as it arose: numerator factors and a denominator (``2/8``,
    ``3·2/4``), so the reader sees where it came from."""

    def __init__(self, factors=(), den: int = 1, sign: int = 1):
        self.factors, self.den, self.sign = tuple(factors), den, sign

    @property
    def value(self) -> float:
        v = float(self.sign) / self.den
        for f in self.factors:
            v *= f
        return v

    def times(self, other: Coef) -> Coef:
        return Coef(self.factors + other.factors, self.den * other.den, self.sign * other.sign)

    @property
    def trivial(self) -> bool:
        return not self.factors and self.den == 1

    def text(self) -> str:
        num = "·".join(_num(f) for f in self.factors)
        if self.den != 1:
            num = f"{num or '1'}/{self.den}"
        return num

    def tex(self) -> str:
        num = r" \cdot ".join(_num(f).replace("−", "-") for f in self.factors)
        return rf"\frac{{{num or '1'}}}{{{self.den}}}" if self.den != 1 else num


class Scale(Expr):
    prec = MUL

    def __init__(self, coef: Coef, x: Expr):
        super().__init__(coef.value * x.value)
        self.coef, self.x = coef, x

    def _text(self):
        sign = "−" if self.coef.sign < 0 else ""
        if self.coef.trivial:
            return sign + self.x.wrap(MUL + 1)[0]
        return f"{sign}{self.coef.text()}·{self._inner()[0]}"

    def _inner(self):
        if isinstance(self.x, Apply) and self.x.prefix:  # 2/4·Σ_cols x reads unambiguously
            return self.x.text(), self.x.tex()
        return self.x.wrap(MUL)

    def _tex(self):
        sign = "-" if self.coef.sign < 0 else ""
        if self.coef.trivial:
            return sign + self.x.wrap(MUL + 1)[1]
        return f"{sign}{self.coef.tex()} {self._inner()[1]}"


def scale(coef: Coef, x: Expr) -> Expr:
    if isinstance(x, Scale):
        return scale(coef.times(x.coef), x.x)
    if coef.trivial and coef.sign > 0:
        return x
    return Scale(coef, x)


def const(c) -> Coef:
    """A numeric factor as a Coef (integers and simple fractions read as such)."""
    c = float(c)
    if c < 0:
        k = const(-c)
        return Coef(k.factors, k.den, -k.sign)
    fr = Fraction(c).limit_denominator(1000)
    # float32 constants (1/6 stored as 0.16666667) count as the fraction they round
    if abs(float(fr) - c) <= 1e-7 * c and fr.denominator != 1:
        return Coef((fr.numerator,) if fr.numerator != 1 else (), fr.denominator)
    return Coef((c,) if c != 1 else ())


def neg(x: Expr) -> Expr:
    return scale(Coef((), 1, -1), x)


class T(Expr):
    def __init__(self, x):
        super().__init__(np.swapaxes(x.value, -1, -2) if x.value.ndim >= 2 else x.value)
        self.x = x

    def _text(self):
        return self.x.wrap(ATOM)[0] + "ᵀ"

    def _tex(self):
        return self.x.wrap(ATOM)[1] + "^{T}"


def transpose(x: Expr) -> Expr:
    if x.value.ndim < 2:
        return x
    if isinstance(x, T):
        return x.x
    if isinstance(x, Scale):
        return scale(x.coef, transpose(x.x))
    if isinstance(x, MatMul):
        return matmul(transpose(x.b), transpose(x.a))
    if isinstance(x, Ones):
        return Ones(np.swapaxes(x.value, -1, -2).shape)
    return T(x)


class MatMul(Expr):
    prec = MUL

    def __init__(self, a, b):
        super().__init__(np.matmul(a.value, b.value))
        self.a, self.b = a, b

    def _text(self):
        return f"{self.a.wrap(MUL)[0]}·{self.b.wrap(MUL + 1)[0]}"

    def _tex(self):
        return f"{self.a.wrap(MUL)[1]} {self.b.wrap(MUL + 1)[1]}"


def matmul(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Scale):
        return scale(a.coef, matmul(a.x, b))
    if isinstance(b, Scale):
        return scale(b.coef, matmul(a, b.x))
    return MatMul(a, b)


class Binary(Expr):
    """Elementwise ``a op b`` with broadcasting: ⊙, ⊘, +, −."""

    def __init__(self, op, a, b):
        fn = {"⊙": np.multiply, "⊘": np.divide, "+": np.add, "−": np.subtract}[op]
        with np.errstate(all="ignore"):
            super().__init__(fn(a.value, b.value))
        self.op, self.a, self.b = op, a, b
        self.prec = ADD if op in "+−" else MUL

    def _text(self):
        right = self.prec + (1 if self.op in "−⊘" else 0)
        return f"{self.a.wrap(self.prec)[0]} {self.op} {self.b.wrap(right)[0]}"

    def _tex(self):
        if self.op == "⊘":
            return rf"\frac{{{self.a.tex()}}}{{{self.b.tex()}}}"
        op = {"⊙": r"\odot", "+": "+", "−": "-"}[self.op]
        right = self.prec + (1 if self.op == "−" else 0)
        return f"{self.a.wrap(self.prec)[1]} {op} {self.b.wrap(right)[1]}"


def _is_one(x: Expr) -> bool:
    return isinstance(x, Ones) or (isinstance(x, Number) and x.c == 1)


def hadamard(a: Expr, b: Expr) -> Expr:
    """``a ⊙ b``; a factor of ones disappears when the other already has the result's shape."""
    shape = np.broadcast_shapes(a.shape, b.shape)
    if _is_one(b) and a.shape == shape:
        return a
    if _is_one(a) and b.shape == shape:
        return b
    if isinstance(a, Scale):
        return scale(a.coef, hadamard(a.x, b))
    if isinstance(b, Scale):
        return scale(b.coef, hadamard(a, b.x))
    if isinstance(b, Number):
        return scale(const(b.c), a) if a.shape == shape else Binary("⊙", a, b)
    if isinstance(a, Number):
        return scale(const(a.c), b) if b.shape == shape else Binary("⊙", a, b)
    return Binary("⊙", a, b)


def divide(a: Expr, b: Expr) -> Expr:
    if isinstance(b, Number) and b.c != 0 and a.shape == np.broadcast_shapes(a.shape, b.shape):
        return scale(const(1 / b.c), a) if float(1 / b.c).is_integer() or \
            Fraction(b.c).limit_denominator(1000) == b.c else Binary("⊘", a, b)
    return Binary("⊘", a, b)


def add(a: Expr, b: Expr) -> Expr:
    if a.text() == b.text():  # h + h: a product's two equal factors
        return scale(Coef((2,)), a)
    if isinstance(b, Scale) and b.coef.sign < 0:
        return Binary("−", a, scale(Coef(b.coef.factors, b.coef.den), b.x))
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    return Binary("−", a, b)


class Func(Expr):
    """An elementwise function ``name(x)`` (tanh, exp, sign, ...)."""

    def __init__(self, name, x, fn, tex=None):
        with np.errstate(all="ignore"):
            super().__init__(fn(x.value))
        self.name, self.x, self.texname = name, x, tex or rf"\{name}"

    def _text(self):
        return f"{self.name}({self.x.text()})"

    def _tex(self):
        return rf"{self.texname}\left({self.x.tex()}\right)"


class Power(Expr):
    prec = POW

    def __init__(self, x, k):
        with np.errstate(all="ignore"):
            super().__init__(np.power(x.value, k))
        self.x, self.k = x, k

    def _text(self):
        k = _num(self.k)
        sup = k.translate(_SUP) if k.lstrip("−").isdigit() else None
        base = self.x.wrap(ATOM)[0]
        return base + sup if sup else f"{base}^{k}"

    def _tex(self):
        return f"{self.x.wrap(ATOM)[1]}^{{{_num(self.k).replace('−', '-')}}}"


def power(x: Expr, k: float) -> Expr:
    if k == 1:
        return x
    return Power(x, k)


class Indicator(Expr):
    """``1[x > c]`` (or ≥, <, ≤), elementwise."""

    def __init__(self, x, op, c):
        fn = {">": np.greater, "≥": np.greater_equal, "<": np.less, "≤": np.less_equal,
              "=": np.equal}[op]
        super().__init__(fn(x.value, c).astype(np.float64))
        self.x, self.op, self.c = x, op, c

    def _text(self):
        return f"1[{self.x.text()} {self.op} {_num(self.c)}]"

    def _tex(self):
        op = {">": ">", "≥": r"\geq", "<": "<", "≤": r"\leq", "=": "="}[self.op]
        return rf"\mathbb{{1}}\left[{self.x.tex()} {op} {_num(self.c).replace('−', '-')}\right]"


class Apply(Expr):
    """Anything else, by name: ``Σ_rows(x)``, ``reshape(x)``, ``softmax(x)``, ``onehot(y)``;
    ``value`` computed by the caller."""

    def __init__(self, name, tex, args, value, prefix=False):
        super().__init__(value)
        self.name, self.texname, self.args, self.prefix = name, tex, args, prefix
        if prefix:  # Σ_rows x ⊙ y would read ambiguously: parenthesised inside any product
            self.prec = ADD + 0.5

    def _arg(self):
        a = self.args[0]
        return (a.text(), a.tex()) if isinstance(a, Sym) else a.wrap(ATOM)

    def _text(self):
        if self.prefix:  # Σ_rows x
            return f"{self.name} {self._arg()[0]}"
        return f"{self.name}({', '.join(a.text() for a in self.args)})"

    def _tex(self):
        if self.prefix:
            return f"{self.texname} {self._arg()[1]}"
        return rf"{self.texname}\left({', '.join(a.tex() for a in self.args)}\right)"


def sum_to(g: Expr, shape) -> Expr:
    """``g`` summed over the axes broadcasting added or stretched, to ``shape``."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    value = np.sum(g.value, axis=axes, keepdims=True).reshape(shape) if axes else \
        g.value.reshape(shape)
    if isinstance(g, Scale):
        return scale(g.coef, sum_to(g.x, shape))
    nd = len(g.shape)
    if set(axes) == set(range(nd)):
        name, tex = "Σ", r"\sum"
    elif nd == 2 and axes == (0,):
        name, tex = "Σ_rows", r"\sum_{\mathrm{rows}}"
    elif nd == 2 and axes == (1,):
        name, tex = "Σ_cols", r"\sum_{\mathrm{cols}}"
    else:
        lab = ",".join(map(str, axes))
        name, tex = f"Σ_axes({lab})", rf"\sum_{{\mathrm{{axes}}\ {lab}}}"
    return Apply(name, tex, [g], value, prefix=True)
