# Distils a GraphSAGE teacher into the graph-free Routing-by-Memory (RbM)
# student of "Graph Knowledge Distillation to Mixture of Experts"
# (Rumiantsev and Coates, TMLR 2024, https://arxiv.org/abs/2406.11919),
# transductive setting: the student sees node features only.
import argparse
import copy
import os.path as osp

import torch
import torch.nn.functional as F

import torch_geometric.transforms as T
from torch_geometric.contrib.nn.models import RbM
from torch_geometric.contrib.transforms import KnowledgeDistillation
from torch_geometric.datasets import Planetoid
from torch_geometric.nn import GraphSAGE

parser = argparse.ArgumentParser()
parser.add_argument('--dataset', type=str, default='Cora')
parser.add_argument('--teacher_epochs', type=int, default=200)
parser.add_argument('--pretrain_epochs', type=int, default=10)
parser.add_argument('--epochs', type=int, default=300)
parser.add_argument('--lam', type=float, default=0.2,
                    help='weight of the label loss against the KD loss')
parser.add_argument('--seed', type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
path = osp.join(osp.dirname(osp.realpath(__file__)), '..', '..', 'data',
                'Planetoid')
dataset = Planetoid(path, args.dataset, transform=T.NormalizeFeatures())
data = dataset[0]


def accuracy(out, mask):
    return float((out[mask].argmax(dim=-1) == data.y[mask]).float().mean())


# 1. The teacher, selected on validation accuracy:
teacher = GraphSAGE(dataset.num_features, 256, num_layers=2,
                    out_channels=dataset.num_classes, dropout=0.5)
optimizer = torch.optim.Adam(teacher.parameters(), lr=0.01, weight_decay=5e-4)
best_val, best_state = -1.0, None
for _ in range(args.teacher_epochs):
    teacher.train()
    optimizer.zero_grad()
    out = teacher(data.x, data.edge_index)
    F.cross_entropy(out[data.train_mask], data.y[data.train_mask]).backward()
    optimizer.step()
    teacher.eval()
    with torch.no_grad():
        val_acc = accuracy(teacher(data.x, data.edge_index), data.val_mask)
    if val_acc > best_val:
        best_val, best_state = val_acc, copy.deepcopy(teacher.state_dict())
teacher.load_state_dict(best_state)
with torch.no_grad():
    teacher_test = accuracy(teacher(data.x, data.edge_index), data.test_mask)
print(f'Teacher: Val: {best_val:.4f}, Test: {teacher_test:.4f}')

# 2. Its soft labels on every node:
data = KnowledgeDistillation(teacher)(data)

# 3. The student: a plain MLP (expert 0) during pretraining, then routing.
model = RbM(dataset.num_features, 512, dataset.num_classes, num_layers=2,
            num_experts=4, k=3, dropout=0.3)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)


def train():
    model.train()
    optimizer.zero_grad()
    out, aux_loss = model(data.x, return_aux_loss=True)
    label_loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
    kd_loss = F.kl_div(out.log_softmax(dim=-1), data.teacher_soft,
                       reduction='batchmean')
    loss = args.lam * label_loss + (1 - args.lam) * kd_loss + aux_loss
    loss.backward()
    optimizer.step()
    model.update_memory()  # After each step: the routing memory moves.
    return float(loss)


@torch.no_grad()
def test():
    model.eval()
    out = model(data.x)
    return [accuracy(out, mask) for mask in (data.val_mask, data.test_mask)]


best_val = test_acc = -1.0
for epoch in range(args.pretrain_epochs + args.epochs):
    if epoch == args.pretrain_epochs:
        model.init_routing(data.x)  # k-means keys, experts copied.
    loss = train()
    val_acc, tmp_test_acc = test()
    # Routed epochs only: pretraining is a means, not the model.
    if epoch >= args.pretrain_epochs and val_acc > best_val:
        best_val, test_acc = val_acc, tmp_test_acc
    print(f'Epoch: {epoch:03d}, Loss: {loss:.4f}, Val: {val_acc:.4f}, '
          f'Test: {tmp_test_acc:.4f}')
print(f'RbM: Val: {best_val:.4f}, Test: {test_acc:.4f}')
