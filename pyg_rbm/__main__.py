"""``python -m pyg_rbm``: the ``pyg-rbm`` command line."""
import sys

from pyg_rbm.cli.main import main

if __name__ == '__main__':
    sys.exit(main())
