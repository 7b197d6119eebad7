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
    CHANGELOG_LINE,
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


@pytest.fixture(scope='module')
def pyg_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('pytorch_geometric')
    shutil.copytree(torch_geometric.__path__[0], root / 'torch_geometric')
    (root / 'CHANGELOG.md').write_text(CHANGELOG)
    written = write_patch(str(root))
    return root, written


def test_patch_writes_code_tests_exports_and_changelog(pyg_tree):
    root, written = pyg_tree
    assert written == [
        'torch_geometric/contrib/transforms/knowledge_distillation.py',
        'torch_geometric/contrib/transforms/__init__.py',
        'test/contrib/transforms/test_knowledge_distillation.py',
        'CHANGELOG.md',
    ]
    init = (root / 'torch_geometric/contrib/transforms/__init__.py')
    assert init.read_text() == (
        'from .knowledge_distillation import KnowledgeDistillation\n\n'
        "__all__ = classes = [\n    'KnowledgeDistillation',\n]\n")
    # One source of truth: the package file itself, in PyG's format.
    with open(os.path.join(ROOT, 'pyg_rbm/transforms/'
                           'knowledge_distillation.py')) as f:
        source = f.read()
    assert (root / written[0]).read_text() == pyg_style(source)
    changelog = (root / 'CHANGELOG.md').read_text()
    assert changelog.index(CHANGELOG_LINE) < changelog.index('something')
    # Nothing of the patch is overwritten without --force.
    with pytest.raises(ValueError, match='pass --force'):
        write_patch(str(root))
    with pytest.raises(SystemExit):
        main([str(root / 'torch_geometric')])  # not a source tree


def test_patched_pyg_passes_the_contrib_tests(pyg_tree):
    root, _ = pyg_tree
    # pyg_rbm stays out of the process: the copy runs on PyG alone.
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         'test/contrib/transforms'], cwd=root, capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(root)))
    assert done.returncode == 0, done.stdout[-3000:]
    assert '4 passed' in done.stdout


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
                               'import A\n')
