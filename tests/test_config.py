import pytest

from pyg_rbm.config import DistillConfig, load_config, merge_config


@pytest.mark.parametrize('dataset,setting,pe_dim,epsilon,tau', [
    ('cora', 'transductive', 64, 0.04, 1.29),
    ('citeseer', 'transductive', 16, 0.045, 1.19),
    ('citeseer', 'inductive', 16, 0.045, 0.55),
    ('citeseer-npz', 'transductive', 16, 0.045, 1.19),
])
def test_shipped_defaults_follow_the_reference(dataset, setting, pe_dim,
                                               epsilon, tau):
    config = load_config(dataset=dataset, setting=setting)
    assert config.extras.pe_dim == pe_dim
    assert config.extras.adv_epsilon == epsilon
    assert config.train.tau == tau
    # The values apply when an extra is switched on; none is on by default.
    assert not (config.extras.positional_encoding or
                config.extras.adversarial)


def test_overrides_take_precedence_over_a_file_and_the_defaults(tmp_path):
    path = tmp_path / 'run.yaml'
    path.write_text('dataset: citeseer\nextras:\n  pe_dim: 8\n'
                    'train:\n  tau: 2.0\n')
    config = load_config(str(path), dict(train=dict(tau=3.0)))
    assert config.dataset == 'citeseer'
    assert config.extras.pe_dim == 8 and config.train.tau == 3.0
    assert config.student.hidden_channels == 512  # shipped default


def test_unknown_dataset_has_no_shipped_defaults():
    config = load_config(dataset='actor')
    assert config.train.tau == DistillConfig().train.tau


def test_adv_fraction_is_checked_before_any_work():
    config = merge_config(DistillConfig(),
                          dict(extras=dict(adv_fraction=0.125)))
    assert config.extras.adv_fraction == 0.125
    for bad in (0, 1.5, -0.5):
        with pytest.raises(ValueError, match="'extras.adv_fraction'"):
            merge_config(DistillConfig(), dict(extras=dict(adv_fraction=bad)))
