#!/usr/bin/env bash
# A GraphGym grid: the number of experts of RbM on Cora (transductive),
# 3 seeds per config, 2 configs at a time. Extra arguments are KEY VALUE
# overrides of the base config, e.g.
#   examples/graphgym_grid.sh dataset.dir data optim.max_epoch 100
# Writes results/cora-rbm-transductive_grid_experts/: the generated configs,
# one GraphGym run folder per config, and results.csv (one row per config:
# E, validation and test accuracy at the best validation epoch, mean and
# std over seeds, status).
set -euo pipefail
cd "$(dirname "$0")/.."
pyg-rbm grid --config graphgym_configs/cora-rbm-transductive.yaml \
    --grid graphgym_configs/grids/experts.txt --repeat 3 --jobs 2 "$@"
