#!/usr/bin/env bash
# The whole benchmark on a lent GPU machine, in one command (about 8 minutes on an H100).
#
#   benchmarks/gpu.sh --fetch     here, once, with network: download the wheels the GPU image
#                                 lacks (OpenEXR, rawpy) into .whl/ (git-ignored via
#                                 .git/info/exclude); the device call then carries .whl
#   benchmarks/gpu.sh [ARGS...]   on the GPU machine: install those wheels into /tmp/site, run the
#                                 CUDA engine tests, then `python -m benchmarks.run` twice (C3DED-M,
#                                 C3DED and C3D (= DC3D's FLOPs) at 256², 1080p and 4K tiled in
#                                 fp16 and bf16, engine before/after comparisons; then C3DED-M
#                                 1080p end to end through `vhdr reconstruct`). ARGS go to the
#                                 first run.
#
# Results: JSON + Markdown in $OUT when set (the device tool's output folder), else
# benchmarks/results/. PYTHON picks the interpreter (default python3, the GPU image's torch);
# DEVICE=cpu and CLI_ARGS="--models c3d --sizes 32x32 --precisions fp32" make a quick dry run here.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=(OpenEXR==3.5.3 rawpy==0.28.0)

if [[ "${1:-}" == "--fetch" ]]; then
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "${WHEELS[@]}"
    exit 0
fi

if compgen -G ".whl/*.whl" > /dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH=".:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
RESULTS=${OUT:-benchmarks/results}
DEVICE=${DEVICE:-cuda}

"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "")'
"$PYTHON" -m pytest -q -p no:cacheprovider -m "not slow" tests/test_engine_speed.py \
    tests/test_bench_flops.py | tail -3 || echo "gpu.sh: engine tests failed (benchmark continues)"
"$PYTHON" -m benchmarks.run --device "$DEVICE" --force --out "$RESULTS" \
    --models c3ded-m c3ded c3d --sizes 256 1080p 4k --precisions fp16 bf16 \
    --modes bare chunk overlap --frames 16 --repeats 2 "$@"
# shellcheck disable=SC2086  # CLI_ARGS is a list of words
"$PYTHON" -m benchmarks.run --device "$DEVICE" --force --out "$RESULTS" --tag cli --no-compare \
    --modes bare chunk cli --frames 16 --repeats 2 \
    ${CLI_ARGS:---models c3ded-m --sizes 1080p --precisions bf16}
