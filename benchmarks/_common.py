"""Helpers shared by the benchmark scripts: machine description, timing,
memory, JSON output and log-log plots (matplotlib's Agg backend)."""
import argparse
import datetime
import json
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch

from pyg_rbm.experiment.environment import (
    blas_architecture,
    package_commit,
    processor_name,
)
from pyg_rbm.heap import retain_freed_memory

__all__ = [
    'RBM_OVER_K_MLP_TARGET',
    'add_device_argument',
    'parse_device',
    'synchronize',
    'machine_info',
    'median_times',
    'peak_rss_bytes',
    'current_rss_bytes',
    'gib',
    'write_json',
    'loglog_panels',
]

# Issue 22's goal for RbM's evaluation time over that of k same-width MLPs
# (batches >= 256), reported by latency.py and student_throughput.py.
RBM_OVER_K_MLP_TARGET = 1.2

# Every benchmark runs in a process of its own, as the command line does.
retain_freed_memory()


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """The :obj:`--device` option of the benchmarks that run models."""
    parser.add_argument('--device', default='auto',
                        help="'auto' (CUDA when available), 'cpu', 'cuda' "
                        "or 'cuda:N' (default: auto); recorded in the JSON")


def parse_device(parser: argparse.ArgumentParser,
                 name: str) -> torch.device:
    """The device of :obj:`--device`, or the parser's usage error (exit
    code 2) before any work when it is malformed or absent here."""
    from pyg_rbm.device import check_device, resolve_device
    try:
        check_device(name, key='--device')
    except ValueError as error:
        parser.error(str(error))
    return resolve_device(name)


def synchronize(device: torch.device) -> None:
    """Waits for the work queued on :obj:`device` (a CUDA device runs it
    after the call returns), so that a clock read next counts it."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def machine_info(device: Optional[torch.device] = None) -> Dict[str, Any]:
    """What the numbers were measured on (with :obj:`device`, the device
    the models ran on, and its name for a GPU), and how busy the machine
    was."""
    import torch_geometric
    try:
        mem = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    except (ValueError, OSError):
        mem = None
    info = dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        host=platform.node(),
        platform=platform.platform(),
        python=sys.version.split()[0],
        torch=torch.__version__,
        torch_geometric=torch_geometric.__version__,
        cpu=processor_name(),
        blas=blas_architecture(),
        cpu_count=os.cpu_count(),
        memory_gib=round(mem / 2**30, 1) if mem else None,
        torch_threads=torch.get_num_threads(),
        load_average=list(os.getloadavg()),
        commit=package_commit(('pyg_rbm', 'benchmarks')),
    )
    if device is not None:
        info['device'] = str(device)
        if device.type == 'cuda':
            info['gpu'] = torch.cuda.get_device_name(device)
    return info


def median_times(
    fns: Dict[str, Callable[[int], Any]],
    repeats: int,
    warmup: int = 1,
    rounds: int = 10,
    device: Optional[torch.device] = None,
) -> Dict[str, Dict[str, float]]:
    """Calls each :obj:`fn(i)` for :obj:`warmup + repeats` values of
    :obj:`i` (each call may use a different input) and returns the median,
    minimum and mean wall time in seconds of its last :obj:`repeats` calls.
    The functions' timed calls are taken in turn, in :obj:`rounds` blocks
    each, so that a change of the machine's speed while they run (another
    job, the clock) weighs on all alike; with :obj:`warmup`, each block
    starts with an untimed call on a warm-up input, which brings the
    function's own data (weights, index structures) back into cache after
    the others' blocks. On a :obj:`device` that runs work after the call
    returns (CUDA), each call is timed until that work is done."""
    if repeats < 1:
        raise ValueError(f"'repeats' must be positive in 'median_times' "
                         f"(got {repeats})")
    device = torch.device(device or 'cpu')
    times: Dict[str, List[float]] = {key: [] for key in fns}
    block = -(-repeats // rounds)
    with torch.inference_mode():
        for fn in fns.values():
            for i in range(warmup):
                fn(i)
        for start in range(0, repeats, block):
            for key, fn in fns.items():
                if warmup > 0:
                    fn(start // block % warmup)
                for i in range(warmup + start,
                               warmup + min(start + block, repeats)):
                    synchronize(device)
                    t0 = time.perf_counter()
                    fn(i)
                    synchronize(device)
                    times[key].append(time.perf_counter() - t0)
    return {key: dict(median=statistics.median(ts), min=min(ts),
                      mean=statistics.fmean(ts), repeats=repeats)
            for key, ts in times.items()}


def peak_rss_bytes(children: bool = False) -> int:
    """Peak resident set size of this process (or of its largest waited-for
    child) so far, from :func:`resource.getrusage` (Linux: kilobytes)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    scale = 1 if sys.platform == 'darwin' else 1024
    return resource.getrusage(who).ru_maxrss * scale


def current_rss_bytes() -> Optional[int]:
    """Current resident set size from :obj:`/proc/self/statm`."""
    try:
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf('SC_PAGE_SIZE')


def gib(num_bytes: Optional[float]) -> Optional[float]:
    return None if num_bytes is None else round(num_bytes / 2**30, 3)


def write_json(path: str, obj: Any) -> str:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write('\n')
    return path


def loglog_panels(
    path: str,
    panels: Sequence[Any],
    xlabel: str,
    ylabel: str,
    title: Optional[str] = None,
    reference_slope: Optional[float] = None,
) -> str:
    """Saves a grid of log-log panels as a PNG.

    :obj:`panels` is a list of panels (one row) or a list of rows. Each
    panel is :obj:`dict(title=..., series=[dict(label, x, y, style)],
    ylabel=...)` where :obj:`style` is an optional dict of :meth:`plot`
    keywords and :obj:`ylabel` overrides the common one. With
    :obj:`reference_slope`, a dotted line of that slope through the first
    point of the first series marks the expected growth.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = [panels] if isinstance(panels[0], dict) else list(panels)
    ncols = max(len(row) for row in rows)
    fig, axes = plt.subplots(len(rows), ncols, squeeze=False,
                             figsize=(4.6 * ncols, 3.8 * len(rows)))
    cells = [(axes[r][c], panel) for r, row in enumerate(rows)
             for c, panel in enumerate(row)]
    for ax, panel in cells:
        for series in panel['series']:
            ax.plot(series['x'], series['y'], marker='o', markersize=3,
                    label=series['label'], **series.get('style', {}))
        if reference_slope is not None and panel['series']:
            first = panel['series'][0]
            x0, y0 = first['x'][0], first['y'][0]
            xs = [x0, max(first['x'])]
            ax.plot(xs, [y0 * (x / x0)**reference_slope for x in xs],
                    color='grey', linestyle=':', linewidth=1,
                    label=f'slope {reference_slope:g}')
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlabel(xlabel)
        ax.set_ylabel(panel.get('ylabel', ylabel))
        ax.set_title(panel.get('title', ''))
        ax.grid(True, which='both', linewidth=0.3, alpha=0.5)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
