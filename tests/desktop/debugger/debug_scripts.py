"""The seed article's examples as scripts for the debugger tests (line numbers matter: tests
refer to them). One copy of each lives in tests/seed_programs.py; this module keeps the names
the debugger tests import."""

from seed_programs import (
    SEED_GRAD_TENSORS,
    SEED_HIGHER,
    SEED_HOOKS,
    SEED_LINEAR,
    SEED_MULTI,
    SEED_RELU,
    SEED_TWICE,
)

__all__ = ["SEED_GRAD_TENSORS", "SEED_HIGHER", "SEED_HOOKS", "SEED_LINEAR", "SEED_MULTI",
           "SEED_RELU", "SEED_TWICE"]
