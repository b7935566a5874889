"""``torch.backends.cudnn`` on a machine without CUDA: not available; the flags tutorials set
(``deterministic``, ``benchmark``, ``enabled``) are kept and change nothing."""

deterministic = False
benchmark = False
enabled = True


def is_available() -> bool:
    return False


def version():
    return None
