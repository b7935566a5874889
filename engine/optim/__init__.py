"""``torch.optim``: ``SGD``, ``Adam``, ``AdamW`` on the ``Optimizer`` base."""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
