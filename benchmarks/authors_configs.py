"""Writes pyg_rbm/configs/authors/*.yaml from the RbM authors' parameters.

The RbM authors' code (github.com/Rufaim/routing-by-memory) keeps every
hyperparameter in one `parameters.yaml`, by dataset, setting, teacher and
student. This script reads it from a checkout the user provides and writes
the same numbers under this project's config keys, one file per dataset,
for `--protocol authors`. Nothing of their code or text is copied.

    python benchmarks/authors_configs.py --authors-repo /tmp/routing-by-memory
"""
import argparse
import os
import subprocess
from typing import Any, Dict

import yaml

OUT = os.path.join(os.path.dirname(__file__), '..', 'pyg_rbm', 'configs',
                   'authors')

# Their dataset names -> the project's canonical names.
DATASETS = {
    'cora': 'cora',
    'citeseer': 'citeseer',
    'pubmed': 'pubmed',
    'amazon-com': 'amazon-computers',
    'amazon-photo': 'amazon-photo',
    'academic-cs': 'coauthor-cs',
    'academic-physics': 'coauthor-physics',
    'ogbn-arxiv': 'ogbn-arxiv',
    'ogbn-products': 'ogbn-products',
}
# What their data loader does to each source (dataloader.py): DGL's
# Planetoid datasets are row-normalised, and they add self loops to
# Planetoid and OGB graphs but not to the CPF npz ones.
PLANETOID = {'cora', 'citeseer', 'pubmed'}
OGB = {'ogbn-arxiv', 'ogbn-products'}
# Their GraphSAGE is DGL's SAGEConv with the 'gcn' aggregator.
TEACHERS = {'sage': 'sage-gcn', 'gcn': 'gcn'}
NORMS = {'none': None, 'batch': 'batch_norm', 'layer': 'layer_norm'}

# (their section, their key) -> (our section, our key)
KEYS = {
    ('teacher', 'num_layers'): ('teacher', 'num_layers'),
    ('teacher', 'hidden_dim'): ('teacher', 'hidden_channels'),
    ('teacher', 'dropout'): ('teacher', 'dropout'),
    ('teacher', 'norm_type'): ('teacher', 'norm'),
    ('optimizer.teacher', 'learning_rate'): ('teacher', 'lr'),
    ('optimizer.teacher', 'weight_decay'): ('teacher', 'weight_decay'),
    ('optimizer.teacher', 'max_epoch'): ('teacher', 'epochs'),
    ('student', 'num_layers'): ('student', 'num_layers'),
    ('student', 'hidden_dim'): ('student', 'hidden_channels'),
    ('student', 'dropout'): ('student', 'dropout'),
    ('student', 'norm_type'): ('student', 'norm'),
    ('student', 'num_experts'): ('student', 'num_experts'),
    ('student', 'k'): ('student', 'k'),
    ('student', 'momentum'): ('student', 'momentum'),
    ('student', 'vq_coeff'): ('student', 'commitment_weight'),
    ('student', 'sim_coeff'): ('student', 'similarity_weight'),
    ('student', 'load_balance_coef'): ('student', 'load_balance_weight'),
    ('student', 'input_attention'): ('student', 'input_attention'),
    ('optimizer.student', 'learning_rate'): ('train', 'lr'),
    ('optimizer.student', 'weight_decay'): ('train', 'weight_decay'),
    ('optimizer.student', 'max_epoch'): ('train', 'epochs'),
    ('optimizer.student', 'pretrain_epoch'): ('train', 'pretrain_epochs'),
    ('loss', 'lambda'): ('train', 'lam'),
    ('loss', 'tau'): ('train', 'tau'),
    ('loss', 'adv_eps'): ('extras', 'adv_epsilon'),
    ('loss', 'adv_iters'): ('extras', 'adv_steps'),
    ('loss', 'adv_weigth'): ('extras', 'adv_weight'),
    ('loss', 'feat_distill_weight'): ('extras', 'rsd_weight'),
    ('reliable_sampling', 'min_update_epoch'): ('extras', 'rs_start_epoch'),
    ('reliable_sampling', 'momentum'): ('extras', 'rs_momentum'),
    ('reliable_sampling', 'bins_num'): ('extras', 'rs_bins'),
    ('positional_encoding', 'walk_length'): ('extras', 'pe_walk_length'),
    ('positional_encoding', 'num_walks'): ('extras', 'pe_walks_per_node'),
    ('positional_encoding', 'window_size'): ('extras', 'pe_window'),
    ('positional_encoding', 'emb_size'): ('extras', 'pe_dim'),
}
# Their keys without a counterpart here (reliable sampling's fixed update
# rate and initial exponent, word2vec's epochs over the walks).
UNMAPPED = {('reliable_sampling', 'update_rate'),
            ('reliable_sampling', 'init_power'),
            ('positional_encoding', 'iter')}
INTEGERS = {'num_layers', 'hidden_channels', 'num_experts', 'k', 'epochs',
            'pretrain_epochs', 'adv_steps', 'rs_start_epoch', 'rs_bins',
            'pe_walk_length', 'pe_walks_per_node', 'pe_window', 'pe_dim'}


def _value(key: str, value: Any) -> Any:
    if key == 'norm':
        return NORMS[value]
    if isinstance(value, bool):
        return value
    # Their YAML writes some small numbers as '1e-7', which YAML 1.1 reads
    # as strings; their code means numbers.
    value = float(value)
    return int(value) if key in INTEGERS else value


def convert_block(block: Dict[str, Any], teacher: str) -> Dict[str, Any]:
    """One (dataset, setting, teacher, student) block in the project's
    config keys."""
    out: Dict[str, Dict[str, Any]] = {'teacher': {'name': TEACHERS[teacher]}}
    flat = {}
    for section, values in block.items():
        if section == 'optimizer':
            for who, inner in values.items():
                flat.update({(f'optimizer.{who}', k): v
                             for k, v in inner.items()})
        else:
            flat.update({(section, k): v for k, v in values.items()})
    for key, value in flat.items():
        if key in UNMAPPED:
            continue
        if key not in KEYS:
            raise ValueError(f'no mapping for {key}')
        section, name = KEYS[key]
        out.setdefault(section, {})[name] = _value(name, value)
    order = ('teacher', 'student', 'train', 'extras')
    return {section: dict(sorted(out[section].items()))
            for section in order if section in out}


def convert(parameters: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    files = {}
    for theirs, ours in DATASETS.items():
        per_setting = {}
        for setting, teachers in parameters[theirs].items():
            per_setting[setting] = {
                teacher: {
                    student: convert_block(block, teacher)
                    for student, block in students.items()
                }
                for teacher, students in teachers.items()
            }
        data = dict(normalize_features=ours in PLANETOID,
                    self_loops=ours in PLANETOID | OGB)
        files[ours] = dict(data=data, **per_setting)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--authors-repo', required=True,
                        help="a checkout of the RbM authors' code")
    parser.add_argument('--commit', default=None,
                        help='their commit, when the checkout is no git '
                        'work tree')
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    path = os.path.join(args.authors_repo, 'parameters.yaml')
    with open(path) as f:
        parameters = yaml.safe_load(f)
    commit = args.commit
    if commit is None:
        try:
            commit = subprocess.run(
                ['git', '-C', args.authors_repo, 'rev-parse', 'HEAD'],
                capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = 'unknown'
    os.makedirs(args.out, exist_ok=True)
    for name, values in convert(parameters).items():
        target = os.path.join(args.out, f'{name}.yaml')
        with open(target, 'w') as f:
            f.write(f'# The RbM authors\' hyperparameters for {name} '
                    f'(parameters.yaml of\n# github.com/Rufaim/'
                    f'routing-by-memory, commit {commit[:7]}), in this\n'
                    f'# project\'s keys: data, then setting -> teacher '
                    f'(their name) -> student.\n# Generated by '
                    f'benchmarks/authors_configs.py; do not edit.\n')
            yaml.safe_dump(values, f, sort_keys=False,
                           default_flow_style=False)
        print(f'Wrote {target}')


if __name__ == '__main__':
    main()
