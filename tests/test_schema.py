import dataclasses
from dataclasses import dataclass

import pytest

from pyg_rbm.config import (
    DistillConfig,
    StudentConfig,
    load_config,
    merge_config,
)
from pyg_rbm.schema import check_fields, describe_range, param, schema_rows


@dataclass
class _Section:
    rate: float = param(0.5, 'a rate', ge=0, lt=1)
    count: int = param(1, 'a count', gt=0)
    mode: str = param('a', 'a mode', choices=('a', 'b'))
    free: float = param(2.0, 'anything finite')
    plain: int = 3


def test_ranges_in_words():
    fields = {f.name: f for f in dataclasses.fields(_Section)}
    assert describe_range(fields['rate']) == 'in [0, 1)'
    assert describe_range(fields['count']) == '> 0'
    assert describe_range(fields['mode']) == "one of 'a', 'b'"
    assert describe_range(fields['free']) == ''
    rows = list(schema_rows(_Section, 'x.'))
    assert rows[0] == ('x.rate', 0.5, 'in [0, 1)', 'a rate')
    assert [r[0] for r in rows] == ['x.rate', 'x.count', 'x.mode', 'x.free']


@pytest.mark.parametrize('changes,message', [
    (dict(rate=1.0), r"'x.rate' must be in \[0, 1\) \(got 1.0\)"),
    (dict(rate=-0.1), r"'x.rate' must be in \[0, 1\)"),
    (dict(count=0), r"'x.count' must be > 0 \(got 0\)"),
    (dict(mode='c'), r"'x.mode' must be one of 'a', 'b' \(got 'c'\)"),
    (dict(free=float('nan')), r"'x.free' must be finite"),
    (dict(free=float('inf')), r"'x.free' must be finite"),
])
def test_values_outside_their_declaration_fail_by_name(changes, message):
    check_fields(_Section())
    with pytest.raises(ValueError, match=message):
        check_fields(_Section(**changes), 'x.')


@pytest.mark.parametrize('overrides,message', [
    (dict(student=dict(k=9)), "'student.k' must be at most "
     r"'student.num_experts' \(4\) \(got 9\)"),
    (dict(train=dict(lam=1.5)), r"'train.lam' must be in \[0, 1\]"),
    (dict(teacher=dict(epochs=0)), r"'teacher.epochs' must be >= 1"),
    (dict(seeds=0), "'seeds' must be a non-empty list"),
    (dict(student=dict(dropout=1.0)), r"'student.dropout' must be in"),
    (dict(train=dict(tau=0.0)), r"'train.tau' must be > 0"),
    (dict(teacher=dict(name='gin')), "'teacher.name' must be one of"),
    (dict(train=dict(batch_size=-1)), "'train.batch_size' must be >= 0"),
])
def test_bad_values_fail_when_the_config_is_built(overrides, message):
    # load_config reads no data: these fail before any work.
    with pytest.raises(ValueError, match=message):
        load_config(dataset='cora', overrides=overrides)


def test_scientific_notation_and_consistent_updates(tmp_path):
    path = tmp_path / 'run.yaml'
    # YAML 1.1 reads 1e30 and 5e-4 as strings; they are numbers here.
    path.write_text('train:\n  tau: 1e30\n  weight_decay: 5e-4\n'
                    'student:\n  num_experts: 2\n  k: 2\n')
    config = load_config(str(path), dataset='cora')
    assert config.train.tau == 1e30 and config.train.weight_decay == 5e-4
    assert (config.student.num_experts, config.student.k) == (2, 2)
    with pytest.raises(ValueError, match="'train.tau' must be a number"):
        merge_config(DistillConfig(), dict(train=dict(tau='hot')))
    # k is checked against num_experts only once every update is in.
    assert StudentConfig(k=9, num_experts=4).k == 9
    mlp = load_config(dataset='cora', overrides=dict(
        student=dict(name='mlp', k=9)))
    assert mlp.student.k == 9  # no experts to route to
