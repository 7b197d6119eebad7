import os.path as osp
import sys

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

from _common import median_times  # noqa: E402


def test_median_times_alternates_blocks_of_calls():
    calls = []
    fns = {name: (lambda i, name=name: calls.append((name, i)))
           for name in ('a', 'b')}
    times = median_times(fns, repeats=5, warmup=2, rounds=2)
    # Warm-up calls first, then blocks of ceil(5 / 2) = 3 timed calls in
    # turn, each after an untimed call on a warm-up input (0, then 1);
    # the timed calls see the indices 2 to 6 once, in order.
    assert calls == [('a', 0), ('a', 1), ('b', 0), ('b', 1),
                     ('a', 0), ('a', 2), ('a', 3), ('a', 4),
                     ('b', 0), ('b', 2), ('b', 3), ('b', 4),
                     ('a', 1), ('a', 5), ('a', 6),
                     ('b', 1), ('b', 5), ('b', 6)]
    assert sorted(times) == ['a', 'b']
    for t in times.values():
        assert t['repeats'] == 5
        assert 0 <= t['min'] <= t['median']
        assert t['min'] <= t['mean']


def test_median_times_one_call_per_round():
    calls = []
    fns = {name: (lambda i, name=name: calls.append(name))
           for name in ('a', 'b')}
    median_times(fns, repeats=3, warmup=0, rounds=3)
    assert calls == ['a', 'b'] * 3


def test_median_times_needs_a_repeat():
    with pytest.raises(ValueError, match="'repeats' must be positive"):
        median_times(dict(a=lambda i: None), repeats=0)
