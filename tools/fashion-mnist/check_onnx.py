#!/usr/bin/python3
"""Checks models/fashion-mnist/fashion-mnist.fp32.onnx independently of PyTorch.

    /usr/bin/python3 tools/fashion-mnist/check_onnx.py [--root DIR] [--all]

Lists the graph's nodes, then evaluates the graph with a small float64 NumPy interpreter (only
the ops this model uses) on the oracle images of tests/data/fashion-mnist/pytorch-logits.json
and reports the largest difference from PyTorch's logits (fails above 1e-4). --all also
measures top-1 accuracy of the ONNX graph on the whole t10k set. Needs python3-onnx.
"""

import argparse
import collections
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist_io  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOLERANCE = 1e-4


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    groups = a.get("group", 1)
    stride_y, stride_x = a.get("strides", [1, 1])
    top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
    if a.get("dilations", [1, 1]) != [1, 1] or a.get("auto_pad", b"NOTSET") != b"NOTSET":
        raise ValueError(f"unsupported Conv attributes {a}")
    n, c, h, wd = x.shape
    out_c, in_per_group, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    out_h = (h + top + bottom - kh) // stride_y + 1
    out_w = (wd + left + right - kw) // stride_x + 1
    xg = xp.reshape(n, groups, in_per_group, xp.shape[2], xp.shape[3])
    wg = w.reshape(groups, out_c // groups, in_per_group, kh, kw)
    y = np.zeros((n, groups, out_c // groups, out_h, out_w))
    for ky in range(kh):
        for kx in range(kw):
            window = xg[:, :, :, ky:ky + stride_y * out_h:stride_y, kx:kx + stride_x * out_w:stride_x]
            y += np.einsum("ngchw,goc->ngohw", window, wg[:, :, :, ky, kx])
    y = y.reshape(n, out_c, out_h, out_w)
    return y if b is None else y + b[None, :, None, None]


def gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * a_ @ b_
    return y if c_ is None else y + a.get("beta", 1.0) * c_


def run(model, x):
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        ins = [values[name] if name else None for name in node.input]
        a = attrs(node)
        op = node.op_type
        if op == "Conv":
            out = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Clip":
            out = np.clip(ins[0], ins[1], ins[2])
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "GlobalAveragePool":
            out = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            out = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "Reshape":
            out = ins[0].reshape(ins[1].astype(np.int64))
        elif op == "Gemm":
            out = gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        else:
            raise ValueError(f"node '{node.name}': op {op} not handled by this checker")
        values[node.output[0]] = out
    return values[model.graph.output[0].name]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=REPO_ROOT)
    parser.add_argument("--all", action="store_true", help="also top-1 accuracy on all of t10k")
    args = parser.parse_args()

    model = onnx.load(os.path.join(args.root, "models/fashion-mnist/fashion-mnist.fp32.onnx"))
    onnx.checker.check_model(model)
    print(f"opset {model.opset_import[0].version}, {len(model.graph.node)} nodes, "
          f"ops {dict(collections.Counter(n.op_type for n in model.graph.node))}")
    for node in model.graph.node:
        shapes = [list(numpy_helper.to_array(t).shape) for name in node.input
                  for t in model.graph.initializer if t.name == name]
        print(f"  {node.op_type:18s} {attrs(node)} weights {shapes}")

    with open(os.path.join(args.root, "tests/data/fashion-mnist/pytorch-logits.json")) as f:
        oracle = json.load(f)
    norm = oracle["normalisation"]
    images, labels = fmnist_io.load_split("t10k")
    x = (images.astype(np.float32)[:, None] - norm["mean"]) / norm["std"]

    cases = oracle["cases"]
    got = run(model, x[[c["index"] for c in cases]].astype(np.float64))
    want = np.array([c["logits"] for c in cases])
    diff = np.abs(got - want).max()
    agree = (got.argmax(1) == want.argmax(1)).mean()
    print(f"{len(cases)} oracle images: max |ONNX(numpy) - PyTorch| = {diff:.3g}, "
          f"argmax agreement {100 * agree:.0f}%")
    if args.all:
        correct = sum((run(model, x[i:i + 500].astype(np.float64)).argmax(1) == labels[i:i + 500]).sum()
                      for i in range(0, len(labels), 500))
        print(f"ONNX graph top-1 on t10k: {100 * correct / len(labels):.2f}%")
    if diff > TOLERANCE:
        sys.exit(f"FAIL: difference {diff} exceeds {TOLERANCE}")


if __name__ == "__main__":
    main()
