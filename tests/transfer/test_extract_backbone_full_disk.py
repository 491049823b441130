"""extract_backbone.py on a full disk (simulated ENOSPC): a clear error, no
truncated output, no temporary left, an earlier export intact (issue 11,
item 11)."""
import errno
import io
import os

import extract_backbone
import pytest
import torch


class FullDisk(io.RawIOBase):
    """A file whose disk fills after ``room`` bytes."""

    def __init__(self, f, room=4096):
        self.f, self.room = f, room

    def writable(self):
        return True

    def write(self, data):
        if self.room < len(data):
            raise OSError(errno.ENOSPC, 'No space left on device')
        self.room -= len(data)
        return self.f.write(data)

    def flush(self):
        self.f.flush()

    def fileno(self):
        return self.f.fileno()

    def close(self):
        self.f.close()
        super().close()


@pytest.mark.parametrize('fmt,name', [('openmmlab', 'bb.pth'),
                                      ('torchvision', 'tv.pth'),
                                      ('detectron2', 'd2.pkl')])
def test_full_disk(pretrain_checkpoint, tmp_path, monkeypatch, capsys, fmt,
                   name):
    out = tmp_path / name
    out.write_bytes(b'earlier export')
    real_fdopen = os.fdopen
    monkeypatch.setattr(extract_backbone.os, 'fdopen',
                        lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    code = extract_backbone.main([pretrain_checkpoint, str(out),
                                  '--format', fmt])
    assert code == 1
    assert f'error: no space left on {out}' in capsys.readouterr().err
    assert out.read_bytes() == b'earlier export'  # never truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no tmp
    monkeypatch.undo()
    assert extract_backbone.main([pretrain_checkpoint, str(out),
                                  '--format', fmt]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    if fmt != 'detectron2':
        assert len(torch.load(out, weights_only=True)) > 0
