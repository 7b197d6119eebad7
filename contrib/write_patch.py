"""Writes pyg_rbm's patch for ``torch_geometric.contrib`` into a PyG source
tree (a clone of pyg-team/pytorch_geometric).

    python contrib/write_patch.py PATH/TO/pytorch_geometric

One source of truth: the code files are the package's own, copied with
their imports rewritten (an import of anything but torch, torch_geometric
and the standard library stops the script) and formatted by PyG's isort
and yapf settings; the tests are PyG-style files kept in
``contrib/test/`` of this repository. It writes

* ``torch_geometric/contrib/transforms/knowledge_distillation.py`` (from
  ``pyg_rbm/transforms/knowledge_distillation.py``) and its export in
  ``torch_geometric/contrib/transforms/__init__.py``;
* ``test/contrib/transforms/test_knowledge_distillation.py``;
* a line under the first ``### Added`` of ``CHANGELOG.md``.

Files of the patch that exist already are never overwritten (``--force``
replaces them, and only them).
"""
import argparse
import ast
import os
import re
import shutil
import sys
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# (source in this repository, destination in the PyG tree, exported name)
CODE: List[Tuple[str, str, str]] = [
    ('pyg_rbm/transforms/knowledge_distillation.py',
     'torch_geometric/contrib/transforms/knowledge_distillation.py',
     'KnowledgeDistillation'),
]
TESTS: List[str] = [
    'test/contrib/transforms/test_knowledge_distillation.py',
]
# Package modules -> where the patch puts them.
MODULES: Dict[str, str] = {
    'pyg_rbm.transforms': 'torch_geometric.contrib.transforms',
}
CHANGELOG_LINE = (
    '- Added the `torch_geometric.contrib.transforms.KnowledgeDistillation` '
    'transform, which stores a trained teacher\'s logits and soft labels '
    'on a `Data` object for graph-to-MLP distillation ([#XXXX]'
    '(https://github.com/pyg-team/pytorch_geometric/pull/XXXX))')
ALLOWED = {'torch', 'torch_geometric'}
# PyG's formatter settings (its pyproject.toml).
YAPF_STYLE = ('{based_on_style: pep8, split_before_named_assigns: false, '
              'blank_line_before_nested_class_or_def: false}')
ISORT_SETTINGS = dict(multi_line_output=3, include_trailing_comma=True,
                      known_first_party=['torch_geometric'])


def pyg_style(source: str) -> str:
    r""":obj:`source` with its imports sorted and its code formatted as
    PyG's pre-commit hooks (isort, yapf) leave it.
    """
    import isort
    from yapf.yapflib.yapf_api import FormatCode
    return FormatCode(isort.code(source, **ISORT_SETTINGS),
                      style_config=YAPF_STYLE)[0]


def rewrite(source: str, path: str) -> str:
    r"""The package file :obj:`source` with the package's module names
    replaced by their places in the patch; raises a :class:`ValueError`
    for any import outside torch, torch_geometric and the standard
    library.
    """
    for old, new in MODULES.items():
        source = source.replace(old, new)
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ValueError(f"'{path}' holds a relative import "
                                 f"(line {node.lineno}); import from "
                                 f"torch_geometric instead")
            names = [node.module or '']
        for name in names:
            top = name.split('.')[0]
            if top not in ALLOWED and top not in sys.stdlib_module_names:
                raise ValueError(f"'{path}' imports '{name}' (line "
                                 f"{node.lineno}): a contrib file may "
                                 f"import torch, torch_geometric and the "
                                 f"standard library only")
    return source


def add_export(init_path: str, module: str, name: str) -> None:
    r"""Adds :obj:`from .module import name` and :obj:`name` to the
    :obj:`__all__ = classes = [...]` list of a PyG :obj:`__init__.py`.
    """
    with open(init_path) as f:
        text = f.read()
    match = re.search(r'__all__ = classes = \[(.*?)\]', text, re.DOTALL)
    if match is None:
        raise ValueError(f"'{init_path}' has no '__all__ = classes = [...]'")
    names = re.findall(r"'(\w+)'", match.group(1))
    if name in names:
        return
    imports = re.findall(r'^from \..*$', text, re.MULTILINE)
    imports.append(f'from .{module} import {name}')
    names.append(name)
    body = ''.join(f"    '{n}',\n" for n in names)
    with open(init_path, 'w') as f:
        f.write('\n'.join(imports) + '\n\n__all__ = classes = [\n' + body +
                ']\n')


def add_changelog_line(path: str, line: str) -> None:
    with open(path) as f:
        text = f.read()
    if line in text:
        return
    marker = '### Added\n\n'
    if marker not in text:
        raise ValueError(f"'{path}' has no '### Added' section")
    with open(path, 'w') as f:
        f.write(text.replace(marker, marker + line + '\n', 1))


def write_patch(pyg_root: str, force: bool = False) -> List[str]:
    r"""Writes the patch into the PyG tree :obj:`pyg_root`; returns the
    files written or edited.
    """
    if not os.path.isdir(os.path.join(pyg_root, 'torch_geometric',
                                      'contrib')):
        raise ValueError(f"'{pyg_root}' is no PyG source tree (no "
                         f"torch_geometric/contrib)")
    targets = ([dst for _, dst, _ in CODE] + TESTS)
    existing = [t for t in targets
                if os.path.exists(os.path.join(pyg_root, t))]
    if existing and not force:
        raise ValueError(f"{', '.join(existing)} exist(s) in '{pyg_root}'; "
                         f"pass --force to replace the patch's files")
    # Check every file before writing any.
    code = []
    for src, dst, name in CODE:
        with open(os.path.join(REPO, src)) as f:
            code.append((pyg_style(rewrite(f.read(), src)), dst, name))
    written = []
    for text, dst, name in code:
        path = os.path.join(pyg_root, dst)
        with open(path, 'w') as f:
            f.write(text)
        init = os.path.join(os.path.dirname(path), '__init__.py')
        add_export(init, os.path.splitext(os.path.basename(dst))[0], name)
        written += [dst, os.path.relpath(init, pyg_root)]
    for test in TESTS:
        path = os.path.join(pyg_root, test)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(os.path.join(HERE, test), path)
        written.append(test)
    changelog = os.path.join(pyg_root, 'CHANGELOG.md')
    if os.path.exists(changelog):
        add_changelog_line(changelog, CHANGELOG_LINE)
        written.append('CHANGELOG.md')
    return written


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pyg_root', help='a PyG source tree')
    p.add_argument('--force', action='store_true',
                   help="replace the patch's files where they exist")
    args = p.parse_args(argv)
    try:
        written = write_patch(args.pyg_root, args.force)
    except ValueError as error:
        p.error(str(error))
    print('\n'.join(f'wrote {path}' for path in written))
    return 0


if __name__ == '__main__':
    sys.exit(main())
