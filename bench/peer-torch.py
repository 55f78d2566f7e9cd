"""The PyTorch peer of bench section J: one epoch of LeNet-5 (Caffe) training on the CPU.

Reads what bench/run.js wrote into a folder: meta.json (shapes, digits, batch size),
x.bin (float32 digits, NHWC), y.bin (uint8 labels) and weights.bin (the tfjs model's
float32 weights in model.weights order), converted by torch_lenet.py, so both tools start
from the same network.

    python3 bench/peer-torch.py <folder> <threads>

prints one JSON line: threads, seconds for the epoch, examples per second, mean loss.
"""
import json
import sys
import time

import numpy as np
import torch

from torch_lenet import load_lenet5, loss_of


def main():
    folder, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    meta = json.load(open(f"{folder}/meta.json"))
    n, batch = meta["examples"], meta["batchSize"]
    x = np.fromfile(f"{folder}/x.bin", dtype=np.float32).reshape(n, 28, 28, 1)
    y = np.fromfile(f"{folder}/y.bin", dtype=np.uint8).astype(np.int64)
    net = load_lenet5(folder, meta)
    optimizer = torch.optim.Adam(net.parameters(), lr=meta["learningRate"])

    xs = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    ys = torch.from_numpy(y)
    order = torch.randperm(n)
    started = time.perf_counter()
    total = 0.0
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        loss = loss_of(net(xs[idx]), ys[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    seconds = time.perf_counter() - started
    print(json.dumps({"threads": threads, "seconds": seconds, "examplesPerSecond": n / seconds, "loss": total / n}))


if __name__ == "__main__":
    main()
