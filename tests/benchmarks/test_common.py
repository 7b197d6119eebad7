import argparse
import os.path as osp
import sys

import pytest
import torch

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

from _common import (  # noqa: E402
    add_device_argument,
    machine_info,
    median_times,
    parse_device,
)


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


def test_median_times_waits_for_the_device(monkeypatch):
    # A CUDA device runs the work after the call returns: each timed call
    # is bracketed by waits for it (no GPU needed to see the order).
    events = []
    monkeypatch.setattr(torch.cuda, 'synchronize',
                        lambda device: events.append(('sync', str(device))))
    fns = dict(a=lambda i: events.append(('a', i)))
    median_times(fns, repeats=2, warmup=1, rounds=1,
                 device=torch.device('cuda:0'))
    assert events == [('a', 0), ('a', 0), ('sync', 'cuda:0'), ('a', 1),
                      ('sync', 'cuda:0'), ('sync', 'cuda:0'), ('a', 2),
                      ('sync', 'cuda:0')]
    events.clear()
    median_times(fns, repeats=2, warmup=0, rounds=1)  # (the CPU's default)
    assert events == [('a', 0), ('a', 1)]


def test_device_option(capsys):
    parser = argparse.ArgumentParser(prog='bench')
    add_device_argument(parser)
    args = parser.parse_args([])
    assert args.device == 'auto'
    device = parse_device(parser, args.device)
    assert device.type == ('cuda' if torch.cuda.is_available() else 'cpu')
    assert parse_device(parser, 'cpu') == torch.device('cpu')
    bad = ['gpu'] + ([] if torch.cuda.is_available() else ['cuda'])
    for name in bad:
        with pytest.raises(SystemExit) as exit_info:
            parse_device(parser, name)
        assert exit_info.value.code == 2
        assert "'--device'" in capsys.readouterr().err
    info = machine_info(torch.device('cpu'))
    assert info['device'] == 'cpu' and 'gpu' not in info
    assert 'device' not in machine_info()
