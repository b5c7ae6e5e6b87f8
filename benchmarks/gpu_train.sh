#!/usr/bin/env bash
# Train the default recipe on a lent GPU for a fixed time and bring back resumable results.
#
#   bash benchmarks/gpu_train.sh            # on the device machine; $OUT receives the results
#
# Runs `vhdr train configs/pmunet.toml` on CUDA (batch 16 of 8×128² clips, 15 data workers) for
# TRAIN_SECONDS (default 420), then copies the float16 weights (with their validation record),
# the checkpoint (to resume or fine-tune on the CPU) and the logs to $OUT. Python packages the
# machine lacks come as wheels in .whl/ (OpenEXR); the repository itself is on PYTHONPATH.
# DEVICE=cpu TRAIN_SECONDS=30 BATCH=2 CROP=32 WORKERS=0 runs the same steps on a CPU (dry run).
# INIT=models/pmunet.safetensors warm-starts from shipped weights; EXTRA="loss.motion=0.1 ..."
# adds --set overrides. RESUME=runs/pmunet-gpu continues that run (a copy of a run folder carried
# to the device) with its optimizer state, e.g. with EXTRA="run.steps=11600 optim.schedule=cosine
# optim.decay_start=6825 optim.lr_min=1e-5" to finish it with a decaying learning rate.
set -uo pipefail
OUT=${OUT:-/tmp/vhdr-gpu-out}
RUN=${RUN:-/tmp/vhdr-gpu-run}
TRAIN_SECONDS=${TRAIN_SECONDS:-420}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-16}
CROP=${CROP:-128}
WORKERS=${WORKERS:-15}
INIT=${INIT:-}
RESUME=${RESUME:-}
EXTRA=${EXTRA:-}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/vhdr-site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/vhdr-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
export PYTHONUNBUFFERED=1
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
nproc
rm -rf "$RUN"
init_args=()
if [ -n "$INIT" ]; then init_args=(--set "model.init=$INIT"); fi
if [ -n "$RESUME" ]; then
    cp -r "$RESUME" "$RUN" || exit 1
    init_args+=(--resume)
fi
for override in $EXTRA; do init_args+=(--set "$override"); done
"$PYTHON" -m vs_vhdr train configs/pmunet.toml --out "$RUN" \
    --set run.device="$DEVICE" --set optim.batch="$BATCH" --set data.crop="$CROP" \
    --set data.workers="$WORKERS" --set run.time_limit_s="$TRAIN_SECONDS" \
    --set run.export_dtype=float16 --set run.progress=false --set run.checkpoint_every=1000 \
    --set run.val_every=1000 --set run.log_every=50 "${init_args[@]}" 2>&1 | tail -n 40
status=${PIPESTATUS[0]}
# The JSONL logs (not the CSVs made from them) travel back, so a RESUMEd run keeps its history.
for f in weights.safetensors checkpoint.pt train.jsonl val.jsonl run.json config.toml curves.png split.json; do
    [ -f "$RUN/$f" ] && cp "$RUN/$f" "$OUT/$f"
done
ls -la "$OUT"
tail -n 3 "$RUN/train.csv" 2>/dev/null
cat "$RUN/val.csv" 2>/dev/null
exit "$status"
