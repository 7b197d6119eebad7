import json
import subprocess
import sys

import pytest

from pyg_rbm.config import load_config
from pyg_rbm.train.pipeline import run_seed

# A main script as GraphGym projects write them (GraphGPS's main.py, in
# short): GraphGym's own builders, then train_dict[cfg.train.mode].
MAIN = '''
import torch
from torch_geometric import seed_everything
from torch_geometric.graphgym.cmd_args import parse_args
from torch_geometric.graphgym.config import (cfg, dump_cfg, load_cfg,
                                             set_cfg, set_out_dir,
                                             set_run_dir)
from torch_geometric.graphgym.loader import create_loader
from torch_geometric.graphgym.logger import create_logger, set_printing
from torch_geometric.graphgym.model_builder import create_model
from torch_geometric.graphgym.optim import (create_optimizer,
                                            create_scheduler)
from torch_geometric.graphgym.register import train_dict
from torch_geometric.graphgym.utils.agg_runs import agg_runs
from torch_geometric.graphgym.utils.device import auto_select_device

from pyg_rbm.graphgym import agg_test_splits  # registers the entries

if __name__ == '__main__':
    torch.set_num_threads(1)
    args = parse_args()
    set_cfg(cfg)
    load_cfg(cfg, args)
    set_out_dir(cfg.out_dir, args.cfg_file)
    dump_cfg(cfg)
    first = cfg.seed
    for i in range(args.repeat):
        cfg.seed = first + i
        set_run_dir(cfg.out_dir)
        set_printing()
        seed_everything(cfg.seed)
        auto_select_device()
        loaders = create_loader()
        loggers = create_logger()
        model = create_model()
        optimizer = create_optimizer(model.parameters(), cfg.optim)
        scheduler = create_scheduler(optimizer, cfg.optim)
        train_dict[cfg.train.mode](loggers, loaders, model, optimizer,
                                   scheduler)
    agg_runs(cfg.out_dir, cfg.metric_best)
    agg_test_splits(cfg.out_dir, cfg.metric_best)
'''


def _run(tmp_path, cfg_file, opts):
    script = tmp_path / 'main.py'
    script.write_text(MAIN)
    subprocess.run([sys.executable, str(script), '--cfg', cfg_file, *opts],
                   check=True, cwd=tmp_path, capture_output=True, text=True)


@pytest.mark.parametrize('name', ['cora-mlp-transductive.yaml',
                                  'cora-rbm-inductive.yaml'])
def test_a_graphgym_main_script_runs_the_pipeline(name, data_root, gg_config,
                                                  fast, tmp_path):
    out = tmp_path / 'results'
    _run(tmp_path, gg_config(name),
         ['dataset.dir', data_root, 'out_dir', str(out), *fast])
    run = out / name[:-len('.yaml')]
    with open(run / '0' / 'seed_result.json') as f:
        result = json.load(f)
    student, setting = name.split('-')[1:3]
    setting = setting[:-len('.yaml')]

    # The core, with the same hyperparameters and seed, scores the same.
    config = load_config(
        dataset='cora', setting=setting, overrides=dict(
            root=data_root, student=dict(name=student, hidden_channels=64),
            teacher=dict(epochs=20, hidden_channels=64),
            train=dict(epochs=10, pretrain_epochs=2)))
    reference = run_seed(config, 0, progress=False)
    assert result['student'] == reference.student
    assert result['teacher'] == reference.teacher

    # GraphGym's aggregation holds the setting's test nodes.
    with open(run / 'agg' / 'test' / 'best.json') as f:
        best = json.loads(f.readline())
    headline = 'test' if setting == 'transductive' else 'inductive'
    assert best['accuracy'] == round(reference.student[headline], 4)
    # GraphGym's checkpoint of the selected student.
    assert len(list((run / '0' / 'ckpt').iterdir())) == 1
