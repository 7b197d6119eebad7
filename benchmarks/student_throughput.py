"""Evaluation-mode throughput (nodes per second) of the RbM student in its
routing phase, the MoE baseline student and an MLP of the same width and
depth, on the CPU or a GPU (:obj:`--device`).

The physical floor of RbM inference is about k expert matmuls per layer,
i.e. k times the MLP, so the figure of merit is
``ratio = time(RbM) / (k * time(MLP))``; the target is <= 1.2 on every
shape. Models are untrained (only the shapes matter); RbM is moved to its
routing phase by ``init_routing`` on a sample of the batch. The models
take turns on the same batch, in blocks of timed calls that each follow
an untimed one (``_common.median_times``: load from other processes hits
all of them alike), and the median over repeats is reported. On a GPU,
each call is timed until the GPU has finished it, and the thread count
defaults to one.

    python benchmarks/student_throughput.py
    python benchmarks/student_throughput.py --quick --threads 1
    python benchmarks/student_throughput.py --device cuda --out results/gpu
"""
import argparse
import os.path as osp
import sys
from typing import Any, Dict, List

import torch
from torch_geometric.nn import MLP

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (  # noqa: E402
    RBM_OVER_K_MLP_TARGET,
    add_device_argument,
    machine_info,
    median_times,
    parse_device,
    write_json,
)
from pyg_rbm.nn import MoE, RbM, allow_host_sync  # noqa: E402

SHAPES = [
    # name, in, hidden, out, num_layers, num_experts, k, batch
    ('a', 1433, 512, 7, 3, 4, 3, 4096),
    ('b', 1433, 1024, 7, 3, 8, 3, 4096),
    ('c', 128, 256, 40, 3, 8, 3, 65536),
]


def build_models(shape, seed: int = 0,
                 device: torch.device = torch.device('cpu')
                 ) -> Dict[str, torch.nn.Module]:
    # Built and routed (k-means) on the CPU, as training does, then moved.
    _, in_, hidden, out, num_layers, num_experts, k, batch = shape
    torch.manual_seed(seed)
    models: Dict[str, torch.nn.Module] = {}
    models['mlp'] = MLP(in_channels=in_, hidden_channels=hidden,
                        out_channels=out, num_layers=num_layers, norm=None)
    rbm = RbM(in_, hidden, out, num_layers=num_layers,
              num_experts=num_experts, k=k)
    sample = torch.randn(min(batch, 4096), in_)
    rbm.init_routing(sample, seed=seed)
    models['rbm'] = rbm
    models['moe'] = MoE(in_, hidden, out, num_layers=num_layers,
                        num_experts=num_experts, k=k)
    for model in models.values():
        model.eval().to(device)
    return models


def run(threads: List[int], repeats: int, warmup: int, shapes=SHAPES,
        device: torch.device = torch.device('cpu')) -> List[Dict[str, Any]]:
    rows = []
    for num_threads in threads:
        torch.set_num_threads(num_threads)
        for shape in shapes:
            name, in_, hidden, out, num_layers, num_experts, k, batch = shape
            models = build_models(shape, device=device)
            x = torch.randn(batch, in_).to(device)
            fns = {key: (lambda i, m=model: m(x)) for key, model in
                   models.items()}
            # The host-counting paths of predict() (see
            # pyg_rbm.nn.host_sync), as measured before the sync-free
            # default eval forward existed.
            with allow_host_sync():
                times = median_times(fns, repeats, warmup, rounds=3,
                                     device=device)
            sec = {m: t['median'] for m, t in times.items()}
            best = {m: t['min'] for m, t in times.items()}
            row = dict(
                shape=name,
                dims=f'{in_}->{hidden}x{num_layers - 1}->{out}',
                num_experts=num_experts, k=k, batch=batch,
                device=str(device), threads=num_threads,
                median_seconds=sec,
                min_seconds=best,
                nodes_per_second={m: batch / s
                                  for m, s in sec.items()},
                ratio_rbm_vs_k_mlp=sec['rbm'] / (k * sec['mlp']),
                ratio_rbm_vs_k_mlp_min=best['rbm'] / (k * best['mlp']),
                ratio_moe_vs_k_mlp=sec['moe'] / (k * sec['mlp']),
            )
            rows.append(row)
            print_row(row, flush=True)
    return rows


def print_header() -> None:
    print(f"{'shape':<5} {'dims':<22} {'E':>2} {'k':>2} {'batch':>6} "
          f"{'thr':>3} {'MLP n/s':>10} {'RbM n/s':>10} {'MoE n/s':>10} "
          f"{'RbM/(k MLP)':>11} {'(min)':>6} {'MoE/(k MLP)':>11}")


def print_row(row: Dict[str, Any], flush: bool = False) -> None:
    nps = row['nodes_per_second']
    moe = f"{nps['moe']:10.0f}" if 'moe' in nps else f"{'-':>10}"
    moe_ratio = (f"{row['ratio_moe_vs_k_mlp']:11.2f}"
                 if 'ratio_moe_vs_k_mlp' in row else f"{'-':>11}")
    print(f"{row['shape']:<5} {row['dims']:<22} {row['num_experts']:>2} "
          f"{row['k']:>2} {row['batch']:>6} {row['threads']:>3} "
          f"{nps['mlp']:10.0f} {nps['rbm']:10.0f} {moe} "
          f"{row['ratio_rbm_vs_k_mlp']:11.2f} "
          f"{row['ratio_rbm_vs_k_mlp_min']:6.2f} {moe_ratio}", flush=flush)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='docs/benchmarks',
                        help='folder of student_throughput.json, or the '
                        'path of a .json file (default: docs/benchmarks)')
    add_device_argument(parser)
    parser.add_argument('--threads', default=None,
                        help='comma-separated torch thread counts (default: '
                        '1,2 on the CPU, 1 with a GPU)')
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--quick', action='store_true',
                        help='3 repeats, 1 warm-up call')
    args = parser.parse_args()
    device = parse_device(parser, args.device)
    if args.threads is None:
        args.threads = '1,2' if device.type == 'cpu' else '1'

    if not args.out.endswith('.json'):
        args.out = osp.join(args.out, 'student_throughput.json')
    threads = [int(t) for t in args.threads.split(',')]
    repeats, warmup = (3, 1) if args.quick else (args.repeats, 2)
    info = machine_info(device)
    print_header()
    rows = run(threads, repeats, warmup, device=device)
    worst = max(row['ratio_rbm_vs_k_mlp'] for row in rows)
    print(f'worst RbM / (k x MLP) = {worst:.2f} '
          f'(target <= {RBM_OVER_K_MLP_TARGET})')
    write_json(
        args.out,
        dict(machine=info, repeats=repeats, warmup=warmup,
             target=RBM_OVER_K_MLP_TARGET,
             worst_ratio_rbm=worst,
             rows=rows))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
