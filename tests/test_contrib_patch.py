"""The contrib patch, written into a copy of the installed PyG laid out as
its source tree, passes its PyG-style tests and PyG's lint rules."""
import os
import shutil
import subprocess
import sys

import pytest
import torch_geometric

ROOT = os.path.join(os.path.dirname(__file__), '..')
sys.path.insert(0, os.path.join(ROOT, 'contrib'))
from write_patch import (  # noqa: E402
    CHANGELOG_LINES,
    add_example_row,
    inline,
    main,
    pyg_style,
    rewrite,
    write_patch,
)

CHANGELOG = '''# Changelog

## [Unreleased] - YYYY-MM-DD

### Added

- Added something else ([#1](https://github.com/pyg-team/pytorch_geometric/pull/1))
'''
EXAMPLES_README = '''# Examples for External Contributions

| Example                          | Description          |
| -------------------------------- | -------------------- |
| [`rbcd_attack.py`](./rbcd_attack.py) | An attack |
'''


@pytest.fixture(scope='module')
def pyg_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('pytorch_geometric')
    shutil.copytree(torch_geometric.__path__[0], root / 'torch_geometric')
    (root / 'CHANGELOG.md').write_text(CHANGELOG)
    (root / 'examples/contrib').mkdir(parents=True)
    (root / 'examples/contrib/README.md').write_text(EXAMPLES_README)
    written = write_patch(str(root))
    return root, written


def test_patch_writes_code_tests_exports_and_changelog(pyg_tree):
    root, written = pyg_tree
    assert written == [
        'torch_geometric/contrib/nn/models/rbm.py',
        'torch_geometric/contrib/nn/models/__init__.py',
        'torch_geometric/contrib/transforms/knowledge_distillation.py',
        'torch_geometric/contrib/transforms/__init__.py',
        'test/contrib/nn/models/test_rbm.py',
        'test/contrib/transforms/test_knowledge_distillation.py',
        'examples/contrib/rbm_distillation.py',
        'examples/contrib/README.md',
        'CHANGELOG.md',
    ]
    init = (root / 'torch_geometric/contrib/transforms/__init__.py')
    assert init.read_text() == (
        'from .knowledge_distillation import KnowledgeDistillation\n\n'
        "__all__ = classes = [\n    'KnowledgeDistillation',\n]\n")
    init = (root / 'torch_geometric/contrib/nn/models/__init__.py')
    assert init.read_text().endswith("    'RbM',\n]\n")
    assert 'from .rbm import RbM\n' in init.read_text()
    # One source of truth: the package files themselves (RbM's with the
    # helpers it imports), in PyG's format.
    for src, dst in (('pyg_rbm/transforms/knowledge_distillation.py',
                      written[2]), ('pyg_rbm/nn/rbm.py', written[0])):
        with open(os.path.join(ROOT, src)) as f:
            source = f.read()
        assert (root / dst).read_text() == pyg_style(rewrite(source, src))
    transform = (root / written[2]).read_text()
    assert transform == pyg_style(open(os.path.join(
        ROOT, 'pyg_rbm/transforms/knowledge_distillation.py')).read())
    rbm = (root / written[0]).read_text()
    for helper in ('class ExpertBank(', 'def top_k(', 'def kmeans(',
                   'def shard_sum(', 'def node_norm_kwargs(',
                   'def all_finite('):
        assert rbm.count(helper) == 1, helper
    assert rbm.index('class ExpertBank(') < rbm.index('class RbM(')
    readme = (root / 'examples/contrib/README.md').read_text()
    assert '| [`rbm_distillation.py`](./rbm_distillation.py) ' in readme
    rows = [line for line in readme.split('\n') if line.startswith('|')]
    assert len(rows) == 4 and len({len(row) for row in rows}) == 1
    changelog = (root / 'CHANGELOG.md').read_text()
    assert (changelog.index(CHANGELOG_LINES[0]) <
            changelog.index(CHANGELOG_LINES[1]) <
            changelog.index('something'))
    # Nothing of the patch is overwritten without --force.
    with pytest.raises(ValueError, match='pass --force'):
        write_patch(str(root))
    with pytest.raises(SystemExit):
        main([str(root / 'torch_geometric')])  # not a source tree


def _run_on_pyg_alone(root, *args):
    # pyg_rbm stays out of the process: the copy runs on PyG alone.
    return subprocess.run([sys.executable, *args], cwd=root,
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(root)))


@pytest.mark.slow
def test_patched_pyg_passes_the_contrib_tests(pyg_tree):
    root, _ = pyg_tree
    done = _run_on_pyg_alone(root, '-m', 'pytest', '-q', '-p',
                             'no:cacheprovider', 'test/contrib/transforms',
                             'test/contrib/nn/models/test_rbm.py')
    assert done.returncode == 0, done.stdout[-3000:]
    assert '10 passed' in done.stdout


@pytest.mark.slow
def test_patched_pyg_runs_the_example(pyg_tree, data_root):
    root, _ = pyg_tree
    raw = root / 'data/Planetoid/Cora/raw'
    shutil.copytree(os.path.join(data_root, 'Cora', 'raw'), raw)
    done = _run_on_pyg_alone(root, 'examples/contrib/rbm_distillation.py',
                             '--teacher_epochs', '60', '--pretrain_epochs',
                             '5', '--epochs', '40')
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().split('\n')
    assert lines[0].startswith('Teacher: Val: ')
    assert lines[-1].startswith('RbM: Val: ')
    assert len(lines) == 2 + 5 + 40
    test_acc = float(lines[-1].split('Test: ')[1])
    teacher_acc = float(lines[0].split('Test: ')[1])
    assert teacher_acc > 0.75 and test_acc > 0.7


def test_patch_follows_pyg_lint_rules(pyg_tree):
    root, written = pyg_tree
    files = [str(root / path) for path in written
             if path.endswith('.py') and not path.endswith('__init__.py')]
    for path in files:  # isort and yapf with PyG's settings change nothing
        with open(path) as f:
            text = f.read()
        assert pyg_style(text) == text, path
    # PyG's ruff rules: flake8-bugbear and Google docstrings, 80 columns.
    ignore = 'B905,D100,D101,D102,D103,D104,D105,D107,D205'
    done = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--isolated',
         '--line-length', '80', '--select', 'B,D,E,F,W', '--ignore', ignore,
         '--config', 'lint.pydocstyle.convention="google"', *files],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_patch_refuses_non_pyg_imports(tmp_path):
    with pytest.raises(ValueError, match="imports 'sklearn.cluster'"):
        rewrite('from sklearn.cluster import KMeans\n', 'x.py')
    with pytest.raises(ValueError, match='relative import'):
        rewrite('from ..nn import RbM\n', 'x.py')
    assert rewrite('import math\nfrom pyg_rbm.transforms import A\n',
                   'x.py') == ('import math\n'
                               'from torch_geometric.contrib.transforms '
                               'import A\n\n')
    # Optional packages only inside a function; no other mention left.
    assert 'sklearn' in rewrite(
        'def f():\n    import sklearn\n    return sklearn\n', 'x.py')
    with pytest.raises(ValueError, match='still names pyg_rbm'):
        rewrite('x = 1  # see pyg_rbm.nn\n', 'x.py')


def test_inline_takes_in_helpers_once():
    source = ('from pyg_rbm.nn.kmeans import kmeans\n'
              'from pyg_rbm.nn.finite import all_finite\n\n'
              "__all__ = ['f']\n\n\ndef f(x):\n"
              '    return kmeans(x, 2) if all_finite(x) else None\n')
    text = inline(source, 'x.py')
    assert text.count('def all_finite(') == 1
    assert text.index('def all_finite(') < text.index('def kmeans(')
    assert text.index("__all__ = ['f']") < text.index('def all_finite(')
    assert 'pyg_rbm' not in text and "__all__ = ['kmeans']" not in text
    with pytest.raises(ValueError, match='does not define'):
        inline('from pyg_rbm.nn.finite import missing\n', 'x.py')
    with pytest.raises(ValueError, match='more than once'):
        inline('from pyg_rbm.nn.finite import all_finite\n\n\n'
               'def all_finite():\n    pass\n', 'x.py')


def test_example_rows_are_aligned(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(EXAMPLES_README)
    add_example_row(str(readme), 'a.py', 'Something much longer than before')
    add_example_row(str(readme), 'a.py', 'Again')  # no second row
    rows = readme.read_text().split('\n')[2:6]
    assert rows[1] == '| ' + '-' * 36 + ' | ' + '-' * 33 + ' |'
    assert rows[3] == ('| [`a.py`](./a.py)' + ' ' * 20 +
                       ' | Something much longer than before |')
