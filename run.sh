#!/usr/bin/env bash
# One entry point for a fresh Debian machine: `bash run.sh app` or `bash run.sh test`.
# Installs the system libraries Qt needs (when root or sudo is available), creates .venv,
# installs stepgrad into it, then launches the app or runs the test suite
# (`bash run.sh setup` stops after the installation).
set -euo pipefail
cd "$(dirname "$0")"
what="${1:-app}"; shift || true

sudo_cmd=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo_cmd="sudo"; fi
qt_libs="libgl1 libegl1 libglib2.0-0 libxkbcommon0 libfontconfig1 libdbus-1-3"
x_libs="libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0"
need_pkgs="python3-venv $qt_libs"
[ "$what" = app ] && need_pkgs="$need_pkgs $x_libs"
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || [ -n "$sudo_cmd" ]; }; then
  missing=""
  for p in $need_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    $sudo_cmd apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends $missing
  fi
fi

py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then "$py" -m venv .venv; fi
stamp=.venv/.stepgrad-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch "$stamp"
fi

case "$what" in
  setup) exit 0 ;;
  app)  exec .venv/bin/stepgrad "$@" ;;
  test) export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
        exec .venv/bin/python -m pytest -q "$@" ;;
  *)    exec .venv/bin/stepgrad "$what" "$@" ;;
esac
