import platform
import subprocess
import sys

import pytest

from pyg_rbm.heap import retain_freed_memory

GLIBC = platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc'

# Resident KiB before and after freeing a fresh 16 MiB tensor.
_PROBE = """
import os, sys, torch
from pyg_rbm.heap import retain_freed_memory
if sys.argv[1] == 'retain':
    assert retain_freed_memory()
def rss_kib():
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') // 1024
x = torch.ones(4 << 20)
before = rss_kib()
del x
print(before - rss_kib())
"""


def _kib_handed_back(mode):
    out = subprocess.run([sys.executable, '-c', _PROBE, mode],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not GLIBC, reason='glibc only')
def test_freed_blocks_stay_in_the_process():
    # By default glibc hands a freed 16 MiB block back to the kernel at once
    # (the next one faults its pages in again); afterwards it keeps it.
    assert _kib_handed_back('default') >= 15 * 1024
    assert _kib_handed_back('retain') < 1024


def test_bad_thresholds_are_named():
    with pytest.raises(ValueError, match="'mmap_threshold'.*at most"):
        retain_freed_memory(mmap_threshold=64 << 20)
    with pytest.raises(ValueError, match="'trim_threshold'"):
        retain_freed_memory(trim_threshold=-1)
    with pytest.raises(ValueError, match="'trim_threshold'"):
        retain_freed_memory(trim_threshold=True)


def test_the_command_line_retains_freed_memory(monkeypatch):
    import pyg_rbm.cli.main as cli
    calls = []
    monkeypatch.setattr(cli, 'retain_freed_memory',
                        lambda: calls.append(1) or True)
    monkeypatch.setattr(cli.show, 'run', lambda args: 0)
    assert cli.main(['show', 'cora']) == 0
    assert calls == [1]
