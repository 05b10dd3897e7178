#!/usr/bin/python3
"""Writes the project's golden cases (docs/golden-format.md, schema
alexnet-golden/1) into a folder: PyTorch in float64 computes every forward
result and gradient of the project's layers and of a whole paper-topology net.

  /usr/bin/python3 scripts/goldens.py goldens        (npm run goldens)

Needs Debian's python3-torch. Deterministic: fixed seeds, one thread, and
every float input on a grid of multiples of 1/64 (or 1/1024), which float32
represents exactly, so a float32 implementation starts from the very inputs
the reference used. spec/nn/goldens-regen.spec.ts regenerates into a
temporary folder and compares with the committed files.
"""
import json
import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64


def grid(g, shape, lo=-2.0, hi=2.0, step=1 / 64):
    """Uniform values on the grid step * k in [lo, hi] (exact in float32)."""
    n = int(round((hi - lo) / step))
    k = torch.randint(0, n + 1, shape, generator=g)
    return (lo + k.to(DT) * step).to(DT)


def T(t):
    """A tensor as the format stores it: shape and flat row-major data."""
    t = t.detach().to(DT).contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def labels_tensor(t):
    """Integer labels as the format stores them."""
    return {'shape': list(t.shape), 'data': [int(v) for v in t.reshape(-1).tolist()]}


def f32_rel_err(f64, f32):
    """How far PyTorch's own float32 result lands from the float64 one (max abs error / max abs value)."""
    m = float(f64.abs().max())
    return float((f32.to(DT) - f64).abs().max()) / m if m > 0 else float((f32.to(DT) - f64).abs().max())


def backward_case(fn, inputs, g):
    """y = fn(*inputs) in float64 and float32; grads of L = sum(y * dy) for a seeded dy."""
    xs = [t.clone().requires_grad_(True) for t in inputs]
    y = fn(*xs)
    dy = grid(g, y.shape, -1, 1)
    (y * dy).sum().backward()
    y32 = fn(*[t.to(torch.float32) for t in inputs])
    return y, dy, [x.grad for x in xs], f32_rel_err(y.detach(), y32.detach())


def conv_cases(g):
    shapes = [  # N, C, H, W, Cout, k, stride, pad, groups
        (2, 3, 7, 7, 4, 3, 1, 0, 1), (2, 4, 8, 8, 6, 3, 1, 1, 2), (1, 3, 23, 23, 4, 11, 4, 0, 1),
        (2, 4, 9, 9, 4, 5, 1, 2, 2), (1, 6, 7, 7, 6, 3, 2, 1, 3), (2, 2, 6, 6, 3, 1, 1, 0, 1),
        (1, 8, 10, 10, 8, 3, 1, 1, 4), (1, 3, 12, 12, 2, 4, 3, 2, 1), (1, 3, 27, 27, 4, 11, 4, 2, 1),
    ]
    out = []
    for i, (N, C, H, W, Co, k, s, p, gr) in enumerate(shapes):
        x, w, b = grid(g, (N, C, H, W)), grid(g, (Co, C // gr, k, k), -0.5, 0.5), grid(g, (Co,), -0.5, 0.5)
        y, dy, (dx, dw, db), e32 = backward_case(lambda x, w, b: F.conv2d(x, w, b, stride=s, padding=p, groups=gr), [x, w, b], g)
        out.append({
            'id': f'conv2d_{i:02d}', 'op': 'conv2d', 'layout': 'NCHW',
            'params': {'stride': s, 'pad': p, 'groups': gr, 'kernel': [k, k], 'dilation': 1},
            'inputs': {'x': T(x), 'weight': T(w), 'bias': T(b)}, 'grad_output': {'y': T(dy)},
            'expected': {'y': T(y)}, 'grads': {'x': T(dx), 'weight': T(dw), 'bias': T(db)}, 'torch_float32_rel_err': {'y': e32},
        })
    return out


def pool_cases(g):
    specs = [  # N, C, H, W, kernel, stride, pad, ceil, ties
        (2, 3, 13, 13, 3, 2, 0, False, False), (2, 3, 13, 13, 3, 2, 0, True, False), (1, 4, 10, 10, 3, 2, 1, False, False),
        (1, 2, 8, 8, 2, 2, 0, False, False), (2, 2, 9, 9, 3, 2, 0, False, True), (1, 3, 12, 12, 3, 2, 0, True, True),
    ]
    out = []
    for i, (N, C, H, W, k, s, p, ceil, ties) in enumerate(specs):
        # Ties: values on a coarse grid of 5 levels, so that many windows hold several equal maxima.
        x = grid(g, (N, C, H, W), -1, 1, 0.5) if ties else grid(g, (N, C, H, W))
        y, dy, (dx,), _ = backward_case(lambda x: F.max_pool2d(x, k, s, p, ceil_mode=ceil), [x], g)
        out.append({
            'id': f'maxpool_{i:02d}', 'op': 'maxpool2d', 'layout': 'NCHW',
            'params': {'kernel': k, 'stride': s, 'pad': p, 'ceil_mode': ceil, 'ties': ties,
                       'tie_rule': 'first maximum in row-major order within the window (PyTorch CPU and Caffe)'},
            'inputs': {'x': T(x)}, 'grad_output': {'y': T(dy)}, 'expected': {'y': T(y)}, 'grads': {'x': T(dx)},
        })
    return out


def lrn_cases(g):
    specs = [  # op, N, C, H, W, size, alpha, beta, k, input scale
        ('lrn_paper', 2, 7, 4, 4, 5, 1e-4, 0.75, 2.0, 16), ('lrn_paper', 1, 6, 3, 3, 5, 0.1, 0.75, 2.0, 2),
        ('lrn_paper', 1, 3, 3, 3, 5, 0.05, 0.75, 2.0, 2), ('lrn_torch', 2, 8, 3, 3, 3, 0.01, 0.75, 1.0, 4),
        ('lrn_torch', 1, 5, 4, 4, 5, 0.5, 0.5, 1.5, 2), ('lrn_caffe', 2, 6, 3, 3, 5, 1e-4 * 5, 0.75, 1.0, 32),
        ('lrn_caffe', 1, 9, 2, 2, 7, 0.3, 0.75, 1.0, 2),
    ]
    out = []
    for i, (op, N, C, H, W, n, alpha, beta, k, scale) in enumerate(specs):
        x = grid(g, (N, C, H, W), -scale, scale, scale / 64)
        # torch divides alpha by n; the paper's alpha is not divided (alexnet-paper.md): pass n * alpha for it.
        ta = alpha * n if op == 'lrn_paper' else alpha
        y, dy, (dx,), e32 = backward_case(lambda x: F.local_response_norm(x, n, alpha=ta, beta=beta, k=k), [x], g)
        out.append({
            'id': f'{op}_{i:02d}', 'op': op, 'layout': 'NCHW',
            'params': {'size': n, 'alpha': alpha, 'beta': beta, 'k': k, 'alpha_divided_by_size': op != 'lrn_paper'},
            'inputs': {'x': T(x)}, 'grad_output': {'y': T(dy)}, 'expected': {'y': T(y)}, 'grads': {'x': T(dx)},
            'torch_float32_rel_err': {'y': e32},
        })
    return out


def relu_cases(g):
    out = []
    for i, shape in enumerate([(2, 3, 4, 4), (5, 7), (1, 1, 3, 3)]):
        x = grid(g, shape, -1, 1, 0.25)  # a coarse grid puts exact zeros in: the gradient there is 0
        y, dy, (dx,), _ = backward_case(F.relu, [x], g)
        out.append({'id': f'relu_{i:02d}', 'op': 'relu', 'params': {'grad_at_zero': 0}, 'inputs': {'x': T(x)},
                    'grad_output': {'y': T(dy)}, 'expected': {'y': T(y)}, 'grads': {'x': T(dx)}})
    return out


def linear_cases(g):
    out = []
    for i, (N, I, O) in enumerate([(2, 5, 3), (4, 17, 9), (1, 64, 10), (3, 1, 2)]):
        x, w, b = grid(g, (N, I)), grid(g, (O, I), -0.5, 0.5), grid(g, (O,), -0.5, 0.5)
        y, dy, (dx, dw, db), e32 = backward_case(F.linear, [x, w, b], g)
        out.append({'id': f'linear_{i:02d}', 'op': 'linear', 'layout': 'NC', 'params': {'weight_layout': '[out, in] (y = x @ W^T + b)'},
                    'inputs': {'x': T(x), 'weight': T(w), 'bias': T(b)}, 'grad_output': {'y': T(dy)},
                    'expected': {'y': T(y)}, 'grads': {'x': T(dx), 'weight': T(dw), 'bias': T(db)}, 'torch_float32_rel_err': {'y': e32}})
    return out


def softmax_cases(g):
    out = []
    for i, (N, C, scale) in enumerate([(4, 10, 4), (1, 5, 2), (3, 1000, 8), (2, 6, 1000)]):
        z = grid(g, (N, C), -scale, scale, scale / 64)
        lab = torch.randint(0, C, (N,), generator=g)
        zz = z.clone().requires_grad_(True)
        loss = F.cross_entropy(zz, lab, reduction='mean')
        loss.backward()
        out.append({'id': f'softmax_xent_{i:02d}', 'op': 'softmax_cross_entropy', 'layout': 'NC',
                    'params': {'reduction': 'mean over batch (loss_sum also given)', 'logit_scale': scale},
                    'inputs': {'logits': T(z), 'labels': labels_tensor(lab)},
                    'expected': {'loss_mean': T(loss), 'loss_sum': T(F.cross_entropy(z, lab, reduction='sum')), 'probs': T(F.softmax(z, dim=1))},
                    'grads': {'logits': T(zz.grad)}})
    return out


def paper_step(w, v, gr, lr, m=0.9, wd=0.0005):
    """The paper's rule (section 5): v <- m v - wd lr w - lr g; w <- w + v (v uses the old w)."""
    v2 = m * v - wd * lr * w - lr * gr
    return w + v2, v2


def momentum_cases(g):
    lrs = [0.01, 0.01, 0.001]
    w0, v0 = grid(g, (4, 5)), grid(g, (4, 5), -0.25, 0.25)
    gs = [grid(g, (4, 5)) for _ in lrs]
    rule = {'id': 'momentum_rule_00', 'op': 'momentum_sgd_paper',
            'params': {'momentum': 0.9, 'weight_decay': 0.0005, 'lrs': lrs, 'rule': 'v <- 0.9 v - 0.0005 lr w - lr g; w <- w + v'},
            'inputs': {'w0': T(w0), 'v0': T(v0), **{f'g{k + 1}': T(x) for k, x in enumerate(gs)}}, 'expected': {}}
    w, v = w0, v0
    for k, lr in enumerate(lrs):
        w, v = paper_step(w, v, gs[k], lr)
        rule['expected'][f'w{k + 1}'], rule['expected'][f'v{k + 1}'] = T(w), T(v)
    # A linear softmax classifier trained for four steps with that rule, with a learning-rate drop.
    lrs2 = [0.1, 0.1, 0.01, 0.01]
    x, lab = grid(g, (6, 5)), torch.randint(0, 3, (6,), generator=g)
    W, b = grid(g, (3, 5), -0.5, 0.5), grid(g, (3,), -0.5, 0.5)
    train = {'id': 'momentum_train_01', 'op': 'momentum_sgd_paper_train',
             'params': {'momentum': 0.9, 'weight_decay': 0.0005, 'lrs': lrs2},
             'inputs': {'x': T(x), 'labels': labels_tensor(lab), 'W0': T(W), 'b0': T(b)}, 'expected': {}}
    vW, vb = torch.zeros_like(W), torch.zeros_like(b)
    for k, lr in enumerate(lrs2):
        Wr, br = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
        loss = F.cross_entropy(F.linear(x, Wr, br), lab)
        loss.backward()
        e = train['expected']
        e[f'loss{k + 1}'], e[f'gW{k + 1}'], e[f'gb{k + 1}'] = T(loss), T(Wr.grad), T(br.grad)
        W, vW = paper_step(W, vW, Wr.grad, lr)
        b, vb = paper_step(b, vb, br.grad, lr)
        e[f'W{k + 1}'], e[f'b{k + 1}'] = T(W), T(b)
    return [rule, train]


def tiny_alexnet_case(g):
    """The paper's topology at toy widths on 67 x 67 (the project's tiny configuration), eval mode (no dropout)."""
    ch, fc, classes, hw, N = [8, 16, 24, 24, 16], [32, 32], 10, 67, 2
    convs = [(3, ch[0], 11, 4, 0, 1), (ch[0], ch[1], 5, 1, 2, 2), (ch[1], ch[2], 3, 1, 1, 1), (ch[2], ch[3], 3, 1, 1, 2), (ch[3], ch[4], 3, 1, 1, 2)]
    P = {}
    for i, (ci, co, k, s, p, gr) in enumerate(convs):
        P[f'conv{i + 1}.weight'] = grid(g, (co, ci // gr, k, k), -0.25, 0.25, 1 / 1024)
        P[f'conv{i + 1}.bias'] = grid(g, (co,), -0.25, 0.25, 1 / 1024)
    feats = ch[4] * 1 * 1
    for name, (i, o) in zip(['fc6', 'fc7', 'fc8'], [(feats, fc[0]), (fc[0], fc[1]), (fc[1], classes)]):
        P[f'{name}.weight'] = grid(g, (o, i), -0.25, 0.25, 1 / 1024)
        P[f'{name}.bias'] = grid(g, (o,), -0.25, 0.25, 1 / 1024)
    x = grid(g, (N, 3, hw, hw))
    lab = torch.randint(0, classes, (N,), generator=g)
    Pg = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    acts = []

    def rec(name, t):
        acts.append({'name': name, 'shape': list(t.shape), 'sum': float(t.sum()), 'sum_abs': float(t.abs().sum()), 'sum_sq': float((t * t).sum())})
        return t

    # Paper LRN: k 2, alpha 1e-4 not divided by n (torch's alpha is n * 1e-4), beta 0.75, n 5.
    lrn = lambda t: F.local_response_norm(t, 5, alpha=5e-4, beta=0.75, k=2.0)
    h = x
    for i, (ci, co, k, s, p, gr) in enumerate(convs):
        h = rec(f'conv{i + 1}', F.conv2d(h, Pg[f'conv{i + 1}.weight'], Pg[f'conv{i + 1}.bias'], stride=s, padding=p, groups=gr))
        h = rec(f'relu{i + 1}', F.relu(h))
        if i < 2:
            h = rec(f'norm{i + 1}', lrn(h))
        if i in (0, 1, 4):
            h = rec(f'pool{i + 1}', F.max_pool2d(h, 3, 2))
    h = rec('flatten', h.reshape(N, -1))
    h = rec('fc6', F.linear(h, Pg['fc6.weight'], Pg['fc6.bias']))
    h = rec('relu6', F.relu(h))
    h = rec('fc7', F.linear(h, Pg['fc7.weight'], Pg['fc7.bias']))
    h = rec('relu7', F.relu(h))
    logits = rec('fc8', F.linear(h, Pg['fc8.weight'], Pg['fc8.bias']))
    loss = F.cross_entropy(logits, lab)
    loss.backward()
    return [{
        'id': 'tiny_paper_alexnet_00', 'op': 'alexnet_tiny_forward_backward', 'layout': 'NCHW',
        'params': {'channels': ch, 'fc': fc, 'classes': classes, 'input_hw': hw,
                   'lrn': 'paper convention k=2 alpha=1e-4 (not /n) beta=0.75 n=5', 'dropout': 'none (eval)'},
        'inputs': {'x': T(x), 'labels': labels_tensor(lab), **{k: T(v) for k, v in P.items()}},
        'expected': {'logits': T(logits), 'loss_mean': T(loss)},
        'grads': {k: T(v.grad) for k, v in Pg.items()},
        'activations': acts,
    }]


FAMILIES = {
    'conv2d': conv_cases, 'maxpool': pool_cases, 'lrn': lrn_cases, 'relu': relu_cases, 'linear': linear_cases,
    'softmax_xent': softmax_cases, 'momentum': momentum_cases, 'alexnet_tiny': tiny_alexnet_case,
}


def main(out):
    os.makedirs(out, exist_ok=True)
    gen = {'tool': 'scripts/goldens.py', 'torch': torch.__version__.split('+')[0], 'numpy': np.__version__,
           'python': platform.python_version(), 'dtype': 'float64', 'threads': 1}
    for seed, (family, make) in enumerate(FAMILIES.items()):
        g = torch.Generator().manual_seed(20121203 + seed)
        cases = make(g)
        with open(os.path.join(out, f'{family}.json'), 'w') as f:
            json.dump({'schema': 'alexnet-golden/1', 'family': family, 'generator': gen, 'cases': cases}, f, separators=(',', ':'))
            f.write('\n')
        print(f'{out}/{family}.json: {len(cases)} cases')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'goldens')
