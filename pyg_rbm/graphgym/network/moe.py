"""GraphGym network ``moe``: the mixture-of-experts baseline."""
from pyg_rbm.graphgym.network.student import StudentNetwork
from pyg_rbm.graphgym.register import registered


@registered('network', 'moe')
class MoENetwork(StudentNetwork):
    r"""GraphGym network (``model.type: moe``) wrapping
    the mixture-of-experts baseline :class:`pyg_rbm.nn.MoE`; see
    :class:`~pyg_rbm.graphgym.network.StudentNetwork`.
    """
    student = 'moe'
