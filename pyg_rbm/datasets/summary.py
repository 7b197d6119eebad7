from typing import Any, Dict, List, Optional, Sequence

import torch
from torch_geometric.data import Data
from torch_geometric.utils import homophily

__all__ = ['dataset_summary', 'format_summary_table']


def dataset_summary(data: Data, name: Optional[str] = None) -> Dict[str, Any]:
    r"""Returns the size, split and edge homophily of a node classification
    graph as a flat dictionary (one row of :meth:`format_summary_table`).

    Edges are counted as undirected pairs; homophily is the fraction of
    edges joining nodes of the same class
    (:meth:`torch_geometric.utils.homophily`).

    Args:
        data (torch_geometric.data.Data): The graph, as returned by
            :meth:`load_dataset`.
        name (str, optional): The dataset name put first in the row.
            (default: :obj:`None`)
    """
    num_nodes = data.num_nodes
    row, col = data.edge_index
    key = torch.minimum(row, col) * num_nodes + torch.maximum(row, col)
    num_classes = getattr(data, 'num_classes', None)
    if not isinstance(num_classes, int):
        num_classes = int(data.y.max()) + 1
    out: Dict[str, Any] = {} if name is None else {'dataset': name}
    out.update(
        nodes=num_nodes,
        edges=int(torch.unique(key).numel()),
        features=data.num_features,
        classes=num_classes,
        train=int(data.train_mask.sum()),
        val=int(data.val_mask.sum()),
        test=int(data.test_mask.sum()),
        homophily=float(homophily(data.edge_index, data.y)),
    )
    return out


def format_summary_table(rows: Sequence[Dict[str, Any]]) -> str:
    r"""Formats rows of :meth:`dataset_summary` as a plain text table with
    one header line; numbers are right-aligned and floats get three
    decimals.

    Args:
        rows (List[Dict[str, Any]]): The rows; the columns are the keys of
            the first row.
    """
    if len(rows) == 0:
        return ''
    columns = list(rows[0])

    def fmt(value: Any) -> str:
        return f'{value:.3f}' if isinstance(value, float) else str(value)

    cells: List[List[str]] = [[fmt(r.get(c, '')) for c in columns]
                              for r in rows]
    numeric = [
        all(isinstance(r.get(c), (int, float)) for r in rows)
        for c in columns
    ]
    widths = [
        max([len(c)] + [len(line[i]) for line in cells])
        for i, c in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric)
        ]
        return '  '.join(parts).rstrip()

    out = [line(columns), line(['-' * w for w in widths])]
    out += [line(values) for values in cells]
    return '\n'.join(out)
