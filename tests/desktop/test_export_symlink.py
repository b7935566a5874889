"""`stepgrad export -o LINK` writes through a symbolic link (the link stays, its target gets
the script), as saving a session or a script does."""

from __future__ import annotations

import os

from desktop import export
from desktop import session as sessions


def test_export_through_a_symlink_keeps_the_link(tmp_path):
    session = tmp_path / "work.stepgrad"
    sessions.save(sessions.Session(code="x = 41 + 1\n"), session)
    real = tmp_path / "real" / "out.py"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "out.py"
    link.symlink_to(real)
    assert export.main([str(session), "-o", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "x = 41 + 1\n" in real.read_text()
    assert sorted(p.name for p in real.parent.iterdir()) == ["out.py"]  # no temporary left
