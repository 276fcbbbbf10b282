#!/usr/bin/env bash
# Fetch, where there is a network, what bench/gpu/run.sh installs on a GPU machine that has none.
#   bench/gpu/prepare.sh DIR [PART_MB]
# DIR/wheelhouse/  the bot's dependencies that a stock PyTorch image lacks, at this checkout's
#                  versions (read from PYTHON, default .venv/bin/python), for CPython PY_VERSION
#                  (default 3.12) on x86-64 Linux: run.sh --wheelhouse DIR/wheelhouse
# DIR/ort/         the onnxruntime-gpu wheel (ORT_VERSION, default this checkout's); with PART_MB,
#                  split into part.00, part.01, ... of PART_MB MiB plus SHA256: run.sh --ort-wheel DIR/ort
#                  (SKIP_ORT=1 skips it)
set -euo pipefail
dir=${1:?usage: bench/gpu/prepare.sh DIR [PART_MB]}
part_mb=${2:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
names=(pydantic pydantic-core pydantic-settings annotated-types typing-inspection typing-extensions
  python-dotenv sqlalchemy aiosqlite greenlet alembic mako asyncpg discord.py python-telegram-bot
  httpx httpcore tornado aiolimiter python-json-logger prompt-toolkit wcwidth pytest-asyncio)
pins=()
for name in "${names[@]}"; do
  pins+=("$name==$("$python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$name")")
done
where=(--no-deps --only-binary=:all: --python-version "${PY_VERSION:-3.12}" --implementation cp
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
"$python" -m pip download -q --disable-pip-version-check "${where[@]}" -d "$dir/wheelhouse" "${pins[@]}"
if [ "${SKIP_ORT:-0}" != 1 ]; then
  ort=${ORT_VERSION:-$("$python" -c 'import importlib.metadata as m; print(m.version("onnxruntime-gpu"))')}
  "$python" -m pip download -q --disable-pip-version-check "${where[@]}" -d "$dir/ort" "onnxruntime-gpu==$ort"
  if [ -n "$part_mb" ]; then
    cd "$dir/ort"
    wheel=$(ls onnxruntime_gpu-"$ort"-*.whl | head -n1)
    sha256sum "$wheel" >SHA256
    split -b "${part_mb}M" -d "$wheel" part.
    rm "$wheel"
  fi
fi
du -sh "$dir"/*
