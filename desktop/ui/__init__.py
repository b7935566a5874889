"""stepgrad's widgets (PySide6). Qt is imported only under this package and desktop/app.py.

Importing the package installs the PySide6 6.12 refcount workaround (see refcount_guard) before
any widget code can call into Qt.
"""

from desktop.ui import refcount_guard as _refcount_guard

_refcount_guard.install()
