"""How the process heap treats freed memory (glibc's malloc)."""
import ctypes
import platform

__all__ = ['retain_freed_memory']

# mallopt(3) parameters of glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MAX_MMAP_THRESHOLD = 32 << 20  # glibc's largest, on 64-bit systems


def retain_freed_memory(mmap_threshold: int = 32 << 20,
                        trim_threshold: int = 1 << 30) -> bool:
    r"""Lets glibc's :obj:`malloc` keep freed memory for reuse instead of
    handing it back to the kernel.

    A training step allocates and frees tensors of a few to tens of MiB
    (an RbM layer of width 512 over Cora's 2708 nodes with :math:`k = 3`
    gathers 16 MiB per copy). By default glibc serves such blocks from
    fresh :obj:`mmap` pages, or trims them off the heap when they are
    freed, so every step faults its pages in again: 16% of a routed RbM
    epoch on Cora and 41% on CiteSeer under :obj:`protocol: authors`
    (0.365 against 0.307 and 0.382 against 0.227 CPU seconds, one
    thread). Blocks below :obj:`mmap_threshold` bytes come from the heap,
    which is trimmed only when more than :obj:`trim_threshold` bytes at its
    top are free; the process then keeps up to its peak heap until it
    exits.

    The command line (:obj:`pyg-rbm`) and the benchmarks call it at start;
    a library import does not.

    Args:
        mmap_threshold (int, optional): Smallest block served by
            :obj:`mmap` (glibc accepts at most 32 MiB on 64-bit systems).
            (default: :obj:`32 << 20`)
        trim_threshold (int, optional): Free bytes at the top of the heap
            that make :obj:`free` trim it. (default: :obj:`1 << 30`)

    Returns:
        :obj:`True` if glibc took both settings, :obj:`False` elsewhere
        (another C library or system), where nothing changes.
    """
    for name, value, most in (
            ('mmap_threshold', mmap_threshold, _MAX_MMAP_THRESHOLD),
            ('trim_threshold', trim_threshold, None)):
        if (isinstance(value, bool) or not isinstance(value, int)
                or value < 0 or (most is not None and value > most)):
            bound = '' if most is None else f' of at most {most}'
            raise ValueError(f"'{name}' must be a non-negative integer"
                             f"{bound} in 'retain_freed_memory' (got "
                             f"{value!r})")
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    trim = min(trim_threshold, 2**31 - 1)  # (an int in mallopt's signature)
    took = [mallopt(_M_MMAP_THRESHOLD, mmap_threshold),
            mallopt(_M_TRIM_THRESHOLD, trim)]
    return all(took)
