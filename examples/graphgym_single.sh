#!/usr/bin/env bash
# One GraphGym YAML run: Cora, transductive, GraphSAGE teacher -> RbM student,
# 3 seeds (cfg.seed, cfg.seed + 1, ...), no PyTorch Lightning needed.
# Extra arguments are KEY VALUE overrides, e.g.
#   examples/graphgym_single.sh dataset.dir data optim.max_epoch 100
# Writes results/cora-rbm-transductive/: GraphGym's per-seed logs, agg/ from
# GraphGym's agg_runs, and results.json (test accuracy at the best
# validation epoch, mean and std over seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pyg_rbm.graphgym \
    --cfg graphgym_configs/cora-rbm-transductive.yaml --repeat 3 "$@"
