#!/usr/bin/env bash
# Issue 22's checks on a machine with a GPU, in one prepared run: the test
# suite (its CUDA cases included), the main job (`make distill`: Cora) on
# the GPU, RbM against MLP latency and throughput, and the 2M-node
# pipeline. Each step has a time limit and a failed step does not stop the
# others; every log and result file goes into OUT_DIR/device_check.tgz
# (not the trained weights), and OUT_DIR/summary.txt lists each step's
# exit code and seconds. The script exits with 1 if a step failed, and
# before any step if PYTHON cannot import torch and this package or does
# not see DEVICE.
#
#     bash benchmarks/device_check.sh OUT_DIR [DEVICE]
#
# Run it from the repository root. DEVICE defaults to cuda. PYTHON (default
# python3) must import a torch that sees the device; the package is taken
# from this checkout (PYTHONPATH), the data from PYG_RBM_DATA (default
# ./data, holding at least Cora). Wheels in .whl/ (packages the machine
# lacks, e.g. yacs and ogb; see the README, "Devices") are installed first
# into a temporary folder. STEPS chooses and orders the steps (default:
# "tests distill latency throughput scale"; at most about 9.5 minutes).
set -uo pipefail

out=${1:?usage: bash benchmarks/device_check.sh OUT_DIR [DEVICE]}
device=${2:-cuda}
python=${PYTHON:-python3}
steps=${STEPS:-tests distill latency throughput scale}
root=$(pwd)
mkdir -p "$out"
work=$(mktemp -d)
export PYTHONUNBUFFERED=1
export PYG_RBM_DATA=${PYG_RBM_DATA:-$root/data}
export PYTHONPATH=$root${PYTHONPATH:+:$PYTHONPATH}

if compgen -G "$root/.whl/*.whl" >/dev/null; then
    "$python" -m pip install -q --no-index --no-deps --no-compile \
        --root-user-action=ignore --disable-pip-version-check \
        --no-cache-dir --target "$work/site" "$root"/.whl/*.whl \
        && export PYTHONPATH=$PYTHONPATH:$work/site
fi

check='
import sys
import torch
import torch_geometric
from pyg_rbm.device import resolve_device
print("torch", torch.__version__, "torch_geometric",
      torch_geometric.__version__)
device = resolve_device(sys.argv[1])
print("device", device)
if device.type == "cuda":
    print("gpu", torch.cuda.get_device_name(device))
'
if ! "$python" -c "$check" "$device" >"$out/environment.txt" 2>&1; then
    cat "$out/environment.txt"
    echo "error: '$python' cannot run this package on device '$device'" >&2
    rm -rf "$work"
    exit 1
fi
cat "$out/environment.txt"

# The test suite on 8 workers where pytest-xdist is installed, after the
# datasets are processed once (workers would race to write the same files).
workers=()
if "$python" -c 'import xdist' 2>/dev/null; then
    workers=(-n 8)
fi
prepare='
from pyg_rbm.datasets import load_dataset
for name in ("cora", "citeseer", "actor", "cora-npz", "citeseer-npz"):
    try:
        load_dataset(name)
        print(name, "ready")
    except Exception as error:  # (absent here: its tests skip)
        print(name, "not ready:", error)
'

failed=0
run_step() {  # name, seconds, command...
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit} s): $*"
    local start=$SECONDS code=0
    timeout "$limit" "$@" >"$work/$name.log" 2>&1 || code=$?
    tail -n 5 "$work/$name.log"
    echo "$name exit=$code seconds=$((SECONDS - start))" \
        | tee -a "$out/summary.txt"
    if [ "$code" -ne 0 ]; then failed=1; fi
}

: >"$out/summary.txt"
for step in $steps; do
    case $step in
    tests)
        run_step data 40 "$python" -c "$prepare"
        run_step tests 180 "$python" -m pytest -q "${workers[@]}" tests ;;
    distill)
        run_step distill 90 "$python" -m pyg_rbm distill --dataset cora \
            --root "$PYG_RBM_DATA" --device "$device" --no-progress \
            --out "$work/cora" ;;
    latency)
        run_step latency 80 "$python" benchmarks/latency.py --quick \
            --device "$device" --out "$work/latency" ;;
    throughput)
        run_step throughput 60 "$python" benchmarks/student_throughput.py \
            --device "$device" --out "$work/throughput" ;;
    scale)
        run_step scale 100 "$python" benchmarks/scale.py --device "$device" \
            --sizes 10000 2000000 --out "$work/scale" ;;
    *)
        echo "unknown step '$step' in STEPS" | tee -a "$out/summary.txt"
        failed=1 ;;
    esac
done

cp "$out/summary.txt" "$out/environment.txt" "$work/"
# (Without the trained weights: the device tool returns files of 16 MiB.)
tar -czf "$out/device_check.tgz" -C "$work" --exclude ./site \
    --exclude '*.pt' .
echo "wrote $out/summary.txt and $out/device_check.tgz"
rm -rf "$work"
exit "$failed"
