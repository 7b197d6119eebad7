#!/usr/bin/env bash
# Issue 22's checks on a machine with a GPU, in one prepared run: the GPU
# tests, the whole test suite, the main job (`make distill`: Cora) on the
# GPU, RbM against MLP latency and throughput, and the 2M-node pipeline.
# Each step has a time limit and a failed step does not stop the others;
# OUT_DIR/summary.txt lists each step's exit code and seconds, and
# OUT_DIR/device_check.tgz holds every log and result file (not the
# trained weights), packed again after each step, so that a run stopped
# from outside keeps what its finished steps wrote. The script exits with
# 1 if a step failed, and before any step if PYTHON cannot import torch
# and this package or does not see DEVICE.
#
#     bash benchmarks/device_check.sh OUT_DIR [DEVICE]
#
# Run it from the repository root. DEVICE defaults to cuda. PYTHON (default
# python3) must import a torch that sees the device; the package is taken
# from this checkout (PYTHONPATH), the data from PYG_RBM_DATA (default
# ./data, holding at least Cora). Wheels in .whl/ (packages the machine
# lacks, e.g. yacs and ogb; see the README, "Devices") are installed first
# into a temporary folder. STEPS chooses and orders the steps (default:
# "gpu_tests tests distill latency throughput scale"; at most about 9
# minutes).
set -uo pipefail

out=${1:?usage: bash benchmarks/device_check.sh OUT_DIR [DEVICE]}
device=${2:-cuda}
python=${PYTHON:-python3}
steps=${STEPS:-gpu_tests tests distill latency throughput scale}
root=$(pwd)
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
# The tests that run on the GPU, first and each named in the log.
gpu_tests=(tests/nn/test_gpu.py tests/test_device.py tests/test_serving.py
           tests/benchmarks/test_latency.py tests/graphgym/test_run.py)

pack() {
    cp "$out/summary.txt" "$out/environment.txt" "$work/"
    # (Without the trained weights: the device tool returns files of 16 MiB.)
    tar -czf "$out/device_check.tgz.part" -C "$work" --exclude ./site \
        --exclude '*.pt' . && mv "$out/device_check.tgz.part" \
        "$out/device_check.tgz"
}

failed=0
prepared=0
prepare_data() {
    if [ "$prepared" -eq 0 ]; then
        run_step data 30 "$python" -c "$prepare"
        prepared=1
    fi
}
run_step() {  # name, seconds, command...
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit} s): $*"
    local start=$SECONDS code=0
    timeout -k 10 "$limit" "$@" >"$work/$name.log" 2>&1 || code=$?
    tail -n 5 "$work/$name.log"
    echo "$name exit=$code seconds=$((SECONDS - start))" \
        | tee -a "$out/summary.txt"
    if [ "$code" -ne 0 ]; then failed=1; fi
    pack
}

: >"$out/summary.txt"
for step in $steps; do
    case $step in
    gpu_tests)
        prepare_data
        run_step gpu_tests 60 "$python" -m pytest -v -rfE \
            "${gpu_tests[@]}" ;;
    tests)
        prepare_data
        run_step tests 150 "$python" -m pytest -q -rfE \
            ${workers[@]+"${workers[@]}"} tests ;;
    distill)
        run_step distill 80 "$python" -m pyg_rbm distill --dataset cora \
            --root "$PYG_RBM_DATA" --device "$device" --no-progress \
            --out "$work/cora" ;;
    latency)
        run_step latency 70 "$python" benchmarks/latency.py --quick \
            --device "$device" --out "$work/latency" ;;
    throughput)
        run_step throughput 50 "$python" benchmarks/student_throughput.py \
            --device "$device" --out "$work/throughput" ;;
    scale)
        run_step scale 90 "$python" benchmarks/scale.py --device "$device" \
            --sizes 10000 2000000 --out "$work/scale" ;;
    *)
        echo "unknown step '$step' in STEPS" | tee -a "$out/summary.txt"
        failed=1 ;;
    esac
done

pack
echo "wrote $out/summary.txt and $out/device_check.tgz"
exit "$failed"
