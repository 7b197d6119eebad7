"""Writes pyg_rbm's patch for ``torch_geometric.contrib`` into a PyG source
tree (a clone of pyg-team/pytorch_geometric).

    python contrib/write_patch.py PATH/TO/pytorch_geometric

One source of truth: the code files are the package's own, copied with
their imports rewritten and formatted by PyG's isort and yapf settings.
The package helpers a file imports from ``pyg_rbm.nn`` (RbM's experts,
top-k, k-means, ...) are written into it ahead of its code; any other
import of anything but torch, torch_geometric and the standard library
stops the script (scikit-learn may be imported inside a function, as
PyG's models import their optional packages). The tests and the example
are PyG-style files kept in ``contrib/test/`` and ``contrib/examples/`` of
this repository. It writes

* ``torch_geometric/contrib/nn/models/rbm.py`` (from
  ``pyg_rbm/nn/rbm.py`` and its helpers) and
  ``torch_geometric/contrib/transforms/knowledge_distillation.py`` (from
  ``pyg_rbm/transforms/knowledge_distillation.py``), with their exports in
  the ``__init__.py`` files beside them;
* ``test/contrib/nn/models/test_rbm.py`` and
  ``test/contrib/transforms/test_knowledge_distillation.py``;
* ``examples/contrib/rbm_distillation.py`` and its line in
  ``examples/contrib/README.md``;
* a line per file under the first ``### Added`` of ``CHANGELOG.md``.

Files of the patch that exist already are never overwritten (``--force``
replaces them, and only them).
"""
import argparse
import ast
import os
import re
import shutil
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# (source in this repository, destination in the PyG tree, exported name)
CODE: List[Tuple[str, str, str]] = [
    ('pyg_rbm/nn/rbm.py', 'torch_geometric/contrib/nn/models/rbm.py', 'RbM'),
    ('pyg_rbm/transforms/knowledge_distillation.py',
     'torch_geometric/contrib/transforms/knowledge_distillation.py',
     'KnowledgeDistillation'),
]
TESTS: List[str] = [
    'test/contrib/nn/models/test_rbm.py',
    'test/contrib/transforms/test_knowledge_distillation.py',
]
EXAMPLES: List[Tuple[str, str]] = [
    ('examples/contrib/rbm_distillation.py',
     'Distils a GraphSAGE teacher into the graph-free RbM (Routing-by-'
     'Memory) mixture-of-experts student'),
]
# The package whose helper modules a code file may take in.
INLINED_PACKAGE = 'pyg_rbm.nn'
# Packages a function may import when it runs (optional dependencies).
OPTIONAL = {'sklearn', 'threadpoolctl'}
# Package modules -> where the patch puts them.
MODULES: Dict[str, str] = {
    'pyg_rbm.transforms': 'torch_geometric.contrib.transforms',
}
CHANGELOG_LINES = [
    '- Added the `torch_geometric.contrib.nn.models.RbM` Routing-by-Memory '
    'mixture-of-experts student for graph knowledge distillation '
    '([#XXXX](https://github.com/pyg-team/pytorch_geometric/pull/XXXX))',
    '- Added the `torch_geometric.contrib.transforms.KnowledgeDistillation` '
    'transform, which stores a trained teacher\'s logits and soft labels '
    'on a `Data` object for graph-to-MLP distillation ([#XXXX]'
    '(https://github.com/pyg-team/pytorch_geometric/pull/XXXX))',
]
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


def _module_parts(source: str, path: str) -> Dict[str, Any]:
    # A module's docstring, imports, helper modules taken in, `__all__`
    # and the rest of its code, each with the comments above it.
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    parts: Dict[str, Any] = dict(doc='', imports=[], inlined=[],
                                 exports='', body=[], names=[])
    end = 0
    for i, node in enumerate(tree.body):
        chunk = ''.join(lines[end:node.end_lineno])
        end = node.end_lineno
        if (i == 0 and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            parts['doc'] = chunk
        elif (isinstance(node, ast.ImportFrom) and (node.module or '')
              .startswith(INLINED_PACKAGE + '.')):
            if any(alias.asname for alias in node.names):
                raise ValueError(f"'{path}' renames an import of "
                                 f"'{node.module}' (line {node.lineno})")
            parts['inlined'].append(
                (node.module, [alias.name for alias in node.names]))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            parts['imports'].append(ast.get_source_segment(source, node) +
                                    '\n')
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and getattr(node.targets[0], 'id', None) == '__all__'):
            parts['exports'] = chunk
        else:
            parts['body'].append(chunk)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                parts['names'].append(node.name)
            for target in getattr(node, 'targets', []):
                parts['names'] += [n.id for n in ast.walk(target)
                                   if isinstance(n, ast.Name)]
    return parts


def inline(source: str, path: str) -> str:
    r"""The package file :obj:`source` with the helper modules it imports
    from :obj:`INLINED_PACKAGE` (and those they import, each once) written
    into it ahead of its own code, without their docstrings and
    :obj:`__all__`.
    """
    helpers: Dict[str, Dict[str, Any]] = {}

    def take_in(module: str, names: List[str], importer: str) -> None:
        if module not in helpers:
            file = os.path.join(REPO, *module.split('.')) + '.py'
            with open(file) as f:
                parts = _module_parts(f.read(), file)
            for dep, dep_names in parts['inlined']:
                take_in(dep, dep_names, file)
            helpers[module] = parts
        missing = set(names) - set(helpers[module]['names'])
        if missing:
            raise ValueError(f"'{importer}' imports {sorted(missing)} from "
                             f"'{module}', which does not define them")

    main = _module_parts(source, path)
    for module, names in main['inlined']:
        take_in(module, names, path)
    parts = list(helpers.values()) + [main]
    defined = [name for part in parts for name in part['names']]
    clashes = sorted({name for name in defined if defined.count(name) > 1})
    if clashes:
        raise ValueError(f"'{path}' and the helpers it takes in define "
                         f"{clashes} more than once")
    imports = list(dict.fromkeys(i for part in parts
                                 for i in part['imports']))
    return (main['doc'] + ''.join(imports) + '\n' + main['exports'] +
            ''.join(chunk for part in parts for chunk in part['body']))


def rewrite(source: str, path: str) -> str:
    r"""The package file :obj:`source` with its helpers taken in (see
    :func:`inline`) and the package's module names replaced by their
    places in the patch; raises a :class:`ValueError` for any import
    outside torch, torch_geometric and the standard library (a function
    may also import an optional package of :obj:`OPTIONAL` when it runs)
    and for any other mention of the package.
    """
    source = inline(source, path)
    for old, new in MODULES.items():
        source = source.replace(old, new)
    tree = ast.parse(source)
    top_level = set(map(id, tree.body))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ValueError(f"'{path}' holds a relative import "
                                 f"(line {node.lineno}); import from "
                                 f"torch_geometric instead")
            names = [node.module or '']
        allowed = ALLOWED if id(node) in top_level else ALLOWED | OPTIONAL
        for name in names:
            top = name.split('.')[0]
            if top not in allowed and top not in sys.stdlib_module_names:
                raise ValueError(f"'{path}' imports '{name}' (line "
                                 f"{node.lineno}): a contrib file may "
                                 f"import torch, torch_geometric and the "
                                 f"standard library only")
    if 'pyg_rbm' in source:
        line = source[:source.index('pyg_rbm')].count('\n') + 1
        raise ValueError(f"'{path}' still names pyg_rbm (line {line} of "
                         f"the patched file)")
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


def add_example_row(readme: str, name: str, description: str) -> None:
    r"""Adds :obj:`name` to the table of examples in :obj:`readme`, with
    the columns padded as PyG's markdown formatter leaves them.
    """
    with open(readme) as f:
        lines = f.read().split('\n')
    table = [i for i, line in enumerate(lines) if line.startswith('|')]
    if len(table) < 2:
        raise ValueError(f"'{readme}' has no table of examples")
    rows = [[cell.strip() for cell in lines[i].strip('|').split('|')]
            for i in table]
    link = f'[`{name}`](./{name})'
    if any(row[0] == link for row in rows):
        return
    rows.append([link, description])
    del rows[1]  # the separator, redrawn below
    widths = [max(len(row[c]) for row in rows) for c in range(2)]

    def render(cells: List[str]) -> str:
        return '| ' + ' | '.join(
            cell.ljust(width) for cell, width in zip(cells, widths)) + ' |'

    body = [render(rows[0]), render(['-' * w for w in widths])]
    body += [render(row) for row in rows[1:]]
    lines[table[0]:table[-1] + 1] = body
    with open(readme, 'w') as f:
        f.write('\n'.join(lines))


def write_patch(pyg_root: str, force: bool = False) -> List[str]:
    r"""Writes the patch into the PyG tree :obj:`pyg_root`; returns the
    files written or edited.
    """
    if not os.path.isdir(os.path.join(pyg_root, 'torch_geometric',
                                      'contrib')):
        raise ValueError(f"'{pyg_root}' is no PyG source tree (no "
                         f"torch_geometric/contrib)")
    targets = ([dst for _, dst, _ in CODE] + TESTS +
               [name for name, _ in EXAMPLES])
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
    for example, description in EXAMPLES:
        path = os.path.join(pyg_root, example)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(os.path.join(HERE, example), path)
        written.append(example)
        readme = os.path.join(os.path.dirname(path), 'README.md')
        if os.path.exists(readme):
            add_example_row(readme, os.path.basename(example), description)
            written.append(os.path.relpath(readme, pyg_root))
    changelog = os.path.join(pyg_root, 'CHANGELOG.md')
    if os.path.exists(changelog):
        for line in reversed(CHANGELOG_LINES):
            add_changelog_line(changelog, line)
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
