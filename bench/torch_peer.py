#!/usr/bin/python3
"""PyTorch peer of bench/trainbench: trains the same three benchmark models
(batch 128, float32, CPU, one thread per model) on synthetic data of the same
shape and prints samples_per_sec=<number> as its last line.

    /usr/bin/python3 bench/torch_peer.py --arch mlp600 --threads 1 --seconds 10

--threads N runs N models concurrently in N processes (one thread each) and
reports the total, like trainbench's goroutines.
"""
import argparse
import multiprocessing as mp
import time

import torch
import torch.nn as nn

BATCH = 128


def make(arch):
    if arch == "mlp600":
        model = nn.Sequential(nn.Linear(600, 256), nn.ReLU(), nn.Linear(256, 100))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        shape, classes, examples, binary = (600,), 100, 40 * BATCH, True
    elif arch == "simplecnn-mnist":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        shape, classes, examples, binary = (1, 28, 28), 10, 4 * BATCH, False
    elif arch == "conv32":
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8192, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        shape, classes, examples, binary = (3, 32, 32), 10, 8 * BATCH, False
    else:
        raise SystemExit(f"unknown --arch {arch!r}")
    return model, opt, shape, classes, examples, binary


def run(arch, seed, seconds, out):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model, opt, shape, classes, examples, binary = make(arch)
    x = torch.rand((examples,) + shape)
    if binary:
        x = (x < 0.5).float()
    y = torch.randint(0, classes, (examples,))
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(examples)
        for lo in range(0, examples, BATCH):
            idx = perm[lo:lo + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        return examples

    epoch()  # warm-up, as trainbench
    n, start = 0, time.perf_counter()
    while True:
        n += epoch()
        el = time.perf_counter() - start
        if el >= seconds:
            break
    out.put(n / el)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", "-arch", default="mlp600")
    ap.add_argument("--threads", "-threads", type=int, default=1)
    ap.add_argument("--seconds", "-seconds", type=float, default=10)
    a = ap.parse_args()
    print(f"arch={a.arch} threads={a.threads} torch={torch.__version__} batch={BATCH}")
    q = mp.Queue()
    procs = [mp.Process(target=run, args=(a.arch, t + 1, a.seconds, q)) for t in range(a.threads)]
    for p in procs:
        p.start()
    rates = [q.get() for _ in procs]
    for p in procs:
        p.join()
    for t, r in enumerate(rates):
        print(f"model {t}: {r:.1f} samples/s")
    print(f"samples_per_sec={sum(rates):.1f}")


if __name__ == "__main__":
    main()
