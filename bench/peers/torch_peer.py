"""PyTorch's CPU path on an alexnet-ts configuration, for bench/peers.ts.

Reads one JSON object on stdin: {"config": AlexNetConfig, "threads": N,
"workloads": [{"name", "kind": "forward" | "train", "batch", "seconds"}]};
builds the same layers (grouped convolutions, LRN, overlapping pooling,
dropout, the paper's momentum rule through torch.optim.SGD's equivalent
form), times each workload (median of the calls made within `seconds`,
after one untimed call) and prints {"torch": version, "ms": {name: ms},
"peakRssMB": the process's peak resident memory} (bench/step-memory.ts runs
one workload per process, so that the peak is that workload's).
"""
import json
import resource
import sys
import time

import torch
from torch import nn


def build(c):
    layers, ch, size = [], c["inputChannels"], c["inputSize"]
    for i, s in enumerate(c["conv"]):
        layers.append(nn.Conv2d(ch, s["out"], s["kernel"], s["stride"], s["pad"], groups=s["groups"]))
        layers.append(nn.ReLU() if c["activation"] == "relu" else nn.Tanh())
        ch = s["out"]
        size = (size + 2 * s["pad"] - s["kernel"]) // s["stride"] + 1
        if i < 2 and c["lrn"]:
            l = c["lrn"]
            # torch's alpha is divided by the size (Caffe's convention); the paper's is not.
            alpha = l["alpha"] * l["size"] if l["convention"] == "paper" else l["alpha"]
            layers.append(nn.LocalResponseNorm(l["size"], alpha, l["beta"], l["k"]))
        # Pooling after conv1, conv2 and the last conv (src/nn/config.ts).
        if i < 2 or i == len(c["conv"]) - 1:
            p = c["pool"]
            layers.append(nn.MaxPool2d(p["kernel"], p["stride"], p["pad"], ceil_mode=p["ceil"]))
            size = (size + 2 * p["pad"] - p["kernel"]) // p["stride"] + 1
    layers.append(nn.Flatten())
    features = ch * size * size
    for width in c["fc"]:
        layers += [nn.Linear(features, width), nn.ReLU(), nn.Dropout(c["dropout"]["rate"])]
        features = width
    layers.append(nn.Linear(features, c["classes"]))
    return nn.Sequential(*layers)


def timed(fn, seconds):
    fn()
    runs, t_end = [], time.perf_counter() + seconds
    while not runs or (time.perf_counter() < t_end and len(runs) < 200):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    runs.sort()
    return runs[len(runs) // 2]


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    torch.manual_seed(1)
    c = job["config"]
    net = build(c)
    # The paper's rule v <- 0.9 v - 0.0005 lr w - lr g, w <- w + v is torch's SGD with momentum 0.9 and
    # weight decay 0.0005 up to the scaling of v by lr (the same steps at a constant lr).
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    out = {}
    for w in job["workloads"]:
        x = torch.randn(w["batch"], c["inputChannels"], c["inputSize"], c["inputSize"])
        y = torch.randint(0, c["classes"], (w["batch"],))
        if w["kind"] == "forward":
            net.eval()
            def fn():
                with torch.no_grad():
                    net(x)
        else:
            net.train()
            def fn():
                opt.zero_grad()
                loss_fn(net(x), y).backward()
                opt.step()
        out[w["name"]] = timed(fn, w["seconds"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kB on Linux
    print(json.dumps({"torch": torch.__version__, "ms": out, "peakRssMB": peak}))


main()
