#!/usr/bin/env bash
# make-default-model.sh — rebuilds qwasm's embedded default model from
# nothing but Debian packages and this repository:
#   1. trains the float CNN on Fashion-MNIST with PyTorch and exports ONNX
#      (train.py; ~25 min on 2 cores; deterministic),
#   2. writes the sample photos (make_samples.py),
#   3. quantizes it to int8 with qwasm's own quantizer, calibrating on the
#      first 1000 training images (tools/quantize.mjs),
#   4. evaluates both on the 10k test set (tools/eval.mjs).
# Needs: apt-get install python3-torch dataset-fashion-mnist; npm run build.
#   bash tools/fashion-mnist/make-default-model.sh [--skip-training]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=/usr/share/datasets/fashion-mnist
out=models/fashion-mnist
if [[ "${1:-}" != --skip-training ]]; then
  /usr/bin/python3 tools/fashion-mnist/train.py
  /usr/bin/python3 tools/fashion-mnist/make_samples.py
fi
node tools/quantize.mjs "$out/fashion-mnist.fp32.onnx" \
  --calibration "$data/train-images-idx3-ubyte.gz" --range 0:1000 \
  --labels "$out/labels.txt" --mean 127.5 --std 127.5 --crop 1 \
  --name fashion-mnist --description "Fashion-MNIST classifier (28x28 grayscale, 10 classes), int8" \
  --license "MIT (model); data: Fashion-MNIST, MIT" --author "qwasm" --version 1 \
  --report "$out/quantize-report.json" -o "$out/fashion-mnist.qwm"
node tools/eval.mjs "$data/t10k-images-idx3-ubyte.gz" --crop 1 \
  --model "$out/fashion-mnist.fp32.onnx" --model "$out/fashion-mnist.qwm" --json "$out/eval.json"
