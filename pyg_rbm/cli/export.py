"""``pyg-rbm export``: a saved student for other runtimes."""
import argparse
import os

from pyg_rbm.cli.predict import add_student_arguments
from pyg_rbm.export import EXTENSIONS, FORMATS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('export', help='export a saved student',
                       description='Writes the student that `pyg-rbm '
                       'distill` saved (with its feature preprocessing: raw '
                       'node features in, logits out) as ONNX, a '
                       'torch.export program or TorchScript, with a dynamic '
                       'batch dimension.')
    add_student_arguments(p)
    p.add_argument('--format', default='onnx', choices=FORMATS,
                   help='default: onnx (needs the onnx and onnxscript '
                   'packages)')
    p.add_argument('--out', default=None, metavar='FILE',
                   help='default: beside the student, students/<seed>'
                   '.onnx|.pt2|.ts')


def run(args: argparse.Namespace) -> int:
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.cli.predict import _student_file
    from pyg_rbm.export import export_student
    from pyg_rbm.saved_student import load_student
    source = _student_file(args)
    out = args.out or os.path.splitext(source)[0] + EXTENSIONS[args.format]
    if os.path.exists(out):
        raise UsageError(f"'--out': '{out}' exists; remove it or choose "
                         f"another file")
    try:
        student = load_student(source)
        export_student(student, out, args.format)
    except (ValueError, ImportError) as error:
        raise UsageError(error) from error
    graph = student.graph_channels
    inputs = (f'x [batch, {student.kwargs["in_channels"] - graph}] raw '
              f'features')
    if graph:
        inputs += (f' and graph_x [batch, {graph}] '
                   f'{" and ".join(student.graph_features)} columns')
    print(f'Wrote {out} ({args.format}: {student.name}, input {inputs}, '
          f'output [batch, {student.num_classes}] logits)')
    return 0
