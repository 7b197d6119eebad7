"""GraphGym network ``mlp``: the MLP student."""
from pyg_rbm.graphgym.network.student import StudentNetwork
from pyg_rbm.graphgym.register import registered


@registered('network', 'mlp')
class MLPNetwork(StudentNetwork):
    r"""GraphGym network (``model.type: mlp``) wrapping
    the MLP student :class:`pyg_rbm.nn.MLPStudent`; see
    :class:`~pyg_rbm.graphgym.network.StudentNetwork`.
    """
    student = 'mlp'
