#!/usr/bin/env bash
# Everything a short GPU window is for, in one call; see bench/gpu/README.md.
#   bench/gpu/run.sh [--smoke] OUTDIR [--budget-s 540] [--wheelhouse DIR] [--ort-wheel WHEEL_OR_PARTS] ...
# PYTHON picks the interpreter (default python3): the one that has PyTorch and CUDA.
set -euo pipefail
exec "${PYTHON:-python3}" "$(dirname "${BASH_SOURCE[0]}")/run.py" "$@"
