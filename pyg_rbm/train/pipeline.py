"""One seed of the whole pipeline: teacher, transform, student, scores."""
import copy
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch_geometric import seed_everything
from torch_geometric.data import Data

from pyg_rbm import distributed
from pyg_rbm.config import DistillConfig
from pyg_rbm.device import resolve_device
from pyg_rbm.train.evaluate import (
    accuracy_metrics,
    ogb_metric,
    predict,
    time_inference,
)
from pyg_rbm.train.loop import EpochRecord
from pyg_rbm.train.objective import DistillationObjective
from pyg_rbm.train.student import StudentTrainer
from pyg_rbm.train.student_extras import (
    AdversarialAugmentation,
    ReliableNeighbours,
    SimilarityDistillation,
)
from pyg_rbm.train.teacher import train_teacher


@dataclass
class SeedResult:
    """Scores of one seed; metric dicts hold accuracies in [0, 1]."""
    seed: int
    setting: str
    teacher: Dict[str, float]
    student: Dict[str, float]
    mlp: Optional[Dict[str, float]] = None
    timings: Dict[str, float] = field(default_factory=dict)
    student_epochs: int = 0
    # Per model ('teacher', 'student', 'mlp'), the record of every epoch
    # run (not part of `to_dict`: see pyg_rbm.experiment.history).
    history: Dict[str, List[EpochRecord]] = field(default_factory=dict,
                                                  compare=False)

    def to_dict(self) -> Dict[str, Any]:
        return dict(seed=self.seed, setting=self.setting,
                    teacher=self.teacher, student=self.student,
                    mlp=self.mlp, timings=self.timings,
                    student_epochs=self.student_epochs)

    @classmethod
    def from_record(cls, record: Dict[str, Any]) -> 'SeedResult':
        r"""A seed's result from its stored record (:meth:`to_dict`, and
        the environment it ran in, which is left out).
        """
        return cls(**{k: v for k, v in record.items() if k != 'environment'})

    def __str__(self) -> str:
        def percent(scores: Dict[str, float]) -> str:
            return ', '.join(f'{key.replace("_", " ")} {100 * value:.2f}%'
                             for key, value in scores.items())

        parts = [f'teacher {percent(self.teacher)}',
                 f'student {percent(self.student)}']
        if self.mlp is not None:
            parts.append(f'MLP without teacher {percent(self.mlp)}')
        return f'seed {self.seed} ({self.setting}): ' + '; '.join(parts)


def headline(metrics: Dict[str, float], setting: str) -> float:
    r"""The test accuracy of a setting: test nodes of the training graph
    (transductive), held-out nodes (inductive), or
    :math:`0.8 \\cdot` transductive :math:`+ 0.2 \\cdot` inductive
    (production).
    """
    from pyg_rbm.datasets.settings import production_score
    if setting == 'transductive':
        return metrics['test']
    if setting == 'inductive':
        return metrics['inductive']
    return production_score(metrics['test'], metrics['inductive'])


def best_over_epochs(history: Sequence[EpochRecord],
                     setting: str) -> Optional[float]:
    r"""The highest headline test accuracy of any epoch in
    :obj:`history`: model selection on the test set, as the RbM authors'
    script reports it. For comparison only, never as a result.
    :obj:`None` when no epoch was scored on the test nodes (e.g. a teacher
    trained on the labelled nodes' neighbourhood only).
    """
    needed = dict(transductive=('test', ), inductive=('inductive', ),
                  production=('test', 'inductive'))[setting]
    scores = [
        headline(record.metrics, setting) for record in history
        if all(key in record.metrics for key in needed)
    ]
    return max(scores) if scores else None


def _with_best_over_epochs(scores: Dict[str, float],
                           history: Sequence[EpochRecord],
                           setting: str) -> Dict[str, float]:
    best = best_over_epochs(history, setting)
    if best is not None:
        scores['best_test_over_epochs'] = best
    return scores


def _mean_row_norm(x: Tensor) -> Tensor:
    return torch.linalg.vector_norm(x, dim=-1).mean()


def build_features(split: Any, config: DistillConfig,
                   seed: int) -> Tuple[Tensor, Tensor]:
    """Student inputs of the training graph and of the full graph.

    Positional encodings come from the training graph only (unseen nodes
    take the mean of their observed neighbours'); label propagation uses
    training labels only.
    """
    from pyg_rbm.train.extras import (
        deepwalk_embeddings,
        extend_to_unseen,
        label_propagation_features,
    )
    extras = config.extras
    observed, full = split.observed, split.full
    obs_parts, full_parts = [observed.x], [full.x]
    if extras.positional_encoding:
        pe = deepwalk_embeddings(observed.edge_index, observed.num_nodes,
                                 embedding_dim=extras.pe_dim,
                                 walk_length=extras.pe_walk_length,
                                 walks_per_node=extras.pe_walks_per_node,
                                 window_size=extras.pe_window, seed=seed)
        if extras.pe_scale > 0:
            pe = pe * (extras.pe_scale * _mean_row_norm(observed.x) /
                       _mean_row_norm(pe).clamp(min=1e-12))
        obs_parts.append(pe)
        full_parts.append(
            extend_to_unseen(pe, split.node_ids, full.edge_index,
                             full.num_nodes))
    if extras.label_propagation:
        num_classes = int(full.num_classes)
        for graph, parts in ((observed, obs_parts), (full, full_parts)):
            parts.append(
                label_propagation_features(graph.edge_index, graph.y,
                                           graph.train_mask, graph.num_nodes,
                                           num_classes,
                                           num_layers=extras.lp_layers,
                                           alpha=extras.lp_alpha))
    return torch.cat(obs_parts, dim=-1), torch.cat(full_parts, dim=-1)


def student_kwargs(config: DistillConfig) -> Dict[str, Any]:
    """Keyword arguments of :func:`~pyg_rbm.nn.build_student` for the
    config's student.
    """
    s = config.student
    kwargs = dict(hidden_channels=s.hidden_channels, num_layers=s.num_layers,
                  dropout=s.dropout, norm=s.norm)
    if s.name == 'rbm':
        kwargs.update(num_experts=s.num_experts, k=s.k, momentum=s.momentum,
                      commitment_weight=s.commitment_weight,
                      similarity_weight=s.similarity_weight,
                      load_balance_weight=s.load_balance_weight,
                      input_attention=s.input_attention,
                      memory_update=s.memory_update,
                      scaled_pretraining=s.scaled_pretraining)
    elif s.name == 'moe':
        kwargs.update(num_experts=s.num_experts, k=s.k, noise_std=s.noise_std,
                      load_balance_weight=s.load_balance_weight)
    return kwargs


def _trainer(model: torch.nn.Module, config: DistillConfig, seed: int,
             lam: Optional[float] = None, extras: Sequence[Any] = (),
             **kwargs: Any) -> StudentTrainer:
    t = config.train
    objective = DistillationObjective(lam=t.lam if lam is None else lam,
                                      tau=t.tau, kd_variant=t.kd_variant,
                                      tau_squared=t.tau_squared)
    return StudentTrainer(model, objective, extras, lr=t.lr,
                          weight_decay=t.weight_decay, epochs=t.epochs,
                          pretrain_epochs=t.pretrain_epochs,
                          patience=t.patience, batch_size=t.batch_size,
                          optimizer_step=t.optimizer_step,
                          select_pretraining=t.select_pretraining,
                          ties=t.ties, lr_decay_patience=t.lr_decay_patience,
                          lr_decay_factor=t.lr_decay_factor,
                          selection=t.selection,
                          weight_average=t.weight_average, seed=seed,
                          **kwargs)


# Student epochs between checkpoints (a student of Cora with its Adam state
# takes tens of MB; a resumed run repeats at most this many epochs).
CHECKPOINT_EVERY = 10


def _checkpointing(folder: Optional[str],
                   without_teacher: bool) -> Dict[str, Any]:
    if folder is None:
        return {}
    import os
    if distributed.is_main_process():
        os.makedirs(folder, exist_ok=True)
    name = 'mlp-no-teacher.pt' if without_teacher else 'student.pt'
    return dict(checkpoint_path=os.path.join(folder, name),
                checkpoint_every=CHECKPOINT_EVERY, resume=True)


def split_to(split: Any, device: torch.device) -> Any:
    r"""The :class:`~pyg_rbm.datasets.SettingSplit` :obj:`split` with
    every tensor on :obj:`device` (itself when they are there already).
    """
    if split.full.x.device == device:
        return split
    full = split.full.to(device)
    observed = (full if split.observed is split.full else
                split.observed.to(device))
    return replace(split, full=full, observed=observed,
                   node_ids=split.node_ids.to(device),
                   held_out=split.held_out.to(device))


def _prepared_split(config: DistillConfig, seed: int, data: Optional[Data],
                    split: Optional[Any],
                    caller: str) -> Tuple[Any, torch.device]:
    # The setting's split of the loaded (when `data` is None) and
    # preprocessed dataset, on the run's device; `split` when given.
    from pyg_rbm.datasets import preprocess_graph
    from pyg_rbm.datasets.settings import split_setting
    from pyg_rbm.datasets.validate import check_node_data

    config.check()
    seed_everything(seed)
    if split is None:
        if data is None:
            data = config.load_dataset(seed)
        data = preprocess_graph(data, config.data.normalize_features,
                                config.data.self_loops)
        check_node_data(data, caller)
        split = split_setting(data, config.setting, seed=seed)
    # Split on the CPU (the same split everywhere), then moved.
    device = resolve_device(config.device)
    return split_to(split, device), device


@dataclass
class TeacherRun:
    """A trained teacher (or its precomputed logits of every node of the
    full graph) with its split and scores, reusable by students.
    """
    config: DistillConfig
    seed: int
    split: Any
    teacher: Optional[torch.nn.Module]
    scores: Dict[str, float]
    evaluator: Optional[Callable[[Tensor, Tensor], float]] = None
    logits: Optional[Tensor] = None
    # The teacher's epochs (empty when it came from a cache or logits).
    history: List[EpochRecord] = field(default_factory=list)


def check_teacher_logits(logits: Tensor, num_nodes: int, num_classes: int,
                         config: DistillConfig,
                         name: str = 'logits') -> None:
    r"""Raises a :class:`ValueError` naming :obj:`name` unless
    :obj:`logits` are finite floats of shape :obj:`[num_nodes,
    num_classes]` and no extra of :obj:`config` needs the teacher model.
    """
    from pyg_rbm.nn.finite import all_finite
    shape = [num_nodes, num_classes]
    if (not isinstance(logits, Tensor) or list(logits.shape) != shape
            or not logits.is_floating_point()):
        got = (f'{list(logits.shape)} {logits.dtype}'
               if isinstance(logits, Tensor) else type(logits).__name__)
        raise ValueError(f"'{name}' must have shape {shape} (the nodes and "
                         f"classes of {config.dataset}) and a float dtype "
                         f"(got {got})")
    if not all_finite(logits):
        raise ValueError(f"'{name}' must be finite")
    for extra in ('reliable_sampling', 'similarity'):
        if getattr(config.extras, extra):
            raise ValueError(f"'extras.{extra}' needs the teacher model, "
                             f"not only its logits ('{name}')")


def logits_of_teacher(teacher: Any, config: DistillConfig, seed: int,
                      data: Optional[Data] = None) -> Tensor:
    r"""The logits of every node that a teacher trained elsewhere gives on
    :obj:`data` as it is (the dataset of :obj:`config`, loaded without the
    pipeline's preprocessing, when :obj:`None`): the inputs it was
    trained on. :obj:`teacher` is called as
    :class:`~pyg_rbm.transforms.KnowledgeDistillation` calls it.
    """
    from pyg_rbm.transforms import KnowledgeDistillation
    if data is None:
        data = config.load_dataset(seed)
    return KnowledgeDistillation(teacher)(copy.copy(data)).teacher_logits


def graph_for_students(data: Data) -> Data:
    r"""A shallow copy of :obj:`data` without what only a teacher reads
    (:obj:`adj_t`, :obj:`edge_weight`, :obj:`edge_attr`), with
    :obj:`edge_index` taken from :obj:`adj_t` when it has none: the graph
    the pipeline splits and builds the students' inputs from.
    """
    from torch_geometric.utils import to_edge_index
    out = copy.copy(data)
    if out.get('edge_index') is None and out.get('adj_t') is not None:
        # adj_t holds (dst, src): transpose back to (src, dst).
        out.edge_index = to_edge_index(out.adj_t)[0].flip(0)
    for key in ('adj_t', 'edge_weight', 'edge_attr'):
        if key in out:
            del out[key]
    return out


def teacher_from_logits(config: DistillConfig, seed: int, logits: Tensor,
                        data: Optional[Data] = None,
                        split: Optional[Any] = None) -> TeacherRun:
    r"""A :class:`TeacherRun` whose teacher is given as :obj:`logits`
    :obj:`[num_nodes, num_classes]` of every node of the dataset, computed
    elsewhere (*e.g.*, by a GNN too large for this machine; a
    memory-mapped file serves). No teacher is trained; its scores are those
    of the logits on the split's validation, test and held-out nodes.

    The students learn from the logits of the nodes training may see. In
    the inductive and production settings the logits must come from a
    teacher that never saw the held-out nodes, or the held-out scores of the
    students are not inductive.

    Args:
        config (DistillConfig): The run's hyperparameters.
        seed (int): The seed (split, students).
        logits (torch.Tensor): The teacher's logits.
        data (torch_geometric.data.Data, optional): The dataset; loaded when
            :obj:`None`.
        split (SettingSplit, optional): The setting's split of the
            preprocessed data.
    """
    from pyg_rbm.datasets.registry import dataset_info

    split, device = _prepared_split(config, seed, data, split,
                                    'teacher_from_logits')
    full = split.full
    check_teacher_logits(logits, full.num_nodes, int(full.num_classes),
                         config)
    logits = logits.to(device=device, dtype=torch.float)
    metric = dataset_info(config.dataset).evaluator
    evaluator = ogb_metric(metric) if metric is not None else None
    observed = split.observed
    masks = {key: observed[f'{key}_mask'] for key in ('val', 'test')
             if observed.get(f'{key}_mask') is not None
             and bool(observed[f'{key}_mask'].any())}
    scores = accuracy_metrics(logits[split.node_ids], observed.y, masks,
                              evaluator)
    if split.held_out.numel():
        held = torch.ones(split.held_out.numel(), dtype=torch.bool,
                          device=device)
        scores.update(accuracy_metrics(logits[split.held_out],
                                       full.y[split.held_out],
                                       dict(inductive=held), evaluator))
    return TeacherRun(config, seed, split, None, scores, evaluator, logits)


def prepare_teacher(config: DistillConfig, seed: int,
                    data: Optional[Data] = None,
                    progress: bool = True,
                    cache_dir: Optional[str] = None,
                    split: Optional[Any] = None) -> TeacherRun:
    """Loads the data, splits it for the setting and trains the teacher on
    the graph training may see; scores held-out nodes on the full graph.

    With :obj:`cache_dir`, a teacher trained before for the same dataset,
    setting, seed, preprocessing and teacher configuration is loaded from
    it instead of trained again, and a newly trained one is stored there.
    :obj:`split`, the :func:`~pyg_rbm.datasets.split_setting` of the
    preprocessed data for this config and seed, saves computing it again.
    """
    from pyg_rbm.datasets.registry import dataset_info
    from pyg_rbm.teachers import build_teacher

    split, device = _prepared_split(config, seed, data, split,
                                    'prepare_teacher')
    full = split.full
    metric = dataset_info(config.dataset).evaluator
    evaluator = ogb_metric(metric) if metric is not None else None
    t = config.teacher
    options: Dict[str, Any] = dict(heads=t.heads)
    if t.name == 'gcn':
        options.update(normalize=t.gcn_normalize, improved=t.gcn_improved)
    teacher = build_teacher(t.name, full.num_features, t.hidden_channels,
                            int(full.num_classes), num_layers=t.num_layers,
                            dropout=t.dropout, norm=t.norm,
                            **options).to(device)
    if distributed.is_distributed():
        # Rank 0 trains (or loads) the teacher; every process takes it.
        trained = None
        if distributed.is_main_process():
            trained = _trained_teacher(teacher, config, seed, split,
                                       evaluator, progress, cache_dir)
        scores, history = distributed.broadcast_object(trained)
        distributed.broadcast_module(teacher)
    else:
        scores, history = _trained_teacher(teacher, config, seed, split,
                                           evaluator, progress, cache_dir)
    teacher.eval()
    return TeacherRun(config, seed, split, teacher, scores, evaluator,
                      history=history)


def _trained_teacher(teacher: torch.nn.Module, config: DistillConfig,
                     seed: int, split: Any, evaluator: Any, progress: bool,
                     cache_dir: Optional[str]
                     ) -> Tuple[Dict[str, float], List[EpochRecord]]:
    # Trains `teacher` (or loads it from the cache); returns its scores and
    # its epochs.
    from pyg_rbm.teachers import teacher_inference

    t = config.teacher
    observed, full = split.observed, split.full
    held_out = split.held_out
    held_mask = dict(inductive=torch.ones(
        held_out.numel(), dtype=torch.bool, device=full.x.device))
    if cache_dir is not None:
        from pyg_rbm.experiment.teacher_cache import (
            load_teacher,
            save_teacher,
            teacher_cache_key,
        )
        key = teacher_cache_key(config, seed)
        scores = load_teacher(cache_dir, key, teacher)
        if scores is not None:
            return scores, []

    def held_out_metrics() -> Dict[str, float]:
        # Held-out nodes are scored on the full graph, which training
        # never sees.
        logits = teacher_inference(teacher, full.x, full.edge_index)
        return accuracy_metrics(logits[held_out], full.y[held_out],
                                held_mask, evaluator)

    fitted = train_teacher(
        teacher, observed, lr=t.lr, weight_decay=t.weight_decay,
        epochs=t.epochs, patience=t.patience, evaluator=evaluator,
        progress=progress, graph=t.train_graph, ties=t.ties,
        extra_metrics=held_out_metrics if held_out.numel() else None,
        selection=t.selection)
    scores = _with_best_over_epochs(
        {k: v for k, v in fitted.best_metrics.items()
         if k not in ('train', 'val_loss')},
        fitted.history, config.setting)
    if cache_dir is not None:
        save_teacher(cache_dir, key, teacher, scores)
    return scores, fitted.history


def distill_student(
    run: TeacherRun,
    config: Optional[DistillConfig] = None,
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    progress: bool = True,
    student_fn: Optional[Callable[[int, int], torch.nn.Module]] = None,
    without_teacher: bool = False,
    features: Optional[Tuple[Tensor, Tensor]] = None,
    optimizer: Optional[torch.optim.Optimizer] = None,
    checkpoint_dir: Optional[str] = None,
    history: Optional[List[EpochRecord]] = None,
) -> Tuple[torch.nn.Module, Dict[str, float], int, Tensor]:
    r"""Distils :obj:`run`'s teacher into a student built from
    :obj:`config` (default: the run's config).

    Returns the trained student, its scores at the best validation epoch,
    the number of epochs run and the student inputs of the full graph.
    With :obj:`without_teacher=True` it trains an MLP of the student's
    width on labels only (the no-teacher baseline). :obj:`features`, the
    output of :func:`build_features` for this run and config, saves
    computing them again. :obj:`optimizer`, over the parameters of the
    student that :obj:`student_fn` returns, replaces the Adam optimizer of
    the config's learning rate and weight decay. With
    :obj:`checkpoint_dir`, the student's training is checkpointed there
    every :obj:`CHECKPOINT_EVERY` epochs and continues from an existing
    checkpoint (an interrupted run resumes with the same result).
    :obj:`history`, a list, receives the record of every epoch (those
    before a resumed checkpoint included).
    """
    from pyg_rbm.nn import MLPStudent, build_student
    from pyg_rbm.teachers import teacher_inference
    from pyg_rbm.transforms import KnowledgeDistillation

    config = config or run.config
    seed, split, extras = run.seed, run.split, config.extras
    num_classes = int(split.full.num_classes)
    rsd = extras.similarity and not without_teacher
    if run.teacher is None:  # logits computed elsewhere
        kd = KnowledgeDistillation(logits=run.logits[split.node_ids],
                                   temperature=config.train.tau)
    else:
        kd = KnowledgeDistillation(run.teacher, temperature=config.train.tau,
                                   store_hidden=rsd)
    observed = kd(copy.copy(split.observed))
    if features is None:
        features = build_features(split, config, seed)
    x_obs, x_full = features
    train_data = copy.copy(observed)
    train_data.x = x_obs
    held_out = split.held_out
    held_x = x_full[held_out] if held_out.numel() else None
    held_y = split.full.y[held_out] if held_out.numel() else None

    trainer_extras: List[Any] = []
    if extras.reliable_sampling and not without_teacher:
        from torch_geometric.utils import remove_self_loops

        from pyg_rbm.train.extras import ReliableSampler
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn(observed.x.shape, generator=gen, device='cpu')
        noise = noise.to(observed.x.device) * extras.rs_noise
        noisy = teacher_inference(run.teacher, observed.x + noise,
                                  observed.edge_index)
        sampler = ReliableSampler(teacher_logits=observed.teacher_logits,
                                  noisy_teacher_logits=noisy,
                                  edge_index=remove_self_loops(
                                      observed.edge_index)[0],
                                  num_bins=extras.rs_bins,
                                  momentum=extras.rs_momentum, seed=seed)
        trainer_extras.append(
            ReliableNeighbours(sampler, start_epoch=extras.rs_start_epoch))
    if extras.adversarial and not without_teacher:
        trainer_extras.append(
            AdversarialAugmentation(
                epsilon=extras.adv_epsilon, steps=extras.adv_steps,
                step_size=extras.adv_step_ratio * extras.adv_epsilon,
                weight=extras.adv_weight, fraction=extras.adv_fraction))
    if rsd and extras.rsd_weight > 0:
        trainer_extras.append(SimilarityDistillation(extras.rsd_weight))

    torch.manual_seed(seed)
    s = config.student
    if without_teacher:
        student = MLPStudent(x_obs.size(-1), s.hidden_channels, num_classes,
                             num_layers=s.num_layers, dropout=s.dropout,
                             norm=s.norm)
    elif student_fn is not None:
        student = student_fn(x_obs.size(-1), num_classes)
    else:
        student = build_student(s.name, x_obs.size(-1), num_classes,
                                **student_kwargs(config))
    # Built on the CPU (the same initial weights everywhere), then moved;
    # an optimizer given with the student keeps its parameters.
    student = student.to(x_obs.device)
    trainer = _trainer(student, config, seed,
                       lam=1.0 if without_teacher else None,
                       extras=trainer_extras,
                       evaluator=run.evaluator, callbacks=callbacks,
                       progress=progress,
                       optimizer=None if without_teacher else optimizer,
                       **_checkpointing(checkpoint_dir, without_teacher))
    fitted = trainer.fit(train_data, held_x, held_y)
    if history is not None:
        history.extend(fitted.history)
    scores = _with_best_over_epochs(
        {k: v for k, v in fitted.best_metrics.items()
         if k not in ('train', 'val_loss')},
        fitted.history, config.setting)
    return student, scores, fitted.epochs_run, x_full


def run_seed(
    config: DistillConfig,
    seed: int,
    data: Optional[Data] = None,
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    progress: bool = True,
    student_fn: Optional[Callable[[int, int], torch.nn.Module]] = None,
    features: Optional[Tuple[Tensor, Tensor]] = None,
    teacher_cache: Optional[str] = None,
    split: Optional[Any] = None,
    optimizer: Optional[torch.optim.Optimizer] = None,
    checkpoint_dir: Optional[str] = None,
    student_path: Optional[str] = None,
    teacher_logits: Optional[Tensor] = None,
    timing: bool = True,
    teacher: Optional[Any] = None,
) -> SeedResult:
    r"""Runs teacher training, distillation and evaluation for one seed.

    Args:
        config (DistillConfig): The run's hyperparameters.
        seed (int): Seeds the split, the initialisations and batch orders.
        data (torch_geometric.data.Data, optional): The dataset; loaded with
            :func:`~pyg_rbm.datasets.load_dataset` when :obj:`None`.
        callbacks (list, optional): Called with each student epoch record.
        progress (bool, optional): Show progress bars.
        student_fn (callable, optional): Builds the student from
            :obj:`(in_channels, out_channels)` instead of the config.
        features (tuple, optional): The student inputs of the training and
            the full graph, from :func:`build_features` with the same
            config and seed; computed here when :obj:`None`.
        teacher_cache (str, optional): A folder of trained teachers
            (see :func:`prepare_teacher`). (default: :obj:`None`)
        split (SettingSplit, optional): The setting's split of the
            preprocessed data (see :func:`prepare_teacher`).
            (default: :obj:`None`)
        optimizer (torch.optim.Optimizer, optional): The student's
            optimizer, over the parameters of the student of
            :obj:`student_fn`; Adam with the config's learning rate and
            weight decay when :obj:`None`. (default: :obj:`None`)
        checkpoint_dir (str, optional): Checkpoint the students' training
            here, and continue from the checkpoints found
            (see :func:`distill_student`). (default: :obj:`None`)
        student_path (str, optional): Save the selected student there with
            its constructor arguments and input pipeline
            (:func:`~pyg_rbm.save_student`; not for :obj:`student_fn`
            students). (default: :obj:`None`)
        teacher_logits (torch.Tensor, optional): The teacher as its logits
            of every node, computed elsewhere: no teacher is trained (see
            :func:`teacher_from_logits`). (default: :obj:`None`)
        timing (bool, optional): Time the teacher's and the student's
            full-graph inference. (default: :obj:`True`)
        teacher (torch.nn.Module or callable, optional): A teacher trained
            elsewhere (your own GNN), run once on :obj:`data` as given (or
            on the loaded dataset) as
            :class:`~pyg_rbm.transforms.KnowledgeDistillation` runs it; its
            logits then serve as :obj:`teacher_logits`. (default:
            :obj:`None`)
    """
    from pyg_rbm.teachers import teacher_inference

    if teacher is not None:
        if teacher_logits is not None:
            raise ValueError("'run_seed' takes 'teacher' or "
                             "'teacher_logits', not both")
        teacher_logits = logits_of_teacher(teacher, config, seed, data)
        if data is not None:
            data = graph_for_students(data)
    if teacher_logits is not None:
        run = teacher_from_logits(config, seed, teacher_logits, data, split)
    else:
        run = prepare_teacher(config, seed, data, progress, teacher_cache,
                              split)
    if features is None:
        features = build_features(run.split, config, seed)
    history: Dict[str, List[EpochRecord]] = dict(teacher=run.history,
                                                 student=[])
    student, scores, epochs, x_full = distill_student(
        run, config, callbacks, progress, student_fn, features=features,
        optimizer=optimizer, checkpoint_dir=checkpoint_dir,
        history=history['student'])
    main = distributed.is_main_process()
    if student_path is not None and student_fn is None and main:
        from pyg_rbm.saved_student import save_student
        extras, num_features = config.extras, run.split.full.num_features
        state: Dict[str, Any] = dict(self_loops=config.data.self_loops)
        if extras.positional_encoding:
            state['positional_encoding'] = dict(
                table=features[0][:, num_features:num_features +
                                  extras.pe_dim],
                node_ids=run.split.node_ids)
        if extras.label_propagation:
            state['label_propagation'] = dict(num_layers=extras.lp_layers,
                                              alpha=extras.lp_alpha)
        save_student(
            student_path, student, config.student.name,
            dict(in_channels=x_full.size(-1),
                 out_channels=int(run.split.full.num_classes),
                 **student_kwargs(config)),
            normalize_features=config.data.normalize_features,
            feature_state=state,
            info=dict(dataset=config.dataset, root=config.root,
                      setting=config.setting, seed=seed, scores=scores,
                      dataset_options=config.data.generator_options()))
    mlp_scores = None
    if config.baseline_mlp:
        history['mlp'] = []
        mlp_scores = distill_student(run, config, progress=progress,
                                     without_teacher=True,
                                     features=features,
                                     checkpoint_dir=checkpoint_dir,
                                     history=history['mlp'])[1]
    full = run.split.full
    bs = config.train.batch_size or None
    timings = dict(nodes=float(full.num_nodes))
    if not main or not timing:  # one process times, the one that reports
        return SeedResult(seed, config.setting, run.scores, scores,
                          mlp_scores, timings, epochs, history)
    if run.teacher is not None:
        timings['teacher_inference_s'] = time_inference(
            lambda: teacher_inference(run.teacher, full.x, full.edge_index),
            repeats=3)
    timings['student_inference_s'] = time_inference(
        lambda: predict(student, x_full, bs), repeats=3)
    return SeedResult(seed, config.setting, run.scores, scores, mlp_scores,
                      timings, epochs, history)


def mean_timings(results: Sequence[SeedResult]) -> Dict[str, float]:
    r"""The mean of each inference timing every seed of :obj:`results`
    measured.
    """
    keys = set.intersection(*(set(r.timings) for r in results))
    return {key: sum(r.timings[key] for r in results) / len(results)
            for key in sorted(keys)}


def summarize(results: List[SeedResult], setting: str) -> Dict[str, Any]:
    """Mean and std (percent) of each model's headline accuracy."""
    summary: Dict[str, Any] = {}
    for model in ('teacher', 'student', 'mlp'):
        runs = [getattr(r, model) for r in results]
        if any(run is None for run in runs):
            continue
        values = torch.tensor([100 * headline(run, setting) for run in runs])
        summary[model] = dict(
            mean=float(values.mean()),
            std=float(values.std()) if len(values) > 1 else 0.0,
            runs=[float(v) for v in values])
        if all('best_test_over_epochs' in run for run in runs):
            best = torch.tensor(
                [100 * run['best_test_over_epochs'] for run in runs])
            summary[model]['best_test_over_epochs'] = dict(
                mean=float(best.mean()),
                std=float(best.std()) if len(best) > 1 else 0.0,
                runs=[float(v) for v in best])
    return summary
