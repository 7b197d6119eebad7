import subprocess
import sys


def test_students_import_without_scikit_learn():
    # k-means imports scikit-learn when it runs (init_routing), as PyG's
    # models import their optional packages.
    code = ('import sys; from pyg_rbm import RbM, MoE, MLPStudent; '
            'print(sorted(m for m in sys.modules if m.startswith('
            '("sklearn", "threadpoolctl"))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'
