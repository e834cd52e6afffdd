"""Fashion-MNIST file I/O without third-party image libraries.

read_idx()  parses the gzip-compressed IDX files of the dataset (Debian package
            dataset-fashion-mnist installs them in DEFAULT_DIR).
write_png() writes an 8-bit grayscale PNG with zlib + struct only.
"""

import gzip
import os
import struct
import zlib

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def class_slug(index):
    """'T-shirt/top' -> 't-shirt-top', 'Ankle boot' -> 'ankle-boot' (file-name safe)."""
    name = CLASS_NAMES[index].lower()
    return "".join(c if c.isalnum() else "-" for c in name)


# IDX type codes (third magic byte) -> numpy big-endian dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Returns the array stored in an IDX file (gzip or plain), validating its header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    zero, type_code, ndim = struct.unpack_from(">HBB", data, 0)
    if zero != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"{path}: bad IDX magic {data[:4].hex()}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX dimensions")
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: {len(data)} bytes, header {shape} needs {expected}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load_split(split, directory=DEFAULT_DIR):
    """split 'train' or 't10k' -> (images uint8 [N,28,28], labels uint8 [N])."""
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: images {images.shape} do not match labels {labels.shape}")
    if labels.max() >= len(CLASS_NAMES):
        raise ValueError(f"{split}: label {labels.max()} out of range")
    return images, labels


def _png_chunk(kind, payload):
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png_gray8(pixels):
    """PNG bytes of a 2-D uint8 array (colour type 0, bit depth 8, filter 0 per row)."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 array, got {pixels.dtype} {pixels.shape}")
    height, width = pixels.shape
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(raw, 9)) + _png_chunk(b"IEND", b""))


def write_png(path, pixels):
    with open(path, "wb") as f:
        f.write(encode_png_gray8(pixels))
