"""LeNet-5 (Caffe) in PyTorch from the weights nncompress's bench writes: shared by the PyTorch
peers (peer-torch.py, peer-deep-compression.py), so both start from the same network.

weights.bin holds the tfjs model's float32 weights in model.weights order, with shapes in
meta.json's weightShapes. tfjs kernels are [kh, kw, in, out] and [in, out]; PyTorch's
[out, in, kh, kw] and [out, in]; the flatten before fc1 is permuted because tfjs flattens
NHWC and PyTorch NCHW.
"""
import numpy as np
import torch
import torch.nn.functional as F


class LeNet5(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 20, 5)
        self.conv2 = torch.nn.Conv2d(20, 50, 5)
        self.fc1 = torch.nn.Linear(800, 500)
        self.fc2 = torch.nn.Linear(500, 10)

    def forward(self, inputs):
        h = F.max_pool2d(self.conv1(inputs), 2)
        h = F.max_pool2d(self.conv2(h), 2)
        h = F.relu(self.fc1(torch.flatten(h, 1)))
        return F.softmax(self.fc2(h), dim=1)


def load_lenet5(folder, meta):
    """The network of `folder`/weights.bin, converted to PyTorch's layouts."""
    flat = np.fromfile(f"{folder}/weights.bin", dtype=np.float32)
    tensors, at = [], 0
    for shape in meta["weightShapes"]:
        size = int(np.prod(shape))
        tensors.append(flat[at:at + size].reshape(shape))
        at += size
    k1, b1, k2, b2, k3, b3, k4, b4 = tensors
    net = LeNet5()
    perm = np.array([(h * 4 + w) * 50 + c for c in range(50) for h in range(4) for w in range(4)])
    with torch.no_grad():
        net.conv1.weight.copy_(torch.from_numpy(k1.transpose(3, 2, 0, 1).copy()))
        net.conv1.bias.copy_(torch.from_numpy(b1))
        net.conv2.weight.copy_(torch.from_numpy(k2.transpose(3, 2, 0, 1).copy()))
        net.conv2.bias.copy_(torch.from_numpy(b2))
        net.fc1.weight.copy_(torch.from_numpy(k3[perm].T.copy()))
        net.fc1.bias.copy_(torch.from_numpy(b3))
        net.fc2.weight.copy_(torch.from_numpy(k4.T.copy()))
        net.fc2.bias.copy_(torch.from_numpy(b4))
    return net


def loss_of(probs, labels):
    """The loss nncompress trains with: cross-entropy of the (clipped) softmax probabilities."""
    return -torch.log(probs.clamp(1e-7, 1.0)).gather(1, labels.unsqueeze(1)).mean()
