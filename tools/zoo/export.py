#!/usr/bin/python3
"""export.py - exports the model zoo's torchvision architectures to ONNX.

Run with Debian's interpreter (/usr/bin/python3: python3-torch,
python3-torchvision, python3-onnx, python3-pil); tools/zoo/run.mjs calls it.

    /usr/bin/python3 tools/zoo/export.py [--models a,b] [--opsets 13,17]
        [--dynamic resnet18,shufflenet_v2_x1_0] [--out build/zoo]
        [--photos ../shared/imagenet-sample] [--bn-photos 32] [--threads 1] [--force]

No pretrained weights can be downloaded here, so every network is built with
weights=None after torch.manual_seed(0), then its BatchNorm statistics are
re-estimated on real photos (cumulative average, momentum=None, everything
else in eval mode so dropout / stochastic depth stay off): activations then
have realistic ranges, which is what quantization is judged on. The final
classifier of an untrained network still gives near-random logits.

The BatchNorm photos are the last --bn-photos of the dataset (labels.csv
order: items 468-499 of the 500), disjoint from the photos run.mjs uses
(0-99 calibration, 100-119 comparison and SQNR). Preprocessing: resize the
shorter side to 256 (bilinear), centre crop 224, RGB / 255, ImageNet mean /
std; the same as qwasm's crop 0.875 + resize to 224 with mean
[123.675, 116.28, 103.53] / std [58.395, 57.12, 57.375] in pixel units.

Each architecture is exported at every opset with torch.onnx.export's
defaults (do_constant_folding=True, static shapes), input 'input'
[1, 3, 224, 224], output 'output'; the --dynamic ones also as
<arch>_dynbatch with a symbolic batch dimension (dynamic_axes). Files:
<out>/<name>.op<opset>.onnx, and <out>/manifest.json with, per file, its
cache key, ONNX operator types, parameter count, export warnings or the
export error. A file is exported again only when it is missing or its key
(hash of this script, torch / torchvision versions, --bn-photos) changed.

Reference (--reference, on by default; --no-reference skips it): the output
SQNR that PyTorch's own post-training int8 quantization reaches on the same
network: FX graph mode, the 'onednn' engine's default qconfig (per-channel
int8 weights, histogram-calibrated uint8 activations), calibrated on photos
0-99 and measured against the float network over photos 100-119, the photos
run.mjs uses. Untrained networks with re-estimated BatchNorm statistics can
amplify small perturbations layer after layer (mobilenet_v2 turns 40 dB of
input noise into 13 dB at its output), so an int8 SQNR well below 20 dB may
be the network's, not the quantizer's: this number tells which. Stored per
architecture in the manifest ('reference'), cached like the files.
"""
import argparse
import csv
import hashlib
import json
import os
import sys
import time
import traceback
import warnings

ARCHS = ['resnet18', 'resnet50', 'squeezenet1_1', 'mobilenet_v2', 'mobilenet_v3_small',
         'mobilenet_v3_large', 'efficientnet_b0', 'shufflenet_v2_x1_0', 'mnasnet0_5',
         'regnet_x_400mf', 'googlenet', 'densenet121']
# Constructor arguments beyond weights=None.
EXTRA = {
    'googlenet': {'aux_logits': False, 'init_weights': True},
}
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def log(msg):
    print(f'export: {msg}', file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--models', default=','.join(ARCHS))
    p.add_argument('--opsets', default='13,17')
    p.add_argument('--dynamic', default='resnet18,shufflenet_v2_x1_0',
                   help='architectures also exported with a dynamic batch dimension ("" for none)')
    p.add_argument('--out', default=os.path.join(ROOT, 'build', 'zoo'))
    p.add_argument('--photos', default=os.path.join(ROOT, '..', 'shared', 'imagenet-sample'))
    p.add_argument('--bn-photos', type=int, default=32)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--force', action='store_true', help='export even when the cached file is current')
    p.add_argument('--reference', action=argparse.BooleanOptionalAction, default=True,
                   help="PyTorch's own int8 quantization SQNR of each architecture (default on)")
    a = p.parse_args()
    a.models = [m for m in a.models.split(',') if m]
    unknown = [m for m in a.models if m not in ARCHS]
    if unknown:
        p.error(f'unknown architecture {", ".join(unknown)} (known: {", ".join(ARCHS)})')
    a.opsets = [int(s) for s in a.opsets.split(',') if s]
    a.dynamic = [m for m in a.dynamic.split(',') if m]
    return a


def all_photos(folder):
    with open(os.path.join(folder, 'labels.csv'), newline='') as f:
        return [os.path.join(folder, r['file']) for r in csv.DictReader(f)]


def photo_files(folder, count):
    rows = all_photos(folder)
    if len(rows) < count:
        raise SystemExit(f'export: {folder} has {len(rows)} photos, --bn-photos needs {count}')
    return rows[len(rows) - count:]


def load_batch(files):
    import torch
    from PIL import Image
    import torchvision.transforms as T
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    return torch.stack([tf(Image.open(f).convert('RGB')) for f in files])


def build(arch, photos):
    """The network with seed 0 and BatchNorm statistics from `photos`."""
    import torch
    import torchvision
    torch.manual_seed(0)
    net = getattr(torchvision.models, arch)(weights=None, **EXTRA.get(arch, {}))
    net.eval()
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
        m.train()
    with torch.no_grad():
        for i in range(0, len(photos), 8):
            net(photos[i:i + 8])
    net.eval()
    return net, len(bns)


def sqnr_db(ref, x):
    import torch
    noise = ((ref - x) ** 2).sum().item()
    return None if noise == 0 else 10 * torch.log10((ref ** 2).sum() / noise).item()


def traceable_shufflenet_block(self, x):
    """torchvision's ShuffleNetV2 InvertedResidual.forward without unpacking
    x.chunk() and x.size(), which torch.fx cannot trace (the same computation)."""
    import torch
    if self.stride == 1:
        half = x.size(1) // 2
        out = torch.cat((x[:, :half], self.branch2(x[:, half:])), dim=1)
    else:
        out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
    b, c, h, w = out.size(0), out.size(1), out.size(2), out.size(3)
    out = torch.transpose(out.view(b, 2, c // 2, h, w), 1, 2).contiguous()
    return out.view(b, -1, h, w)


def torch_reference(net, calib, test):
    """Output SQNR of PyTorch's FX post-training int8 quantization of `net`."""
    import copy
    import torch
    import torchvision.models.shufflenetv2 as shufflenetv2
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = 'onednn'
    original = shufflenetv2.InvertedResidual.forward
    shufflenetv2.InvertedResidual.forward = traceable_shufflenet_block
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            m = prepare_fx(copy.deepcopy(net), get_default_qconfig_mapping('onednn'), (test[:1],))
            with torch.no_grad():
                for i in range(0, len(calib), 10):
                    m(calib[i:i + 10])
                q = convert_fx(m)
                return sqnr_db(net(test), q(test))
    finally:
        shufflenetv2.InvertedResidual.forward = original


def export_one(net, path, opset, dynamic):
    import onnx
    import torch
    x = torch.zeros(1, 3, 224, 224)
    kw = {}
    if dynamic:
        kw['dynamic_axes'] = {'input': {0: 'batch'}, 'output': {0: 'batch'}}
    tmp = path + '.tmp'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.onnx.export(net, x, tmp, opset_version=opset, input_names=['input'], output_names=['output'], **kw)
    m = onnx.load(tmp)
    onnx.checker.check_model(m)
    os.replace(tmp, path)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    msgs = sorted({str(w.message).strip().split('\n')[0][:200] for w in caught})
    return ops, msgs


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def main():
    a = parse_args()
    try:
        import onnx  # noqa: F401
        import PIL  # noqa: F401
        import torch
        import torchvision
    except ImportError as e:
        raise SystemExit(f'export: {e}; install Debian\'s packages: '
                         'apt-get install python3-torch python3-torchvision python3-onnx python3-pil '
                         '(and run this with /usr/bin/python3)')
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    key = hashlib.sha256(open(__file__, 'rb').read() +
                         f'|{torch.__version__}|{torchvision.__version__}|{a.bn_photos}'.encode()).hexdigest()[:16]
    manifest_path = os.path.join(a.out, 'manifest.json')
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        manifest = {}
    manifest.setdefault('files', {})
    manifest.update({'torch': torch.__version__, 'torchvision': torchvision.__version__,
                     'bnPhotos': a.bn_photos, 'mean': MEAN, 'std': STD})

    def save():
        with open(manifest_path + '.tmp', 'w') as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write('\n')
        os.replace(manifest_path + '.tmp', manifest_path)

    photos = None
    ref_photos = None
    t_all = time.time()
    done = skipped = failed = 0
    for i, arch in enumerate(a.models):
        variants = [(arch, False)] + ([(f'{arch}_dynbatch', True)] if arch in a.dynamic else [])
        jobs = [(name, dyn, opset) for name, dyn in variants for opset in a.opsets]
        todo = []
        for name, dyn, opset in jobs:
            fname = f'{name}.op{opset}.onnx'
            entry = manifest['files'].get(fname)
            current = entry is not None and entry.get('key') == key and \
                (entry.get('error') is not None or os.path.exists(os.path.join(a.out, fname)))
            if current and not a.force:
                skipped += 1
            else:
                todo.append((name, dyn, opset, fname))
        ref = manifest.setdefault('reference', {}).get(arch)
        want_ref = a.reference and (a.force or ref is None or ref.get('key') != key)
        if not todo and not want_ref:
            log(f'[{i + 1}/{len(a.models)}] {arch}: cached')
            continue
        t0 = time.time()
        try:
            if photos is None:
                files = photo_files(a.photos, a.bn_photos)
                photos = load_batch(files)
                log(f'BatchNorm photos: {len(files)} ({os.path.basename(files[0])} ... {os.path.basename(files[-1])})')
            net, n_bn = build(arch, photos)
            params = sum(p.numel() for p in net.parameters())
        except Exception as e:  # the architecture cannot even be built: every file fails
            err = f'{type(e).__name__}: {e}'.split('\n')[0]
            for name, dyn, opset, fname in todo:
                manifest['files'][fname] = {'key': key, 'arch': arch, 'name': name, 'opset': opset,
                                            'dynamicBatch': dyn, 'error': f'build: {err}'}
                failed += 1
            save()
            log(f'[{i + 1}/{len(a.models)}] {arch}: build failed: {err}')
            continue
        t_build = time.time() - t0
        if want_ref:
            t1 = time.time()
            try:
                if ref_photos is None:
                    files = all_photos(a.photos)
                    ref_photos = (load_batch(files[0:100]), load_batch(files[100:120]))
                db = torch_reference(net, *ref_photos)
                manifest['reference'][arch] = {'key': key, 'sqnrDb': db, 'seconds': round(time.time() - t1, 1),
                                               'method': 'torch FX PTQ, onednn default qconfig, photos 0-99 / 100-119'}
                log(f'[{i + 1}/{len(a.models)}] {arch}: PyTorch int8 reference SQNR '
                    f'{"exact" if db is None else f"{db:.1f} dB"} ({time.time() - t1:.0f} s)')
            except Exception as e:
                msg = f'{type(e).__name__}: {e}'.strip().split('\n')[0][:200]
                manifest['reference'][arch] = {'key': key, 'error': msg}
                log(f'[{i + 1}/{len(a.models)}] {arch}: PyTorch int8 reference failed: {msg}')
            save()
        for name, dyn, opset, fname in todo:
            path = os.path.join(a.out, fname)
            t1 = time.time()
            entry = {'key': key, 'arch': arch, 'name': name, 'opset': opset, 'dynamicBatch': dyn,
                     'params': params, 'batchNorms': n_bn}
            try:
                ops, msgs = export_one(net, path, opset, dyn)
                entry.update({'ops': ops, 'warnings': msgs, 'bytes': os.path.getsize(path), 'sha256': sha256(path),
                              'seconds': round(time.time() - t1, 1)})
                done += 1
                built = f' (+{t_build:.1f} s to build it and estimate {n_bn} BatchNorms)' if t_build else ''
                log(f'[{i + 1}/{len(a.models)}] {fname}: {os.path.getsize(path) / 1e6:.1f} MB, {sum(ops.values())} nodes, '
                    f'{time.time() - t1:.1f} s{built}')
            except Exception as e:
                if os.path.exists(path):
                    os.remove(path)
                msg = f'{type(e).__name__}: {e}'.strip().split('\n')[0][:300]
                entry['error'] = f'export: {msg}'
                failed += 1
                log(f'[{i + 1}/{len(a.models)}] {fname}: export failed: {msg}')
                traceback.print_exc(limit=3, file=sys.stderr)
            manifest['files'][fname] = entry
            save()
            t_build = 0.0
    save()
    log(f'{done} exported, {skipped} cached, {failed} failed in {time.time() - t_all:.0f} s -> {a.out}')


if __name__ == '__main__':
    main()
