"""Export the ResNet backbone of a pre-training checkpoint for fine-tuning.

Formats (``--format``):
  openmmlab    ``{'state_dict': {'backbone.*': ...}, 'meta': ...}`` (.pth). The
               ``backbone.`` prefix is kept on purpose: the benchmark configs
               load with ``init_cfg=dict(type='Pretrained', checkpoint=...,
               prefix='backbone.')``, which then accepts this file and the full
               pre-training checkpoint alike. (MMSelfSup's
               ``extract_backbone_weights.py`` strips the prefix, so its output
               needs ``prefix=None`` instead.)
  torchvision  a bare state dict for ``torchvision.models.resnet50()`` with
               ``strict=True``; ``fc`` is written as zeros (no classifier was
               pre-trained).
  detectron2   a ``.pkl`` ``{'model': {name: ndarray}, '__author__':
               'dense_ssl', 'matching_heuristics': True}`` with detectron2's
               ResNet names (stem.conv1, res2..res5, convN.norm, shortcut).
  safetensors  the torchvision state dict (``fc`` zeros) as a ``.safetensors``
               file: raw tensors and a JSON header, nothing that unpickles, so
               no code can ride in it. Loads with ``strict=True`` into
               ``torchvision.models.resnet50()`` and timm's ``resnet50``
               (``safetensors.torch.load_file``); the header's metadata names
               the source checkpoint and the architecture.

The input is read with ``torch.load(weights_only=True)``; the few plain-data
types of a Runner checkpoint are allowed by name (see
``dense_ssl.checkpoint_safety``).

Example:
  python tools/model_converters/extract_backbone.py \\
      work_dirs/densecl_r50_coco/epoch_800.pth densecl_r50_coco_backbone.pth
"""
import argparse
import errno
import os
import pickle
import sys
import tempfile
from typing import Dict, Optional, Sequence

import torch

from dense_ssl.checkpoint_safety import CheckpointError, safe_load, state_dict_of
from dense_ssl.transfer.resnet_keys import (ArchitectureError, describe_resnet,
                                            split_prefix, to_detectron2,
                                            to_torchvision)

FORMATS = {'openmmlab': '.pth', 'torchvision': '.pth', 'detectron2': '.pkl',
           'safetensors': '.safetensors'}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n', 1)[0],
        epilog=__doc__.split('\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='pre-training checkpoint (.pth)')
    parser.add_argument('output', help='file to write (.pth; .pkl for '
                        'detectron2, .safetensors for safetensors)')
    parser.add_argument('--format', choices=sorted(FORMATS),
                        default='openmmlab', help='output layout '
                        '(default: openmmlab)')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the backbone in the checkpoint '
                        '(default: backbone.; the key encoder is '
                        'encoder_k.module.0. in dense_ssl checkpoints, '
                        'momentum_encoder.module.0. in MMSelfSup ones)')
    parser.add_argument('--num-classes', type=int, default=1000,
                        help='rows of the zero fc layer of the torchvision '
                        'and safetensors formats (default: 1000)')
    return parser.parse_args(argv)


def atomic_write(path: str, write) -> None:
    """``write(file)`` to a temporary name beside ``path``, renamed to
    ``path`` only once complete: a full disk or a crash never leaves a
    truncated ``path`` (issue 11, item 11); the temporary file is removed.

    Raises:
        CheckpointError: "no space left on <path>" (ENOSPC) or another
            OSError, naming ``path``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + '.',
                               suffix='.tmp', dir=folder)
    raw = os.fdopen(fd, 'wb')
    f = _RecordingFile(raw)
    try:
        try:
            write(f)
            raw.flush()
            os.fsync(raw.fileno())
        finally:
            raw.close()
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        # torch.save reports a failed write as "unexpected pos ...": the
        # OSError of the write itself is what tells why
        err = f.error or (exc if isinstance(exc, OSError) else None)
        if err is None:
            raise
        if err.errno == errno.ENOSPC:
            raise CheckpointError(
                f'no space left on {path}: nothing written (free space on '
                'its disk or write elsewhere)') from exc
        raise CheckpointError(f'cannot write {path}: {err}') from exc


class _RecordingFile:
    """A binary file that remembers the OSError of a failed ``write``."""

    def __init__(self, f):
        self._f = f
        self.error = None

    def write(self, data):
        try:
            return self._f.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name):
        return getattr(self._f, name)


def export(checkpoint: str, output: str, fmt: str = 'openmmlab',
           prefix: str = 'backbone.', num_classes: int = 1000) -> Dict:
    """Write the backbone of ``checkpoint`` to ``output``; return a summary.

    Raises:
        CheckpointError: unreadable input, wrong output extension, no backbone.
        ArchitectureError: the backbone is not a standard ResNet.
    """
    if not output.endswith(FORMATS[fmt]):
        raise CheckpointError(f'{output}: the {fmt} format is written to a '
                              f'{FORMATS[fmt]} file')
    state_dict = state_dict_of(safe_load(checkpoint), checkpoint)
    backbone, dropped = split_prefix(state_dict, prefix)
    if not backbone:
        groups = ', '.join(sorted(dropped)) or 'nothing'
        raise CheckpointError(
            f'{checkpoint}: no backbone weights (no key starts with '
            f'"{prefix}"; top-level names: {groups}). Pass --prefix if the '
            'backbone is stored under another name.')
    try:
        layout = describe_resnet(backbone)
    except ArchitectureError as exc:
        raise ArchitectureError(f'{checkpoint}: {exc}') from exc
    meta = dict(source=os.path.basename(checkpoint), arch=layout.name,
                format=fmt, author='dense_ssl')
    if fmt == 'openmmlab':
        out = {'backbone.' + k: v.detach().clone().contiguous()
               for k, v in backbone.items()}
        payload = dict(state_dict=out, meta=meta)
        atomic_write(output, lambda f: torch.save(payload, f))
    elif fmt == 'torchvision':
        out = to_torchvision(backbone, layout, num_classes)
        atomic_write(output, lambda f: torch.save(out, f))
    elif fmt == 'safetensors':
        # imported here: only this format needs the library
        from safetensors.torch import save as safetensors_bytes
        out = to_torchvision(backbone, layout, num_classes)
        data = safetensors_bytes(out, metadata={
            k: str(v) for k, v in meta.items()})
        atomic_write(output, lambda f: f.write(data))
    else:
        out = to_detectron2(backbone)
        atomic_write(output, lambda f: pickle.dump(
            dict(model=out, __author__='dense_ssl',
                 matching_heuristics=True), f))
    return dict(arch=layout.name, kept=len(backbone), written=len(out),
                dropped=dict(sorted(dropped.items())))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        summary = export(args.checkpoint, args.output, args.format,
                         args.prefix, args.num_classes)
    except (CheckpointError, ArchitectureError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    dropped = summary['dropped']
    detail = ', '.join(f'{k}: {n}' for k, n in dropped.items())
    print(f'{summary["arch"]}: kept {summary["kept"]} backbone tensors, '
          f'dropped {sum(dropped.values())}' + (f' ({detail})' if detail
                                                else ''))
    print(f'wrote {summary["written"]} tensors to {args.output} '
          f'({args.format} format)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
