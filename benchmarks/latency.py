"""Per-node prediction latency: a GraphSAGE teacher served from the full
2-hop neighbourhood of the requested nodes, against the graph-free MLP and
RbM students of the same width and depth, and the RbM student exported to
ONNX and run by ONNX Runtime (when installed: ``pip install -e .[export]``).

For each graph (Cora, CSBM graphs of 100k and 1M nodes) and each number
of torch threads, random batches of 1, 256 and 4096 node ids (and all
nodes) are predicted; the teacher gathers the neighbourhood with
:class:`pyg_rbm.serving.TeacherServer` (CSR index, no sampling), the
students gather the nodes' feature rows. Weights are untrained: only the
shapes matter for timing. The median of several calls (after warm-up) is
reported. On a GPU (:obj:`--device cuda`), the graph and the models live
there, each call is timed until the GPU has finished it, the thread
counts default to one, and ONNX Runtime (a CPU session) is left out.

    python benchmarks/latency.py --out docs/benchmarks
    python benchmarks/latency.py --quick          # fewer repeats, no 1M
    python benchmarks/latency.py --device cuda --out results/gpu
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import Tensor

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (  # noqa: E402
    RBM_OVER_K_MLP_TARGET,
    add_device_argument,
    gib,
    loglog_panels,
    machine_info,
    median_times,
    parse_device,
    peak_rss_bytes,
    write_json,
)
from pyg_rbm.datasets import make_csbm  # noqa: E402
from pyg_rbm.nn import allow_host_sync, build_student  # noqa: E402
from pyg_rbm.serving import TeacherServer  # noqa: E402
from pyg_rbm.teachers import build_teacher  # noqa: E402
from pyg_rbm.train.evaluate import predict  # noqa: E402

MODELS = ('teacher', 'mlp', 'rbm', 'rbm_onnx')
CSBM = dict(num_classes=10, num_features=128, avg_degree=15.0,
            homophily=0.8)
# Rows per chunk when a student predicts all nodes.
ALL_CHUNK = 65536
# Rows given to k-means in `init_routing` (weights are untrained anyway).
KMEANS_ROWS = 20000


def _with_host_sync(model, x):
    with allow_host_sync():
        return model(x)


def onnx_student(model: torch.nn.Module, num_features: int,
                 threads: int) -> Optional[Callable[[Tensor], Any]]:
    # The student exported to ONNX (dynamic batch) and run by ONNX
    # Runtime on `threads` threads; None without onnxruntime/onnxscript.
    try:
        import onnxruntime as ort
        import onnxscript  # noqa: F401
    except ImportError:
        return None
    import tempfile
    path = osp.join(tempfile.mkdtemp(), 'student.onnx')
    with torch.no_grad():
        torch.onnx.export(model, (torch.rand(8, num_features), ), path,
                          dynamo=True, input_names=['x'],
                          dynamic_shapes={'x': {0: torch.export.Dim(
                              'batch', min=1)}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options)
    return lambda x: session.run(None, {'x': x.numpy()})[0]


def load_graph(name: str, seed: int) -> Any:
    if name == 'cora':
        from pyg_rbm.datasets import load_dataset
        try:
            data = load_dataset('cora')
            data.source = 'Cora (Planetoid)'
        except (FileNotFoundError, OSError) as e:
            print(f'Cora not found ({e}); using a CSBM of its shape')
            data = make_csbm(2708, 7, 1433, avg_degree=3.9, homophily=0.81,
                             seed=seed)
            data.source = 'CSBM of Cora shape'
        return data
    num_nodes = dict(csbm_100k=100_000, csbm_1m=1_000_000)[name]
    data = make_csbm(num_nodes, seed=seed, **CSBM)
    data.source = (f'CSBM {num_nodes} nodes, {CSBM["num_features"]} '
                   f'features, avg degree {CSBM["avg_degree"]:g}')
    return data


def build_models(data: Any, args: argparse.Namespace,
                 device: torch.device) -> Dict[str, Any]:
    # Built and routed (k-means) on the CPU, as training does, then moved.
    torch.manual_seed(args.seed)
    F, C = data.num_features, int(data.num_classes)
    teacher = build_teacher('sage', F, args.hidden, C,
                            num_layers=args.teacher_layers)
    mlp = build_student('mlp', F, C, hidden_channels=args.hidden,
                        num_layers=args.student_layers)
    rbm = build_student('rbm', F, C, hidden_channels=args.hidden,
                        num_layers=args.student_layers,
                        num_experts=args.experts, k=args.k)
    gen = torch.Generator().manual_seed(args.seed)
    rows = torch.randperm(data.num_nodes, generator=gen)[:KMEANS_ROWS]
    rbm.init_routing(data.x[rows], seed=args.seed)
    for model in (teacher, mlp, rbm):
        model.eval().to(device)
    return dict(teacher=teacher, mlp=mlp, rbm=rbm)


def time_graph(name: str, data: Any, models: Dict[str, Any],
               args: argparse.Namespace,
               device: torch.device) -> List[Dict[str, Any]]:
    N = data.num_nodes
    x = data.x.to(device)
    server = TeacherServer(models['teacher'], x, data.edge_index.to(device))
    records = []
    sizes = [b for b in args.batch_sizes if b < N] + [N]
    gen = torch.Generator().manual_seed(args.seed)
    for threads in args.threads:
        torch.set_num_threads(threads)
        for size in sizes:
            is_all = size == N
            repeats = (args.repeats_all if is_all else max(
                args.min_repeats, args.repeats // max(1, size // 256)))
            warmup = 1 if is_all else 2
            # (Drawn on the CPU: the same batches on every device.)
            batches = ([torch.arange(N, device=device)] * (warmup + repeats)
                       if is_all else
                       [torch.randperm(N, generator=gen)[:size].to(device)
                        for _ in range(warmup + repeats)])
            nb = server.gather(batches[0])
            hood = dict(nodes=int(nb.node_id.numel()),
                        edges=int(nb.col.numel()))

            calls = {
                'teacher': lambda i: server.predict(batches[i]),
                'teacher_gather': lambda i: server.gather(batches[i]),
            }
            onnx = (onnx_student(models['rbm'], x.size(1), threads)
                    if device.type == 'cpu' else None)
            if onnx is not None:
                # All nodes in the chunks that predict() takes below (one
                # call over 1M rows held 24 GB in ONNX Runtime).
                calls['rbm_onnx'] = (
                    (lambda i: [onnx(c) for c in x.split(ALL_CHUNK)])
                    if is_all else
                    (lambda i: onnx(x.index_select(0, batches[i]))))
            for key in ('mlp', 'rbm'):
                model = models[key]
                if is_all:
                    calls[key] = (lambda i, m=model: predict(m, x, ALL_CHUNK))
                else:
                    # The host-counting paths of predict(), as measured
                    # before the sync-free default eval forward existed.
                    calls[key] = (lambda i, m=model: _with_host_sync(
                        m, x.index_select(0, batches[i])))
            timed = median_times(calls, repeats=repeats, warmup=warmup,
                                 device=device)
            for key, t in timed.items():
                rec = dict(graph=name, nodes=N, model=key, device=str(device),
                           threads=threads,
                           batch_size=size, batch='all' if is_all else size,
                           median_s=t['median'], min_s=t['min'],
                           repeats=repeats,
                           per_node_us=1e6 * t['median'] / size,
                           throughput_nodes_per_s=size / t['median'])
                if key.startswith('teacher'):
                    rec['neighbourhood'] = hood
                records.append(rec)
                print(f"{name:10s} threads={threads} batch={rec['batch']!s:7s}"
                      f" {key:14s} {1e3 * t['median']:10.3f} ms "
                      f"{rec['per_node_us']:10.3f} us/node", flush=True)
    return records


def summarize(records: List[Dict[str, Any]],
              k: int) -> List[Dict[str, Any]]:
    by_key = {(r['graph'], r['threads'], r['batch_size'], r['model']): r
              for r in records}
    rows = []
    for (graph, threads, size, model), rec in by_key.items():
        if model != 'rbm':
            continue
        teacher = by_key[(graph, threads, size, 'teacher')]
        mlp = by_key[(graph, threads, size, 'mlp')]
        gather = by_key[(graph, threads, size, 'teacher_gather')]
        onnx = by_key.get((graph, threads, size, 'rbm_onnx'))
        rows.append(
            dict(graph=graph, threads=threads, batch=rec['batch'],
                 rbm_onnx_ms=(1e3 * onnx['median_s'] if onnx else None),
                 teacher_ms=1e3 * teacher['median_s'],
                 teacher_gather_share=gather['median_s'] /
                 teacher['median_s'], mlp_ms=1e3 * mlp['median_s'],
                 rbm_ms=1e3 * rec['median_s'],
                 rbm_speedup_over_teacher=teacher['median_s'] /
                 rec['median_s'],
                 rbm_cost_over_mlp=rec['median_s'] / mlp['median_s'],
                 rbm_cost_over_k_mlp=rec['median_s'] / mlp['median_s'] / k,
                 neighbourhood_nodes=teacher['neighbourhood']['nodes'],
                 neighbourhood_edges=teacher['neighbourhood']['edges']))
    return rows


def markdown(summary: List[Dict[str, Any]]) -> str:
    lines = [
        '| graph | threads | batch | teacher ms | (gather %) | MLP ms | '
        'RbM ms | RbM (ONNX Runtime) ms | RbM speed-up vs teacher | '
        'RbM / MLP | RbM / (k MLP) | 2-hop nodes |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in summary:
        onnx = r.get('rbm_onnx_ms')
        onnx = f'{onnx:.3f}' if onnx is not None else 'n/a'
        lines.append(
            f"| {r['graph']} | {r['threads']} | {r['batch']} | "
            f"{r['teacher_ms']:.3f} | {100 * r['teacher_gather_share']:.0f} "
            f"| {r['mlp_ms']:.3f} | {r['rbm_ms']:.3f} | {onnx} | "
            f"{r['rbm_speedup_over_teacher']:.1f}x | "
            f"{r['rbm_cost_over_mlp']:.2f}x | "
            f"{r['rbm_cost_over_k_mlp']:.2f} | {r['neighbourhood_nodes']} |")
    return '\n'.join(lines) + '\n'


def plot(records: List[Dict[str, Any]], graphs: List[str],
         path: str) -> None:
    colors = dict(teacher='tab:red', mlp='tab:blue', rbm='tab:green',
                  rbm_onnx='tab:purple')
    rows = []
    for per_node in (False, True):
        row = []
        for graph in graphs:
            series = []
            threads = sorted({r['threads'] for r in records})
            for model in MODELS:
                for t in threads:
                    recs = sorted((r for r in records if r['graph'] == graph
                                   and r['model'] == model
                                   and r['threads'] == t),
                                  key=lambda r: r['batch_size'])
                    if not recs:
                        continue
                    series.append(
                        dict(label=f'{model}, {t} thr',
                             x=[r['batch_size'] for r in recs],
                             y=[
                                 r['per_node_us'] if per_node else 1e3 *
                                 r['median_s'] for r in recs
                             ],
                             style=dict(color=colors[model],
                                        linestyle='-' if t == threads[0]
                                        else '--')))
            nodes = next(r['nodes'] for r in records if r['graph'] == graph)
            row.append(
                dict(title=f'{graph} ({nodes} nodes)', series=series,
                     ylabel=('latency per node (us)'
                             if per_node else 'latency per batch (ms)')))
        rows.append(row)
    loglog_panels(path, rows, xlabel='batch size (last point: all nodes)',
                  ylabel='latency')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='results',
                        help='folder of latency.json/.md/.png')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repeats, skip the 1M-node graph')
    parser.add_argument('--graphs', nargs='+',
                        default=['cora', 'csbm_100k', 'csbm_1m'],
                        choices=['cora', 'csbm_100k', 'csbm_1m'])
    add_device_argument(parser)
    parser.add_argument('--threads', type=int, nargs='+', default=None,
                        help='torch CPU threads, each in turn (default: 1 '
                        'and 2 on the CPU, 1 with a GPU)')
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[1, 256, 4096])
    parser.add_argument('--hidden', type=int, default=256)
    parser.add_argument('--teacher-layers', type=int, default=2)
    parser.add_argument('--student-layers', type=int, default=2)
    parser.add_argument('--experts', type=int, default=4)
    parser.add_argument('--k', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=100,
                        help='calls at batch size <= 256 (fewer for larger '
                        'batches)')
    parser.add_argument('--min-repeats', type=int, default=10)
    parser.add_argument('--repeats-all', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    device = parse_device(parser, args.device)
    if args.threads is None:
        args.threads = [1, 2] if device.type == 'cpu' else [1]
    if args.quick:
        args.graphs = [g for g in args.graphs if g != 'csbm_1m']
        args.repeats, args.min_repeats, args.repeats_all = 20, 3, 1

    start = time.perf_counter()
    info = machine_info(device)
    records: List[Dict[str, Any]] = []
    graphs: Dict[str, Any] = {}
    for name in args.graphs:
        data = load_graph(name, args.seed)
        graphs[name] = dict(source=data.source, nodes=data.num_nodes,
                            edges=int(data.edge_index.size(1)),
                            features=data.num_features,
                            classes=int(data.num_classes))
        models = build_models(data, args, device)
        graphs[name]['parameters'] = {
            k: sum(p.numel() for p in m.parameters())
            for k, m in models.items()
        }
        records += time_graph(name, data, models, args, device)
        del data, models

    summary = summarize(records, args.k)
    info['load_average_end'] = list(os.getloadavg())
    result = dict(
        benchmark='latency', command=' '.join(sys.argv), machine=info,
        config=dict(vars(args), teacher='sage', aggr='mean',
                    kmeans_rows=KMEANS_ROWS, all_chunk=ALL_CHUNK),
        graphs=graphs, summary=summary, records=records,
        target_rbm_cost_over_k_mlp=RBM_OVER_K_MLP_TARGET,
        peak_rss_gib=gib(peak_rss_bytes()),
        wall_s=time.perf_counter() - start)
    os.makedirs(args.out, exist_ok=True)
    write_json(osp.join(args.out, 'latency.json'), result)
    table = markdown(summary)
    with open(osp.join(args.out, 'latency.md'), 'w') as f:
        gpu = f", models on {info['gpu']}" if 'gpu' in info else ''
        f.write(f"Measured {info['date']} on {info['cpu']} "
                f"({info['cpu_count']} cores, load average "
                f"{info['load_average'][0]:.2f} at start{gpu}), torch "
                f"{info['torch']}.\n\n" + table)
    plot(records, list(graphs), osp.join(args.out, 'latency.png'))
    print(table)


if __name__ == '__main__':
    main()
