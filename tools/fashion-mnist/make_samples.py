#!/usr/bin/python3
"""Writes the demo's Fashion-MNIST sample images: the first 4 test images of each class.

    /usr/bin/python3 tools/fashion-mnist/make_samples.py [--out DIR]

Writes DIR/<t10k index, 4 digits>-<class slug>.png (8-bit grayscale, 28x28, pixels exactly as in
the dataset) and DIR/labels.csv (file,class,name). DIR defaults to demo/samples/fashion-mnist.
"""

import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist_io  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PER_CLASS = 4


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "demo", "samples", "fashion-mnist"))
    parser.add_argument("--data", default=fmnist_io.DEFAULT_DIR)
    args = parser.parse_args()

    images, labels = fmnist_io.load_split("t10k", args.data)
    chosen = []
    for cls in range(len(fmnist_io.CLASS_NAMES)):
        indices = [i for i in range(len(labels)) if labels[i] == cls][:PER_CLASS]
        chosen.extend((i, cls) for i in indices)
    chosen.sort()

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "labels.csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "class", "name"])
        for index, cls in chosen:
            name = f"{index:04d}-{fmnist_io.class_slug(cls)}.png"
            fmnist_io.write_png(os.path.join(args.out, name), images[index])
            writer.writerow([name, cls, fmnist_io.CLASS_NAMES[cls]])
    print(f"wrote {len(chosen)} PNGs and labels.csv to {args.out}")


if __name__ == "__main__":
    main()
