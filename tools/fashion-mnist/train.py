#!/usr/bin/python3
"""Trains qwasm's embedded default model: a small depthwise-separable CNN on Fashion-MNIST.

Run (Debian: apt-get install python3-torch dataset-fashion-mnist; use /usr/bin/python3,
the interpreter that has torch):

    /usr/bin/python3 tools/fashion-mnist/train.py            # full run, writes into the repo
    /usr/bin/python3 tools/fashion-mnist/train.py --epochs 1 --out /tmp/a   # e.g. a determinism check

Writes, under --out (default: the repository root):
    models/fashion-mnist/fashion-mnist.fp32.onnx   opset 13, input "input" [1,1,28,28] float NCHW,
                                                   output "logits" [1,10] (no softmax)
    models/fashion-mnist/labels.txt                class names, one a line, index order
    models/fashion-mnist/training.json             seed, epochs, torch version, parameters, accuracy,
                                                   seconds, sha256 of the ONNX file
    tests/data/fashion-mnist/pytorch-logits.json   labels + float32 logits of t10k images 0..99
                                                   (eval mode, batch 1): the float-path oracle

Input normalisation: x = (p - 127.5) / 127.5 for pixel p in 0..255 (mean 127.5, std 127.5 in
pixel units), grayscale, 28x28, white garment on black background as in the dataset.

Deterministic: fixed seed, torch.use_deterministic_algorithms(True), a fixed thread count
(--threads, default 1), no data-loader workers; two runs with the same arguments give
bit-identical weights, ONNX and logits.
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist_io  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NORM_MEAN = 127.5  # pixel units
NORM_STD = 127.5
ORACLE_IMAGES = 100


def conv_bn(cin, cout, kernel, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SeparableBlock(nn.Module):
    """3x3 depthwise conv+BN+ReLU, 1x1 pointwise conv+BN; with residual=True the input is added
    before the final ReLU (MobileNetV1-style block with a ResNet shortcut)."""

    def __init__(self, cin, cout, stride, residual):
        super().__init__()
        if residual and (cin != cout or stride != 1):
            raise ValueError("a residual block keeps its shape")
        self.residual = residual
        self.depthwise = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pointwise = conv_bn(cin, cout, 1, relu=not residual)

    def forward(self, x):
        y = self.pointwise(self.depthwise(x))
        return F.relu(y + x) if self.residual else y


class FashionNet(nn.Module):
    """28x28 -> stem 3x3 (24) -> /2 (64) -> residual -> /2 (128) -> 2 residual -> GAP -> 10."""

    def __init__(self, stem=24, mid=64, top=128, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, stem, 3),
            SeparableBlock(stem, mid, 2, residual=False),
            SeparableBlock(mid, mid, 1, residual=True),
            SeparableBlock(mid, top, 2, residual=False),
            SeparableBlock(top, top, 1, residual=True),
            SeparableBlock(top, top, 1, residual=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # exports as GlobalAveragePool
        self.classifier = nn.Linear(top, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def normalise(pixels_u8):
    return (torch.from_numpy(pixels_u8).float().unsqueeze(1) - NORM_MEAN) / NORM_STD


def augment(padded, index, generator):
    """Random 28x28 crop of the 2-pixel-padded images, then a random horizontal flip."""
    n = index.numel()
    offsets = torch.randint(0, 5, (2, n), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    span = torch.arange(28)
    rows = (offsets[0, :, None] + span)[:, :, None]
    cols = (offsets[1, :, None] + span)[:, None, :]
    crops = padded[index[:, None, None], rows, cols]
    crops = torch.where(flips[:, None, None], crops.flip(-1), crops)
    return crops.unsqueeze(1).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def accuracy(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    for start in range(0, images.shape[0], batch):
        x = images[start:start + batch].contiguous(memory_format=torch.channels_last)
        correct += (model(x).argmax(1) == labels[start:start + batch]).sum().item()
    return correct / images.shape[0]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def weights_digest(model):
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.contiguous().numpy().tobytes())
    return h.hexdigest()


def export_onnx(model, path):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


@torch.no_grad()
def oracle_logits(model, images, labels):
    model.eval()
    cases = []
    for i in range(ORACLE_IMAGES):
        logits = model(images[i:i + 1])[0]
        cases.append({"index": i, "label": int(labels[i]),
                      "logits": [float(v) for v in logits.numpy().astype(np.float32)]})
    return cases


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=4e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; results are bit-identical only for the same count")
    parser.add_argument("--data", default=fmnist_io.DEFAULT_DIR)
    parser.add_argument("--out", default=REPO_ROOT, help="root under which outputs are written")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    # The thread count fixes the float reduction order. One thread by default: on a shared,
    # oversubscribed machine two OpenMP threads spend most of their time waiting for each other.
    torch.set_num_threads(args.threads)

    train_px, train_y = fmnist_io.load_split("train", args.data)
    test_px, test_y = fmnist_io.load_split("t10k", args.data)
    train_x = normalise(train_px)[:, 0]
    padded = F.pad(train_x, (2, 2, 2, 2), value=(0 - NORM_MEAN) / NORM_STD)  # pad with black
    train_labels = torch.from_numpy(train_y.astype(np.int64))
    test_x = normalise(test_px)
    test_labels = torch.from_numpy(test_y.astype(np.int64))

    model = FashionNet().to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    print(f"FashionNet: {params} parameters, torch {torch.__version__}", flush=True)

    steps_per_epoch = (train_x.shape[0] + args.batch - 1) // args.batch
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch,
        pct_start=0.2)
    generator = torch.Generator().manual_seed(args.seed)

    start = time.time()
    test_acc = 0.0
    for epoch in range(args.epochs):
        epoch_start = time.time()
        model.train()
        order = torch.randperm(train_x.shape[0], generator=generator)
        loss_sum, correct = 0.0, 0
        for step in range(steps_per_epoch):
            index = order[step * args.batch:(step + 1) * args.batch]
            x = augment(padded, index, generator)
            y = train_labels[index]
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * index.numel()
            correct += (logits.argmax(1) == y).sum().item()
        test_acc = accuracy(model, test_x, test_labels)
        print(f"epoch {epoch + 1:2d}/{args.epochs}  loss {loss_sum / train_x.shape[0]:.4f}  "
              f"train {100 * correct / train_x.shape[0]:.2f}%  test {100 * test_acc:.2f}%  "
              f"{time.time() - epoch_start:.0f}s", flush=True)
    train_seconds = time.time() - start

    model = model.to(memory_format=torch.contiguous_format).eval()
    digest = weights_digest(model)
    print(f"trained in {train_seconds:.0f}s, test accuracy {100 * test_acc:.2f}%, "
          f"weights sha256 {digest}", flush=True)

    model_dir = os.path.join(args.out, "models", "fashion-mnist")
    oracle_dir = os.path.join(args.out, "tests", "data", "fashion-mnist")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(oracle_dir, exist_ok=True)
    onnx_path = os.path.join(model_dir, "fashion-mnist.fp32.onnx")
    export_onnx(model, onnx_path)
    onnx_sha = sha256_file(onnx_path)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, sha256 {onnx_sha})")

    with open(os.path.join(model_dir, "labels.txt"), "w") as f:
        f.write("\n".join(fmnist_io.CLASS_NAMES) + "\n")
    normalisation = {"formula": "x = (p - mean) / std, p = pixel 0..255",
                     "mean": NORM_MEAN, "std": NORM_STD, "layout": "NCHW [1,1,28,28] float32"}
    write_json(os.path.join(model_dir, "training.json"), {
        "dataset": "Fashion-MNIST (train 60000 / t10k 10000)",
        "seed": args.seed, "epochs": args.epochs, "batch": args.batch,
        "optimizer": f"AdamW lr {args.lr} weight_decay {args.weight_decay}, one-cycle",
        "label_smoothing": args.label_smoothing,
        "augmentation": "random 28x28 crop of 2-pixel zero-padded image, horizontal flip",
        "torch_version": torch.__version__, "threads": torch.get_num_threads(),
        "parameters": params, "fp32_test_accuracy": test_acc,
        "training_seconds": round(train_seconds, 1), "weights_sha256": digest,
        "onnx_sha256": onnx_sha, "normalisation": normalisation,
    })
    write_json(os.path.join(oracle_dir, "pytorch-logits.json"), {
        "model": "models/fashion-mnist/fashion-mnist.fp32.onnx", "onnx_sha256": onnx_sha,
        "images": f"t10k images 0..{ORACLE_IMAGES - 1} of Fashion-MNIST, batch 1, eval mode",
        "normalisation": normalisation,
        "cases": oracle_logits(model, test_x, test_y),
    })
    print(f"wrote {model_dir}/labels.txt, training.json, {oracle_dir}/pytorch-logits.json")


if __name__ == "__main__":
    main()
