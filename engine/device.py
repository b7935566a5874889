"""``torch.device``: the engine computes on the CPU only, but tutorial code names devices."""

from __future__ import annotations


class device:
    __slots__ = ("index", "type")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        spec = str(type)
        if ":" in spec:
            spec, _, idx = spec.partition(":")
            index = int(idx)
        self.type = spec
        self.index = index

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:  # as in PyTorch, a string is not a device
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(spec) -> None:
    """PyTorch's errors (a CPU-only build) for a device the engine does not have."""
    if spec is None or isinstance(spec, int):
        return
    kind = device(spec).type if isinstance(spec, str | device) else None
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if kind == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
