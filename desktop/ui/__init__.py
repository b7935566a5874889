"""stepgrad's widgets (PySide6). Qt is imported only under this package and desktop/app.py.

Importing the package applies the PySide6 6.12 refcount workaround (``pyside_refcount``) before
any widget code can call into Qt: on Python 3.11 every void/bool Qt call otherwise drops a
reference to None/True/False until the interpreter aborts (exit code 134 after a test run).
"""

from desktop.ui import pyside_refcount as _pyside_refcount

_pyside_refcount.apply()
