"""``torch.backends``: tutorial code asks about accelerators and sets cuDNN flags; the engine has
neither, so the answers are PyTorch's on a CPU-only machine and the flags are plain settings."""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
