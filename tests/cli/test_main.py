import re
import subprocess
import sys

import pytest

import pyg_rbm
from pyg_rbm.cli.distill import format_scores
from pyg_rbm.cli.main import main


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(['--version'])
    assert info.value.code == 0
    assert capsys.readouterr().out == f'pyg-rbm {pyg_rbm.__version__}\n'


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run([sys.executable, '-m', 'pyg_rbm', '--version'],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f'pyg-rbm {pyg_rbm.__version__}'


def test_bench_outside_the_repository_says_what_it_needs(tmp_path):
    with pytest.raises(SystemExit, match='repository'):
        main(['bench', '--dir', str(tmp_path), 'latency'])


def test_scores_print_as_percentages_in_a_fixed_order():
    scores = dict(best_test_over_epochs=0.8125, test=0.8, val=0.79125,
                  other=0.5)
    assert format_scores(scores) == ('val 79.12%, test 80.00%, best test '
                                     'over epochs* 81.25%, other 50.00%')


@pytest.mark.parametrize('argv,message', [
    (['--set', 'student.k=9'], "'student.k' must be at most"),
    (['--dataset', 'coraa'], 'The dataset must be one of'),
    (['--seeds', '0'], "'seeds' must be a non-empty list"),
    (['--set', 'train.lam=1.5'], r"'train.lam' must be in \[0, 1\]"),
])
def test_user_errors_are_one_line_and_exit_2(argv, message, tmp_path,
                                             capsys):
    with pytest.raises(SystemExit) as info:
        main(['distill', '--root', str(tmp_path), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('pyg-rbm distill: error: ')
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_missing_data_is_a_user_error(tmp_path, capsys):
    # A data root that cannot exist (under a file): no download can find
    # the dataset there either, wherever the network is reachable.
    (tmp_path / 'file').write_text('')
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'actor', '--root',
              str(tmp_path / 'file' / 'root')])
    assert info.value.code == 2
    assert "Dataset 'Actor' not found" in capsys.readouterr().err
