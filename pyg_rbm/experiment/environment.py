"""What a result was computed with, recorded beside it."""
import os
import platform
import subprocess
import sys
from typing import Any, Dict, Optional, Sequence

import torch

from pyg_rbm.cpuinfo import cpuinfo, processor_vendor

__all__ = ['environment', 'processor_name', 'processor_vendor',
           'blas_architecture', 'package_commit']


def processor_name() -> str:
    r"""The processor's model name (a floating-point result may differ
    between processor models).
    """
    return cpuinfo('model name') or platform.processor() or 'unknown'


def blas_architecture() -> str:
    r"""The kernels of the BLAS that NumPy and scikit-learn (RbM's
    :math:`k`-means) call, such as :obj:`"Haswell"` for OpenBLAS (set by
    :obj:`OPENBLAS_CORETYPE`, else detected): like the processor, they
    change the rounding and so the runs.
    """
    import numpy  # noqa: F401 (loads its BLAS)
    from threadpoolctl import threadpool_info
    kinds = sorted({str(info.get('architecture'))
                    for info in threadpool_info()
                    if info.get('user_api') == 'blas'})
    return '+'.join(kinds) or 'unknown'


def package_commit(paths: Sequence[str] = ('pyg_rbm', )) -> Optional[str]:
    r"""The commit of the checkout the package runs from, with a :obj:`+`
    when :obj:`paths` of it hold uncommitted changes; :obj:`None` outside
    a checkout.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--',
                                *paths], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ('+' if dirty else '')


def environment(device: Optional[torch.device] = None) -> Dict[str, Any]:
    r"""The package version and commit, Python, torch and PyG versions, the
    torch CPU threads, the processor, the BLAS kernels and the device of a
    run.

    Args:
        device (torch.device, optional): The device the run used; the GPU
            model is recorded for CUDA devices. (default: the CPU)
    """
    import torch_geometric

    import pyg_rbm
    device = torch.device(device or 'cpu')
    out: Dict[str, Any] = dict(
        pyg_rbm=pyg_rbm.__version__, commit=package_commit(),
        python=sys.version.split()[0], torch=torch.__version__,
        torch_geometric=torch_geometric.__version__,
        torch_threads=torch.get_num_threads(), processor=processor_name(),
        blas=blas_architecture(), cpu_count=os.cpu_count(),
        device=str(device))
    if device.type == 'cuda':
        out['gpu'] = torch.cuda.get_device_name(device)
    return out
