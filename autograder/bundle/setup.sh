#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (with network).
# Written by `python -m autograder gradescope`; settings in /autograder/source/gradescope.json.
#   TT_TORCH_INDEX  PyTorch's CPU wheel index (default below; empty: pip's own configuration only)
#   TT_PIP_ARGS     more arguments for pip install (e.g. --no-compile)
set -euo pipefail
SOURCE=/autograder/source
VENV=/autograder/venv
TORCH_INDEX=${TT_TORCH_INDEX-https://download.pytorch.org/whl/cpu}
export DEBIAN_FRONTEND=noninteractive

# Python 3.11 (Ubuntu 22.04's python3 is 3.10; its archive has python3.11) and bubblewrap.
need=()
python3.11 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3.11 python3.11-venv)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" || apt-get install -y -qq python3.11 python3.11-venv
fi
if ! python3.11 -c 'import venv, ensurepip' 2>/dev/null; then  # an image without it in its archive
  apt-get install -y -qq software-properties-common
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update -qq
  apt-get install -y -qq python3.11 python3.11-venv
fi

# The course, with its pinned dependencies (PyTorch's CPU build), in a virtual environment outside
# source/ (which the learner's kernel may not read). pip's own configuration still applies.
python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet ${TT_PIP_ARGS:-} ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"} "$SOURCE/course"

# The user the learner's kernel runs as where bubblewrap cannot make a sandbox (as in Docker).
id -u student >/dev/null 2>&1 || useradd --system --no-create-home --no-log-init --shell /usr/sbin/nologin student

chmod +x "$SOURCE/run_autograder"
[ -f /autograder/run_autograder ] && chmod +x /autograder/run_autograder
# The chapter recorded in its gradebook, its references computed, matplotlib's font cache built.
"$VENV/bin/python" -m autograder.gradescope prepare
