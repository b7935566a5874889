"""Render the main window after a real run to a PNG, headless (for the README and reviews):

    QT_QPA_PLATFORM=offscreen python -m desktop.ui.screenshot out.png [SCRIPT.py] [--dark]

Settings go to a throw-away directory, so the user's remembered layout is neither used nor
changed. The run happens synchronously here; the app itself runs scripts off the GUI thread.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from desktop.examples import SEED


def parse_args(argv: list[str] | None) -> tuple[list[str], bool]:
    """The screenshot scripts' command line (``sys.argv[1:]`` when ``argv`` is None): the
    positional arguments, and whether ``--dark`` was given."""
    args = list(sys.argv[1:] if argv is None else argv)
    return [a for a in args if a != "--dark"], "--dark" in args


def main(argv: list[str] | None = None) -> int:
    args, dark = parse_args(argv)
    if not args:
        print(__doc__)
        return 2
    out = args[0]
    source = Path(args[1]).read_text(encoding="utf-8") if len(args) > 1 else SEED

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.layout import layout
    from desktop.runner import run_script
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "stepgrad.ini"),
                         QSettings.Format.IniFormat)
    settings.setValue("theme", "dark" if dark else "light")
    window = MainWindow(settings=settings, layout_fn=layout)
    window.resize(1500, 950)
    window.editor.setPlainText(source)
    window.editor.document().setModified(False)
    window.show()
    app.processEvents()
    result = run_script(source)
    window.show_result(result)
    names = [t.name for t in result.tensors]
    if names:
        window.inspector.select("w" if "w" in names else names[0])
    for _ in range(5):
        app.processEvents()
    ok = window.grab().save(out, "PNG")
    print(f"{out}: {result.status}, {len(result.graph.nodes)} nodes")
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
