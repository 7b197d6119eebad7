"""GraphGym network ``rbm``: the Routing-by-Memory student."""
from pyg_rbm.graphgym.network.student import StudentNetwork
from pyg_rbm.graphgym.register import registered


@registered('network', 'rbm')
class RbMNetwork(StudentNetwork):
    r"""GraphGym network (``model.type: rbm``) wrapping
    the Routing-by-Memory student :class:`pyg_rbm.nn.RbM`; see
    :class:`~pyg_rbm.graphgym.network.StudentNetwork`.
    """
    student = 'rbm'
