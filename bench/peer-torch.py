"""The PyTorch peer of bench section J: one epoch of LeNet-5 (Caffe) training on the CPU.

Reads what bench/run.js wrote into a folder: meta.json (shapes, digits, batch size),
x.bin (float32 digits, NHWC), y.bin (uint8 labels) and weights.bin (the tfjs model's
float32 weights in model.weights order). The weights are converted to PyTorch's layouts,
so both tools start from the same network; the flatten before the first dense layer is
permuted because tfjs flattens NHWC and PyTorch NCHW.

    python3 bench/peer-torch.py <folder> <threads>

prints one JSON line: threads, seconds for the epoch, examples per second, mean loss.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def main():
    folder, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    meta = json.load(open(f"{folder}/meta.json"))
    n, batch = meta["examples"], meta["batchSize"]
    x = np.fromfile(f"{folder}/x.bin", dtype=np.float32).reshape(n, 28, 28, 1)
    y = np.fromfile(f"{folder}/y.bin", dtype=np.uint8).astype(np.int64)
    flat = np.fromfile(f"{folder}/weights.bin", dtype=np.float32)
    tensors, at = [], 0
    for shape in meta["weightShapes"]:
        size = int(np.prod(shape))
        tensors.append(flat[at:at + size].reshape(shape))
        at += size
    k1, b1, k2, b2, k3, b3, k4, b4 = tensors

    conv1 = torch.nn.Conv2d(1, 20, 5)
    conv2 = torch.nn.Conv2d(20, 50, 5)
    fc1 = torch.nn.Linear(800, 500)
    fc2 = torch.nn.Linear(500, 10)
    # tfjs kernels are [kh, kw, in, out] and [in, out]; PyTorch's [out, in, kh, kw] and [out, in].
    perm = np.array([(h * 4 + w) * 50 + c for c in range(50) for h in range(4) for w in range(4)])
    with torch.no_grad():
        conv1.weight.copy_(torch.from_numpy(k1.transpose(3, 2, 0, 1).copy()))
        conv1.bias.copy_(torch.from_numpy(b1))
        conv2.weight.copy_(torch.from_numpy(k2.transpose(3, 2, 0, 1).copy()))
        conv2.bias.copy_(torch.from_numpy(b2))
        fc1.weight.copy_(torch.from_numpy(k3[perm].T.copy()))
        fc1.bias.copy_(torch.from_numpy(b3))
        fc2.weight.copy_(torch.from_numpy(k4.T.copy()))
        fc2.bias.copy_(torch.from_numpy(b4))
    params = [p for m in (conv1, conv2, fc1, fc2) for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=meta["learningRate"])

    def forward(inputs):
        h = F.max_pool2d(conv1(inputs), 2)
        h = F.max_pool2d(conv2(h), 2)
        h = F.relu(fc1(torch.flatten(h, 1)))
        return F.softmax(fc2(h), dim=1)

    xs = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    ys = torch.from_numpy(y)
    order = torch.randperm(n)
    started = time.perf_counter()
    total = 0.0
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        probs = forward(xs[idx])
        # The loss nncompress trains with: cross-entropy of the (clipped) softmax probabilities.
        loss = -torch.log(probs.clamp(1e-7, 1.0)).gather(1, ys[idx].unsqueeze(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    seconds = time.perf_counter() - started
    print(json.dumps({"threads": threads, "seconds": seconds, "examplesPerSecond": n / seconds, "loss": total / n}))


if __name__ == "__main__":
    main()
