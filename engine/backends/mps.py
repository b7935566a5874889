"""``torch.backends.mps``: Apple's Metal backend, never available on the engine."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
