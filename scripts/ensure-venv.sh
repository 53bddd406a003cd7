#!/usr/bin/env bash
# Creates the virtual environment in .venv with Python >= 3.11. On Debian, `python3 -m venv` needs the
# python3-venv package: it is installed when missing and we are root; otherwise we say what to install.
set -euo pipefail
PYTHON="${1:-python3}"
VENV="${2:-.venv}"
if ! command -v "$PYTHON" >/dev/null; then
  echo "CSI Workbench needs Python 3.11 or newer: install it (Debian: apt-get install python3)." >&2
  exit 1
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CSI Workbench needs Python 3.11 or newer (found %s)." % sys.version.split()[0])'
if [ -x "$VENV/bin/python" ]; then
  exit 0
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's python${version}-venv (needed to create the virtual environment)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "python${version}-venv" >/dev/null
  else
    echo "Creating the virtual environment needs Debian's venv package. Install it with:" >&2
    echo "    sudo apt-get install python${version}-venv" >&2
    exit 1
  fi
fi
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
