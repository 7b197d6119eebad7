"""The environment variables an entry point checks before any work."""
import argparse

from pyg_rbm.nn.cpu_linear import cpu_linear_backend

__all__ = ['refuse_bad_environment']


def refuse_bad_environment(parser: argparse.ArgumentParser) -> None:
    r"""Exits through :obj:`parser` (code 2, one line naming the variable)
    if :obj:`PYG_RBM_CPU_LINEAR` holds an unknown value, so that it fails
    before any work rather than at the first product.

    Args:
        parser (argparse.ArgumentParser): The entry point's parser.
    """
    try:
        cpu_linear_backend()
    except ValueError as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
