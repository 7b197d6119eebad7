"""Training a graph-free student from a teacher's outputs."""
import math
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
)

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_rbm import distributed
from pyg_rbm.config import OPTIMIZER_STEPS, SELECTIONS, TIES
from pyg_rbm.datasets.validate import check_node_data
from pyg_rbm.nn.finite import all_finite
from pyg_rbm.nn.host_sync import allow_host_sync
from pyg_rbm.nn.sparse_input import gather_rows
from pyg_rbm.nn.student_protocol import check_student
from pyg_rbm.train.adam import adam
from pyg_rbm.train.data_parallel import (
    data_parallel_module,
    global_count,
    sharded_objective,
)
from pyg_rbm.train.draws import randperm
from pyg_rbm.train.evaluate import predict, prediction_metrics
from pyg_rbm.train.expert_load import ExpertLoad
from pyg_rbm.train.extras import (
    pgd_perturbation,
    representation_similarity_loss,
)
from pyg_rbm.train.loop import EpochRecord, FitResult, TrainingState, fit
from pyg_rbm.train.objective import DistillationObjective
from pyg_rbm.train.student_extras import (
    AdversarialAugmentation,
    ReliableNeighbours,
    SimilarityDistillation,
)
from pyg_rbm.train.weight_average import WeightAverage


class _ExtraState(TrainingState):
    # What a checkpoint holds beside the model and optimizer: the reliable
    # sampler's state, the learning-rate decay's and the weight average.
    def __init__(self, sampler: Any, lr_decay: Any = None,
                 average: Optional[WeightAverage] = None):
        self.sampler = sampler
        self.lr_decay = lr_decay
        self.average = average

    def state_dict(self) -> Dict[str, Any]:
        state = {}
        if self.sampler is not None and hasattr(self.sampler, 'state_dict'):
            state = self.sampler.state_dict()
        if self.lr_decay is not None:
            # Beside the sampler's keys, so that earlier checkpoints load.
            state = dict(state, lr_decay=self.lr_decay.state_dict())
        if self.average is not None:
            state = dict(state, weight_average=self.average.state_dict())
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        lr_decay = state.pop('lr_decay', None)
        if lr_decay is not None and self.lr_decay is not None:
            self.lr_decay.load_state_dict(lr_decay)
        average = state.pop('weight_average', None)
        if average is not None and self.average is not None:
            self.average.load_state_dict(average)
        if state and self.sampler is not None:
            self.sampler.load_state_dict(state)


class StudentTrainer:
    r"""Trains a student (:class:`~pyg_rbm.nn.RbM`, :class:`~pyg_rbm.nn.MoE`
    or :class:`~pyg_rbm.nn.MLPStudent`) by knowledge distillation.

    Every epoch shuffles the nodes of the training graph into mini-batches
    of :obj:`batch_size` nodes. A batch's distillation pairs :math:`(u, v)`
    are each of its nodes with itself, plus the graph edges from its nodes
    kept by an optional reliable sampler; the student runs once per node
    (its output for :math:`u` serves all pairs from :math:`u`, as in
    KRD's full-batch training), and the batch minimises

    .. math::
        \lambda \, \mathrm{CE}(f(\mathbf{x}_u), y_u)_{u = v,\, u \in
        \mathrm{train}} + (1 - \lambda) \, \mathrm{KD}(f(\mathbf{x}_u),
        \mathbf{t}_v) + \mathcal{L}_{\mathrm{aux}}

    plus the optional adversarial and representation-similarity terms.
    For a student with :meth:`init_routing` (RbM) the first
    :obj:`pretrain_epochs` epochs train expert 0 only; then the routing is
    initialised by k-means on the training graph's features, and the
    memory is updated once after each optimizer step. Epochs are selected
    on validation accuracy (or loss, see :obj:`selection`; of an average of
    the weights, see :obj:`weight_average`) from the end of pretraining on,
    with early stopping, and the best state is restored.

    With :obj:`optimizer_step="epoch"` an epoch runs as the RbM authors'
    code does instead: gradients are zeroed once, a label pass over the
    training nodes (:math:`\lambda \, \mathrm{CE}`) and a distillation
    pass over the pairs (:math:`(1 - \lambda) \, \mathrm{KD}`, pairs of
    fewer than two skipped) run in node order, in batches of
    :obj:`batch_size`, each forward adding the auxiliary loss and each
    batch followed by its adversarial pass; the per-batch losses are
    summed and the optimizer steps once.

    In a multi-process run (a default :mod:`torch.distributed` process
    group of several ranks, e.g. under :obj:`torchrun`), every process
    draws the same global batches and trains on its share of each;
    :class:`~torch.nn.parallel.DistributedDataParallel` averages the
    gradients. The objective, the auxiliary losses and RbM's memory
    statistics are those of the whole batch, so the processes follow one
    process's training (up to floating-point rounding; dropout and MoE's
    noise draw per process). Each process evaluates its share of the nodes
    and all select the same epoch; the routing's :math:`k`-means runs on
    rank 0 and is broadcast; rank 0 alone shows progress and writes
    checkpoints. This needs :obj:`optimizer_step="batch"` and neither
    adversarial augmentation nor similarity distillation, whose losses
    are not sums over nodes.

    Args:
        model (torch.nn.Module): The student, a
            :class:`~pyg_rbm.nn.Student` (:obj:`in_channels`,
            :obj:`out_channels`, :obj:`forward(x, return_aux_loss)`; wrap
            other modules in :class:`~pyg_rbm.nn.StudentAdapter`).
        objective (DistillationObjective, optional): The objective:
            :math:`\lambda`, :math:`\tau`, KD variant.
            (default: :obj:`DistillationObjective()`, KD only)
        extras (list, optional): Extras of the objective, at most one of
            each kind: :class:`~pyg_rbm.train.AdversarialAugmentation`,
            :class:`~pyg_rbm.train.ReliableNeighbours`,
            :class:`~pyg_rbm.train.SimilarityDistillation`.
            (default: :obj:`()`)
        lr (float, optional): Adam's learning rate. (default: :obj:`0.01`)
        weight_decay (float, optional): Adam's weight decay.
            (default: :obj:`5e-4`)
        epochs (int, optional): Epochs after pretraining.
            (default: :obj:`500`)
        pretrain_epochs (int, optional): RbM pretraining epochs; ignored for
            students without routing. (default: :obj:`0`)
        patience (int, optional): Early-stopping patience.
            (default: :obj:`50`)
        batch_size (int, optional): Nodes per batch, each with its
            pairs; :obj:`0` or :obj:`None` means one full batch.
            (default: :obj:`4096`)
        seed (int, optional): Seed of the batch order and k-means.
            (default: :obj:`0`)
        optimizer_step (str, optional): One optimizer step per
            :obj:`"batch"`, or per :obj:`"epoch"` over the summed losses of
            separate label and distillation passes (the authors' code).
            (default: :obj:`"batch"`)
        select_pretraining (bool, optional): If set to :obj:`True`,
            pretraining epochs may be selected and early stopping counts
            from the first epoch, as in the authors' code.
            (default: :obj:`False`)
        ties (str, optional): Keep the :obj:`"first"` or the
            :obj:`"last"` (the authors' code) of epochs tied on validation
            accuracy. (default: :obj:`"first"`)
        lr_decay_patience (int, optional): If positive, the learning rate
            is multiplied by :obj:`lr_decay_factor` whenever more than this
            many selectable epochs pass without a better validation
            accuracy (:class:`torch.optim.lr_scheduler.ReduceLROnPlateau`);
            :obj:`0` keeps it constant. (default: :obj:`0`)
        lr_decay_factor (float, optional): The factor of such a decay.
            (default: :obj:`0.5`)
        selection (str, optional): The validation score that selects an
            epoch: :obj:`"accuracy"` (or :obj:`evaluator`'s metric), or
            :obj:`"loss"`, the cross-entropy against the labels (recorded
            as :obj:`val_loss`; the learning-rate decay then follows it
            too). (default: :obj:`"accuracy"`)
        weight_average (float, optional): If positive, epochs are evaluated
            and selected on an exponential moving average of the weights
            (:class:`~pyg_rbm.train.WeightAverage`) with this decay per
            epoch, started at the first selectable epoch (again once RbM's
            routing is initialised), and the selected average is restored;
            :obj:`0` evaluates the weights as trained. (default: :obj:`0`)
        optimizer (torch.optim.Optimizer, optional): Use this optimizer
            instead of building Adam. (default: :obj:`None`)
        evaluator (callable, optional): :obj:`(y_true, y_pred) -> float`
            replacing plain accuracy (e.g. OGB's). (default: :obj:`None`)
        callbacks (list, optional): Called with each epoch's record; one
            with an :obj:`on_fit_start(trainer)` method is given the trainer
            when :meth:`fit` starts (e.g. to evaluate
            :attr:`evaluated_model` itself).
        checkpoint_path (str, optional): Save checkpoints here.
        checkpoint_every (int, optional): Epochs between checkpoints.
            (default: :obj:`1`)
        resume (bool, optional): Resume from :obj:`checkpoint_path`.
        progress (bool, optional): Show progress bars.
            (default: :obj:`True`)
    """
    def __init__(
        self,
        model: torch.nn.Module,
        objective: Optional[DistillationObjective] = None,
        extras: Sequence[Any] = (),
        lr: float = 0.01,
        weight_decay: float = 5e-4,
        epochs: int = 500,
        pretrain_epochs: int = 0,
        patience: Optional[int] = 50,
        batch_size: Optional[int] = 4096,
        seed: int = 0,
        optimizer_step: str = 'batch',
        select_pretraining: bool = False,
        ties: str = 'first',
        lr_decay_patience: int = 0,
        lr_decay_factor: float = 0.5,
        selection: str = 'accuracy',
        weight_average: float = 0.0,
        optimizer: Optional[torch.optim.Optimizer] = None,
        evaluator: Optional[Callable[[Tensor, Tensor], float]] = None,
        callbacks: Sequence[Callable[[EpochRecord], None]] = (),
        checkpoint_path: Optional[str] = None,
        checkpoint_every: int = 1,
        resume: bool = False,
        progress: bool = True,
    ):
        name = self.__class__.__name__
        check_student(model, name)
        objective = objective or DistillationObjective()
        if not isinstance(objective, DistillationObjective):
            raise ValueError(f"'objective' must be a 'DistillationObjective' "
                             f"in '{name}' (got {type(objective).__name__})")
        kinds = (AdversarialAugmentation, ReliableNeighbours,
                 SimilarityDistillation)
        by_kind: Dict[type, Any] = {}
        for extra in extras:
            if not isinstance(extra, kinds):
                raise ValueError(
                    f"'extras' may hold {', '.join(k.__name__ for k in kinds)}"
                    f" in '{name}' (got {type(extra).__name__})")
            if type(extra) in by_kind:
                raise ValueError(f"'extras' holds two "
                                 f"'{type(extra).__name__}' in '{name}'")
            by_kind[type(extra)] = extra
        if epochs < 1 or pretrain_epochs < 0:
            raise ValueError(f"'epochs' must be positive and "
                             f"'pretrain_epochs' non-negative in '{name}' "
                             f"(got {epochs}, {pretrain_epochs})")
        if optimizer_step not in OPTIMIZER_STEPS:
            raise ValueError(f"'optimizer_step' must be one of "
                             f"{OPTIMIZER_STEPS} in '{name}' "
                             f"(got {optimizer_step!r})")
        if ties not in TIES:
            raise ValueError(f"'ties' must be one of {TIES} in '{name}' "
                             f"(got {ties!r})")
        if lr_decay_patience < 0 or not 0.0 < lr_decay_factor < 1.0:
            raise ValueError(f"'lr_decay_patience' must be non-negative and "
                             f"'lr_decay_factor' in (0, 1) in '{name}' (got "
                             f"{lr_decay_patience}, {lr_decay_factor})")
        if selection not in SELECTIONS:
            raise ValueError(f"'selection' must be one of {SELECTIONS} in "
                             f"'{name}' (got {selection!r})")
        if not 0.0 <= weight_average < 1.0:
            raise ValueError(f"'weight_average' must be in [0, 1) in "
                             f"'{name}' (got {weight_average})")
        if batch_size is not None and batch_size < 0:
            raise ValueError(f"'batch_size' must be non-negative in '{name}' "
                             f"(got {batch_size})")
        adversarial = by_kind.get(AdversarialAugmentation)
        if (adversarial is not None and adversarial.fraction < 1.0
                and optimizer_step == 'epoch'):
            raise ValueError(f"'AdversarialAugmentation.fraction' < 1 needs "
                             f"'optimizer_step=\"batch\"' in '{name}'")
        self.objective = objective
        self.adversarial: Optional[AdversarialAugmentation] = adversarial
        self.reliable: Optional[ReliableNeighbours] = by_kind.get(
            ReliableNeighbours)
        self.similarity: Optional[SimilarityDistillation] = by_kind.get(
            SimilarityDistillation)
        if self.similarity is not None and not hasattr(model,
                                                       'output_layer'):
            raise ValueError(f"'SimilarityDistillation' needs a student with"
                             f" an 'output_layer' (its input is the "
                             f"representation) in '{name}'")
        self.sampler = None if self.reliable is None else self.reliable.sampler
        self.model = model
        self.routed = hasattr(model, 'init_routing')
        self.epochs = epochs
        self.pretrain_epochs = pretrain_epochs if self.routed else 0
        self.patience = patience
        self.batch_size = batch_size or None
        self.seed = seed
        self.optimizer_step = optimizer_step
        self.select_pretraining = select_pretraining
        self.ties = ties
        self.evaluator = evaluator
        self.callbacks = list(callbacks)
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.resume = resume
        self.progress = progress
        self.optimizer = optimizer or adam(model.parameters(), lr,
                                           weight_decay)
        self.selection = selection
        # The recorded metric that selects an epoch, and its better side.
        self._monitor = 'val' if selection == 'accuracy' else 'val_loss'
        self._mode = 'max' if selection == 'accuracy' else 'min'
        self.lr_decay_patience = lr_decay_patience
        self.lr_decay_factor = lr_decay_factor
        self.lr_decay = None
        if lr_decay_patience > 0:
            # Any better score counts (threshold 0), as for early stopping.
            self.lr_decay = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, mode=self._mode, factor=lr_decay_factor,
                patience=lr_decay_patience, threshold=0.0)
        self.weight_average = weight_average
        self.average = (WeightAverage(model, weight_average)
                        if weight_average > 0 else None)
        self.generator = torch.Generator().manual_seed(seed)
        self.distributed = distributed.is_distributed()
        if self.distributed:
            unsupported = [
                what for what, used in (
                    ("'optimizer_step=\"epoch\"'", optimizer_step == 'epoch'),
                    ("'AdversarialAugmentation'", adversarial is not None),
                    ("'SimilarityDistillation'", self.similarity is not None))
                if used
            ]
            if unsupported:
                raise ValueError(f"{', '.join(unsupported)} cannot train on "
                                 f"several processes in '{name}'")
        # What runs the training forward: the model, or its data-parallel
        # wrapper (built in `fit`, once the model is on its device).
        self._train_module: torch.nn.Module = model
        self._load = ExpertLoad(model)

    def _fingerprint(self, data: Data) -> Dict[str, Any]:
        # What a resumed checkpoint must match: the optimisation and the
        # data it ran on (a resumed optimizer would otherwise keep its old
        # learning rate silently).
        return dict(
            model=repr(self.model),
            optimizer=[{k: v for k, v in group.items() if k != 'params'}
                       for group in self.optimizer.param_groups],
            epochs=self.epochs,
            pretrain_epochs=self.pretrain_epochs, patience=self.patience,
            batch_size=self.batch_size, lam=self.objective.lam,
            tau=self.objective.tau, kd_variant=self.objective.kd_variant,
            seed=self.seed,
            optimizer_step=self.optimizer_step,
            data=[data.num_nodes, data.x.size(-1),
                  round(float(data.x.double().sum()), 6),
                  int(data.train_mask.sum()), int(data.val_mask.sum())],
            # Only when on, so that checkpoints written before the option
            # existed still resume:
            **(dict(lr_decay=[self.lr_decay_patience, self.lr_decay_factor])
               if self.lr_decay is not None else {}),
            **(dict(weight_average=self.weight_average)
               if self.average is not None else {}),
            **(dict(selection=self.selection)
               if self.selection != 'accuracy' else {}))

    def _check(self, data: Data) -> None:
        name = self.__class__.__name__
        logits_key = self.objective.logits_key
        logits = data.get(logits_key)
        if logits is None:
            raise ValueError(
                f"'data' has no '{logits_key}' in '{name}': "
                f"apply 'KnowledgeDistillation' with a trained teacher first")
        for key in ('x', 'y', 'train_mask', 'val_mask'):
            if data.get(key) is None:
                raise ValueError(f"'data' has no '{key}' in '{name}'")
        if logits.size(0) != data.num_nodes:
            raise ValueError(f"'{logits_key}' has {logits.size(0)} rows but "
                             f"'data' has {data.num_nodes} nodes in '{name}'")
        if data.x.size(-1) != self.model.in_channels:
            raise ValueError(f"'data.x' has {data.x.size(-1)} features but "
                             f"the student expects {self.model.in_channels} "
                             f"in '{name}'")
        if not all_finite(logits):
            raise ValueError(f"'{logits_key}' holds non-finite values in "
                             f"'{name}'")
        num_classes = logits.size(-1)
        if self.model.out_channels != num_classes:
            raise ValueError(f"The student predicts {self.model.out_channels}"
                             f" classes but the teacher {num_classes} in "
                             f"'{name}'")
        check_node_data(data, name, masks=('train_mask', 'val_mask'),
                        num_classes=num_classes)
        hidden = self.objective.hidden_key
        if self.similarity is not None and data.get(hidden) is None:
            raise ValueError(f"'SimilarityDistillation' needs '{hidden}' on "
                             f"'data' in '{name}' (KnowledgeDistillation "
                             f"with store_hidden=True)")

    def _batches(
        self, data: Data
    ) -> Iterator[Tuple[Tensor, Tensor, Tensor, Optional[Tensor]]]:
        # Yields (nodes, src, dst, counts): this process's share of a
        # shuffled batch of nodes and its distillation pairs, src as
        # positions in the share; in a multi-process run, counts holds the
        # whole batch's pairs and labelled pairs (see `sharded_objective`),
        # else None.
        device = data.x.device
        if self.objective.lam == 1.0:  # labels only: no teacher term to distil
            nodes = data.train_mask.nonzero().view(-1)
            nodes = nodes[randperm(nodes.numel(), self.generator, device)]
        else:
            nodes = randperm(data.num_nodes, self.generator, device)
        edges = None
        if self.sampler is not None and self.objective.lam < 1.0:
            edges = self.sampler.sample(self.generator)
            position = torch.full((data.num_nodes, ), -1, dtype=torch.long,
                                  device=device)
        for batch in nodes.split(self.batch_size or max(nodes.numel(), 1)):
            src = torch.arange(batch.numel(), device=device)
            if edges is not None:  # the sampled edges leaving the batch
                position[batch] = src
                pos = position[edges[0]]
                position[batch] = -1
                kept = pos >= 0
            counts = None
            if self.distributed:
                leaving = None if edges is None else edges[:, kept]
                counts = _pair_counts(data.train_mask, batch, leaving)
                start, end = distributed.shard_range(batch.numel())
                batch, src = batch[start:end], src[:end - start]
                if edges is not None:
                    kept &= (pos >= start) & (pos < end)
                    pos = pos - start
            dst = batch
            if edges is not None:
                src = torch.cat([src, pos[kept]])
                dst = torch.cat([dst, edges[1, kept]])
            yield batch, src, dst, counts

    def _hidden_hook(self, store: List[Tensor]):
        def hook(module: torch.nn.Module, inputs: Any) -> None:
            store.append(inputs[0])

        return self.model.output_layer.register_forward_pre_hook(hook)

    def _objective(self, logits: Tensor, data: Data, src: Tensor,
                   dst: Tensor, labeled: Tensor,
                   counts: Optional[Tensor] = None) -> Tensor:
        # The distillation objective of the pairs (src, dst), src indexing
        # the rows of `logits`; `counts` as `_batches` yields them.
        args = (logits[src], data[self.objective.logits_key][dst],
                data.y[dst], labeled)
        if counts is not None:
            return sharded_objective(self.objective, *args, counts)
        return self.objective(*args)

    def _batch_loss(self, x: Tensor, data: Data, nodes: Tensor, src: Tensor,
                    dst: Tensor, counts: Optional[Tensor] = None) -> Tensor:
        labeled = (nodes[src] == dst) & data.train_mask[dst]
        hidden: List[Tensor] = []
        handle = (self._hidden_hook(hidden)
                  if self.similarity is not None else None)
        xs = gather_rows(x, nodes)
        logits, aux = self._train_module(xs, return_aux_loss=True)
        if handle is not None:
            handle.remove()
        loss = self._objective(logits, data, src, dst, labeled,
                               counts) + aux
        if handle is not None:
            loss = loss + self.similarity.weight * \
                representation_similarity_loss(
                    hidden[0][src], data[self.objective.hidden_key][dst])
        if self.adversarial is not None:
            loss = loss + self._adversarial_loss(xs, data, src, dst, labeled)
        return loss

    def _adversarial_loss(self, xs: Tensor, data: Data, src: Tensor,
                          dst: Tensor, labeled: Tensor) -> Tensor:
        # The weighted objective on adversarially perturbed inputs of the
        # batch, or of a random share of its nodes (with their pairs).
        options = self.adversarial
        fraction = options.fraction
        if fraction < 1.0:
            num_rows = xs.size(0)
            size = math.ceil(fraction * num_rows)
            device = xs.device
            rows = randperm(num_rows, self.generator, device)[:size]
            rows = rows.sort().values
            position = torch.full((num_rows, ), -1, dtype=torch.long,
                                  device=device)
            position[rows] = torch.arange(size, device=device)
            pos = position[src]
            kept = pos >= 0
            xs, src, dst, labeled = xs[rows], pos[kept], dst[kept], labeled[
                kept]

        def adv_loss(inputs: Tensor) -> Tensor:
            return self._objective(self.model(inputs), data, src, dst,
                                   labeled)

        delta = pgd_perturbation(adv_loss, xs, options.epsilon,
                                 int(options.steps), options.step_size,
                                 generator=self.generator)
        return options.weight * adv_loss(xs + delta)

    def _train_epoch(self, epoch: int, data: Data) -> float:
        if self.optimizer_step == 'epoch':
            return self._train_epoch_summed(data)
        self.model.train()
        # The loss sum stays on the device until the epoch ends, so that
        # no step waits for a GPU to finish the one before.
        total = torch.zeros((), dtype=torch.float64, device=data.x.device)
        count = 0.0
        for nodes, src, dst, counts in self._batches(data):
            self.optimizer.zero_grad()
            loss = self._batch_loss(data.x, data, nodes, src, dst, counts)
            loss.backward()
            self.optimizer.step()
            if hasattr(self.model, 'update_memory'):
                self.model.update_memory()
            # Each batch's loss weighted by its pairs; in a multi-process
            # run, the processes' losses average to the batch's, so each
            # takes its share of the weight and the sums over the processes
            # are taken once an epoch.
            weight = float(src.numel() if counts is None else counts[0] /
                           distributed.world_size())
            total += loss.detach().double() * weight
            count += weight
        if self.distributed:
            total, count = global_count(torch.stack(
                [total, total.new_tensor(count)])).tolist()
        return float(total) / max(count, 1)

    def _summed_pass(self, xs: Tensor, objective: Callable[[Tensor], Tensor],
                     teacher_hidden: Optional[Tensor] = None) -> float:
        # One forward and backward of an epoch whose step comes at its
        # end; returns the pass's loss.
        hidden: List[Tensor] = []
        handle = (self._hidden_hook(hidden)
                  if teacher_hidden is not None else None)
        logits, aux = self.model(xs, return_aux_loss=True)
        if handle is not None:
            handle.remove()
        loss = objective(logits) + aux
        if handle is not None:
            loss = loss + self.similarity.weight * \
                representation_similarity_loss(hidden[0], teacher_hidden)
        loss.backward()
        total = float(loss.detach())
        if self.adversarial is not None:
            options = self.adversarial

            def adv_loss(inputs: Tensor) -> Tensor:
                logits, aux = self.model(inputs, return_aux_loss=True)
                return objective(logits) + aux

            delta = pgd_perturbation(adv_loss, xs, options.epsilon,
                                     int(options.steps), options.step_size,
                                     generator=self.generator)
            loss = options.weight * adv_loss(xs + delta)
            loss.backward()
            total += float(loss.detach())
        return total

    def _train_epoch_summed(self, data: Data) -> float:
        self.model.train()
        self.optimizer.zero_grad()
        x, y = data.x, data.y
        objective = self.objective
        teacher = data[objective.logits_key]
        hidden = (data[objective.hidden_key]
                  if self.similarity is not None else None)
        size = self.batch_size or max(data.num_nodes, 1)
        total = 0.0
        for batch in data.train_mask.nonzero().view(-1).split(size):
            total += self._summed_pass(
                gather_rows(x, batch),
                lambda logits, b=batch: objective.lam * F.cross_entropy(
                    logits, y[b]),
                None if hidden is None else hidden[batch])
        if objective.lam < 1.0:
            src = dst = torch.arange(data.num_nodes, device=x.device)
            if self.sampler is not None:
                edges = self.sampler.sample(self.generator)
                src, dst = torch.cat([edges[0], src]), torch.cat([
                    edges[1], dst
                ])
            for s, d in zip(src.split(size), dst.split(size)):
                if s.numel() < 2:
                    continue
                total += self._summed_pass(
                    gather_rows(x, s), lambda logits, d=d:
                    (1.0 - objective.lam) * objective.kd(logits, teacher[d]))
        self.optimizer.step()
        if hasattr(self.model, 'update_memory'):
            self.model.update_memory()
        return total

    @property
    def evaluated_model(self) -> torch.nn.Module:
        r"""The module epochs are evaluated and selected on: the model as
        trained, or the average of its weights (see :obj:`weight_average`).
        """
        return self.model if self.average is None else self.average.module

    def _predict(self, x: Tensor, classes: bool = False,
                 model: Optional[torch.nn.Module] = None) -> Tensor:
        # Logits (or predicted classes, less to gather) of every row of
        # `x` by `model` (default: the model as trained); each process
        # computes its share.
        out = predict(self.model if model is None else model,
                      distributed.shard(x),
                      self.batch_size)
        if classes:
            out = out.argmax(dim=-1)
        return distributed.gather_shards(out, x.size(0))

    def _evaluate(self, data: Data, held_out_x: Optional[Tensor],
                  held_out_y: Optional[Tensor]) -> Dict[str, float]:
        model = self.evaluated_model
        if self._load.model is not model:
            self._load = ExpertLoad(model)
        loss = self.selection == 'loss'
        with self._load.recording():  # the training graph's nodes
            out = self._predict(data.x, classes=not loss, model=model)
        pred = out.argmax(dim=-1) if loss else out
        masks = dict(train=data.train_mask, val=data.val_mask)
        if data.get('test_mask') is not None and data.test_mask.any():
            masks['test'] = data.test_mask
        metrics = prediction_metrics(pred, data.y, masks, self.evaluator)
        if loss:
            metrics['val_loss'] = float(F.cross_entropy(
                out[data.val_mask], data.y[data.val_mask]))
        if held_out_x is not None and held_out_y is not None:
            held = self._predict(held_out_x, classes=True, model=model)
            metrics.update(
                prediction_metrics(held, held_out_y,
                                   dict(inductive=torch.ones_like(
                                       held_out_y, dtype=torch.bool)),
                                   self.evaluator))
        return metrics

    def _observe(self) -> Dict[str, Any]:
        # Each mixture layer's first-choice shares of the evaluated nodes
        # (of every process's share of them).
        shares = self._load.shares(
            global_count if self.distributed else None)
        return {} if shares is None else dict(expert_load=shares)

    def _init_routing(self, x: Tensor) -> None:
        # k-means once, on rank 0, whose routing every process then takes.
        if distributed.is_main_process():
            with allow_host_sync():  # the faster paths of the experts
                self.model.init_routing(x, seed=self.seed)
        distributed.broadcast_module(self.model)
        if self.distributed:  # (see `has_unused_parameters`)
            self._train_module = data_parallel_module(
                self.model, self.__class__.__name__)

    def _on_epoch_start(self, epoch: int, data: Data) -> None:
        if (self.routed and epoch == self.pretrain_epochs
                and self.model.in_pretraining):
            self._init_routing(data.x)
            if self.average is not None:
                self.average.reset()  # (of the pretrained weights)
        if (self.reliable is not None
                and epoch >= self.reliable.start_epoch and epoch > 0):
            logits = self._predict(data.x)
            self.sampler.update(logits, data[self.objective.logits_key])

    def fit(self, data: Data, held_out_x: Optional[Tensor] = None,
            held_out_y: Optional[Tensor] = None) -> FitResult:
        r"""Trains on the training graph :obj:`data` and restores the best
        state.

        Args:
            data (torch_geometric.data.Data): The graph training may see,
                with :obj:`x`, :obj:`y`, the masks and the teacher's logits.
            held_out_x (torch.Tensor, optional): Features of held-out nodes
                (inductive setting), evaluated as metric :obj:`inductive`.
            held_out_y (torch.Tensor, optional): Their labels.
        """
        self._check(data)
        if held_out_x is not None and held_out_x.size(-1) != data.x.size(-1):
            raise ValueError(f"'held_out_x' has {held_out_x.size(-1)} "
                             f"features but 'data.x' {data.x.size(-1)} in "
                             f"'{self.__class__.__name__}'")
        if self.distributed:
            self._train_module = data_parallel_module(
                self.model, self.__class__.__name__)
        if (self.routed and self.pretrain_epochs == 0
                and self.model.in_pretraining):
            self._init_routing(data.x)

        def phase_of(epoch: int) -> str:
            return 'pretrain' if epoch < self.pretrain_epochs else 'route'

        selection_start = 0 if self.select_pretraining else \
            self.pretrain_epochs

        def decay_lr(record: EpochRecord) -> None:
            if record.epoch >= selection_start:
                self.lr_decay.step(record.metrics[self._monitor])

        def train_epoch(epoch: int) -> float:
            loss = self._train_epoch(epoch, data)
            if self.average is not None and epoch >= selection_start:
                self.average.update()
            return loss

        for callback in self.callbacks:
            if hasattr(callback, 'on_fit_start'):
                callback.on_fit_start(self)
        callbacks = self.callbacks  # (they see the rate the epoch ran at)
        if self.lr_decay is not None:
            callbacks = callbacks + [decay_lr]

        return fit(
            self.model, self.optimizer,
            train_epoch=train_epoch,
            evaluate=lambda: self._evaluate(data, held_out_x, held_out_y),
            epochs=self.pretrain_epochs + self.epochs,
            patience=self.patience,
            selection_start=selection_start, ties=self.ties,
            phase_of=phase_of,
            on_epoch_start=lambda epoch: self._on_epoch_start(epoch, data),
            callbacks=callbacks, generator=self.generator,
            observe=self._observe,
            extra_state=_ExtraState(self.sampler, self.lr_decay,
                                    self.average),
            selected=lambda: self.evaluated_model, monitor=self._monitor,
            mode=self._mode,
            checkpoint_path=self.checkpoint_path,
            checkpoint_every=self.checkpoint_every, resume=self.resume,
            fingerprint=(self._fingerprint(data)
                         if self.checkpoint_path is not None else None),
            progress=self.progress and distributed.is_main_process(),
            write_checkpoints=distributed.is_main_process(),
            desc=f'student ({self.model.__class__.__name__})')


def _pair_counts(train_mask: Tensor, batch: Tensor,
                 edges: Optional[Tensor]) -> Tensor:
    # The numbers of distillation pairs and of labelled pairs (v, v) of
    # training nodes of a whole batch: its nodes and the sampled `edges`
    # leaving them.
    pairs = batch.new_full((), batch.numel())
    labeled = train_mask[batch].sum()
    if edges is not None:
        pairs = pairs + edges.size(1)
        loops = edges[0] == edges[1]
        labeled = labeled + (loops & train_mask[edges[1]]).sum()
    return torch.stack([pairs, labeled])

