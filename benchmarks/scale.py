"""End-to-end cost of the distillation pipeline against graph size.

For CSBM graphs of 10k to 10M nodes (average degree 10, homophily 0.8,
10 classes), each size runs in its own subprocess: data generation, a
GraphSAGE teacher trained full-graph by :func:`pyg_rbm.train.train_teacher`,
the :class:`pyg_rbm.transforms.KnowledgeDistillation` transform, an RbM
student trained in mini-batches by :class:`pyg_rbm.train.StudentTrainer`
(k-means routing initialisation included), and a final evaluation (the
teacher's chunked full-graph inference and the student's batched
prediction). Wall time per phase, peak resident memory after each phase
and test accuracy at the best validation epoch are recorded.

Only the labelled (training and validation) nodes enter the teacher's
loss and model selection, so by default the teacher trains on their
2-hop in-neighbourhood (:obj:`train_teacher(..., graph="labelled")`, the
same loss, gradients and validation scores as on the full graph for
GraphSAGE; the test accuracy of the best state is computed on the full
graph). :obj:`--teacher-graph full` trains on the whole graph instead.

With :obj:`--device cuda`, the graph is generated on the CPU and moved to
the GPU with the models; each phase is timed until the GPU has finished
it, and the peak GPU memory of the run is recorded beside the resident
memory.

    python benchmarks/scale.py --out docs/benchmarks
    python benchmarks/scale.py --quick            # 10k and 100k only
    python benchmarks/scale.py --device cuda --sizes 2000000 --out results/gpu
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (  # noqa: E402
    add_device_argument,
    current_rss_bytes,
    gib,
    loglog_panels,
    machine_info,
    parse_device,
    peak_rss_bytes,
    synchronize,
    write_json,
)

PHASES = ('data', 'teacher', 'transform', 'student', 'evaluation')
SIZES = (10_000, 100_000, 1_000_000, 2_000_000, 10_000_000)


class _Clock:
    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: Dict[str, float] = {}
        self.peak_rss_gib: Dict[str, float] = {}
        self.rss_gib: Dict[str, float] = {}

    def phase(self, name: str, start: float) -> None:
        synchronize(self.device)
        self.seconds[name] = time.perf_counter() - start
        self.peak_rss_gib[name] = gib(peak_rss_bytes())
        self.rss_gib[name] = gib(current_rss_bytes())
        print(f'  {name:10s} {self.seconds[name]:8.1f} s   peak RSS '
              f'{self.peak_rss_gib[name]:.2f} GiB', flush=True)


def run_size(num_nodes: int, args: argparse.Namespace,
             device: torch.device) -> Dict[str, Any]:
    from pyg_rbm.datasets import make_csbm
    from pyg_rbm.nn import build_student
    from pyg_rbm.teachers import build_teacher, teacher_inference
    from pyg_rbm.train import (
        DistillationObjective,
        StudentTrainer,
        train_teacher,
    )
    from pyg_rbm.train.evaluate import accuracy_metrics, predict
    from pyg_rbm.transforms import KnowledgeDistillation

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    clock = _Clock(device)
    baseline_gib = gib(peak_rss_bytes())

    t0 = time.perf_counter()
    data = make_csbm(num_nodes, args.classes, args.features,
                     avg_degree=args.avg_degree, homophily=args.homophily,
                     feature_noise=args.feature_noise,
                     seed=args.seed).to(device)
    clock.phase('data', t0)

    t0 = time.perf_counter()
    teacher = build_teacher('sage', args.features, args.teacher_hidden,
                            args.classes, num_layers=2,
                            dropout=args.teacher_dropout).to(device)
    teacher_fit = train_teacher(teacher, data, lr=0.01, weight_decay=5e-4,
                                epochs=args.teacher_epochs, patience=None,
                                progress=False, graph=args.teacher_graph)
    clock.phase('teacher', t0)

    t0 = time.perf_counter()
    data = KnowledgeDistillation(teacher, temperature=args.tau)(data)
    clock.phase('transform', t0)

    t0 = time.perf_counter()
    torch.manual_seed(args.seed)
    student = build_student('rbm', args.features, args.classes,
                            hidden_channels=args.student_hidden,
                            num_layers=2, dropout=args.student_dropout,
                            num_experts=args.experts,
                            k=args.k).to(device)
    kmeans_s = []
    init_routing = student.init_routing

    def timed_init_routing(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        out = init_routing(*a, **kw)
        kmeans_s.append(time.perf_counter() - t)
        return out

    student.init_routing = timed_init_routing
    trainer = StudentTrainer(student,
                             DistillationObjective(lam=args.lam,
                                                   tau=args.tau),
                             lr=0.01, weight_decay=5e-4,
                             epochs=args.student_epochs,
                             pretrain_epochs=args.pretrain_epochs,
                             patience=None, batch_size=args.batch_size,
                             seed=args.seed, progress=False)
    student_fit = trainer.fit(data)
    clock.phase('student', t0)

    t0 = time.perf_counter()
    masks = dict(val=data.val_mask, test=data.test_mask)
    synchronize(device)
    t = time.perf_counter()
    teacher_logits = teacher_inference(teacher, data.x, data.edge_index)
    synchronize(device)
    teacher_inference_s = time.perf_counter() - t
    t = time.perf_counter()
    student_logits = predict(student, data.x, args.predict_chunk)
    synchronize(device)
    student_inference_s = time.perf_counter() - t
    final = dict(
        teacher=accuracy_metrics(teacher_logits, data.y, masks),
        student=accuracy_metrics(student_logits, data.y, masks))
    clock.phase('evaluation', t0)

    def epoch_s(fit: Any) -> float:
        return sum(r.seconds for r in fit.history) / max(1, len(fit.history))

    return dict(
        nodes=num_nodes, edges=int(data.edge_index.size(1)),
        device=str(device),
        peak_gpu_gib=(gib(torch.cuda.max_memory_allocated(device))
                      if device.type == 'cuda' else None),
        seconds=clock.seconds, total_s=sum(clock.seconds.values()),
        peak_rss_gib_after=clock.peak_rss_gib, rss_gib_after=clock.rss_gib,
        peak_rss_gib=max(clock.peak_rss_gib.values()),
        baseline_rss_gib=baseline_gib,
        details=dict(
            teacher_graph=args.teacher_graph,
            teacher_epoch_s=epoch_s(teacher_fit),
            student_epoch_s=epoch_s(student_fit),
            kmeans_s=sum(kmeans_s),
            teacher_inference_s=teacher_inference_s,
            student_inference_s=student_inference_s,
            teacher_best_epoch=teacher_fit.best_epoch,
            student_best_epoch=student_fit.best_epoch,
        ),
        accuracy=dict(
            teacher_test_at_best_val=teacher_fit.best_metrics['test'],
            teacher_val=teacher_fit.best_metrics['val'],
            student_test_at_best_val=student_fit.best_metrics['test'],
            student_val=student_fit.best_metrics['val'],
            final=final,
        ),
    )


def plot(runs: List[Dict[str, Any]], path: str) -> None:
    nodes = [r['nodes'] for r in runs]
    phases = [dict(label=p, x=nodes, y=[max(r['seconds'][p], 1e-3)
                                        for r in runs]) for p in PHASES]
    total = [dict(label='total', x=nodes, y=[r['total_s'] for r in runs],
                  style=dict(color='black', linewidth=2))]
    memory = [
        dict(label='peak RSS above baseline', x=nodes,
             y=[max(r['peak_rss_gib'] - r['baseline_rss_gib'], 1e-3)
                for r in runs]),
        dict(label='peak RSS', x=nodes, y=[r['peak_rss_gib'] for r in runs]),
    ]
    if all(r.get('peak_gpu_gib') for r in runs):
        memory.append(dict(label='peak GPU memory', x=nodes,
                           y=[r['peak_gpu_gib'] for r in runs]))
    loglog_panels(path, [
        dict(title='wall time per phase', series=total + phases,
             ylabel='seconds'),
        dict(title='peak memory', series=memory, ylabel='GiB'),
    ], xlabel='nodes', ylabel='', reference_slope=1.0)


def markdown(runs: List[Dict[str, Any]]) -> str:
    gpu = any(r.get('peak_gpu_gib') is not None for r in runs)
    head = ('| nodes | edges | ' + ' | '.join(f'{p} s' for p in PHASES) +
            ' | total s | k-means s | peak RSS GiB | ' +
            ('peak GPU GiB | ' if gpu else '') + 'teacher acc | student acc |')
    lines = [head, '|' + '---|' * (len(PHASES) + 7 + gpu)]
    for r in runs:
        a = r['accuracy']
        gpu_cell = f"{r['peak_gpu_gib']:.2f} | " if gpu else ''
        lines.append(
            f"| {r['nodes']:,} | {r['edges']:,} | " +
            ' | '.join(f"{r['seconds'][p]:.1f}" for p in PHASES) +
            f" | {r['total_s']:.1f} | {r['details']['kmeans_s']:.1f} | "
            f"{r['peak_rss_gib']:.2f} | {gpu_cell}"
            f"{100 * a['teacher_test_at_best_val']:.1f} | "
            f"{100 * a['student_test_at_best_val']:.1f} |")
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='results',
                        help='folder of scale.json/.md/.png')
    parser.add_argument('--sizes', type=int, nargs='+', default=list(SIZES))
    parser.add_argument('--quick', action='store_true',
                        help='only 10k and 100k nodes')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch/OpenMP threads; on a shared 2-core '
                        'machine 2 threads ran 6-8x slower than 1')
    add_device_argument(parser)
    parser.add_argument('--features', type=int, default=64)
    parser.add_argument('--classes', type=int, default=10)
    parser.add_argument('--avg-degree', type=float, default=10.0)
    parser.add_argument('--homophily', type=float, default=0.8)
    parser.add_argument('--feature-noise', type=float, default=0.5,
                        help='CSBM feature noise (class means are about '
                        'sqrt(2) apart)')
    parser.add_argument('--teacher-hidden', type=int, default=128)
    parser.add_argument('--teacher-dropout', type=float, default=0.5)
    parser.add_argument('--teacher-epochs', type=int, default=30)
    parser.add_argument('--teacher-graph', default='labelled',
                        choices=['labelled', 'full'],
                        help='train on the labelled nodes\' 2-hop '
                        'neighbourhood (exact for SAGE) or on the full graph')
    parser.add_argument('--student-hidden', type=int, default=128)
    parser.add_argument('--student-dropout', type=float, default=0.2)
    parser.add_argument('--experts', type=int, default=4)
    parser.add_argument('--k', type=int, default=3)
    parser.add_argument('--pretrain-epochs', type=int, default=2)
    parser.add_argument('--student-epochs', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=4096)
    parser.add_argument('--predict-chunk', type=int, default=65536)
    parser.add_argument('--lam', type=float, default=0.2)
    parser.add_argument('--tau', type=float, default=1.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--worker', type=int, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument('--worker-json', default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = parse_device(parser, args.device)

    if args.worker is not None:
        result = run_size(args.worker, args, device)
        write_json(args.worker_json, result)
        return

    if args.quick:
        args.sizes = [s for s in args.sizes if s <= 100_000]
    start = time.perf_counter()
    info = machine_info(device)
    info['torch_threads'] = args.threads
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.sizes):
            print(f'{size:,} nodes', flush=True)
            path = osp.join(tmp, f'{size}.json')
            cmd = [sys.executable, osp.abspath(__file__)] + [
                a for a in sys.argv[1:]
            ] + ['--worker', str(size), '--worker-json', path]
            load = os.getloadavg()
            # OpenMP pools outside torch (scikit-learn's k-means) get the
            # same number of threads.
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
                       MKL_NUM_THREADS=str(args.threads))
            subprocess.run(cmd, check=True, env=env)
            with open(path) as f:
                run = json.load(f)
            run['load_average_before'] = list(load)
            run['load_average_after'] = list(os.getloadavg())
            # Largest child so far; sizes run in increasing order.
            run['children_max_rss_gib'] = gib(peak_rss_bytes(children=True))
            runs.append(run)

    config = {k: v for k, v in vars(args).items()
              if not k.startswith('worker')}
    result = dict(benchmark='scale', command=' '.join(sys.argv),
                  machine=info, config=config, runs=runs,
                  wall_s=time.perf_counter() - start)
    os.makedirs(args.out, exist_ok=True)
    write_json(osp.join(args.out, 'scale.json'), result)
    table = markdown(runs)
    with open(osp.join(args.out, 'scale.md'), 'w') as f:
        gpu = f", models on {info['gpu']}" if 'gpu' in info else ''
        f.write(f"Measured {info['date']} on {info['cpu']} "
                f"({info['cpu_count']} cores, {args.threads} torch threads, "
                f"load average {info['load_average'][0]:.2f} at start"
                f"{gpu}).\n\n" + table)
    plot(runs, osp.join(args.out, 'scale.png'))
    print(table)


if __name__ == '__main__':
    main()
