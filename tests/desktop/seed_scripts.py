"""Scripts shared by the desktop tests (imported as a plain module: pytest puts this folder
on sys.path). The one copy is in tests/seed_programs.py."""

# The seed article's y = wx + b example.
from seed_programs import SEED_LINEAR as SEED

__all__ = ["SEED"]
