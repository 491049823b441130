"""A folder of only unreadable images: a clear error saying how many were
tried and where the reasons are (issue 11, item 12)."""
import pytest

import dense_ssl  # noqa: F401
from dense_ssl.datasets.transforms.loading import LoadImageOrSkip
from dense_ssl.datasets.unlabeled_image_dataset import UnlabeledImageDataset


def test_only_bad_images(tmp_path):
    for i in range(3):
        (tmp_path / f'{i}.jpg').write_bytes(b'not a jpeg')
    errors = tmp_path / 'skipped.tsv'
    ds = UnlabeledImageDataset(
        data_prefix=dict(img_path=str(tmp_path)), max_refetch=9,
        pipeline=[LoadImageOrSkip(error_file=str(errors))])
    with pytest.raises(RuntimeError, match=(
            r'no readable image in 10 tries \(3 different images of the 3 '
            rf'of {tmp_path}\): the reasons are in .*log and {errors}')):
        ds[0]
    lines = errors.read_text().splitlines()
    assert len(lines) == 10 and {ln.split('\t')[0] for ln in lines} == {
        str(tmp_path / f'{i}.jpg') for i in range(3)}


def test_good_image_still_found(tmp_path):
    import numpy as np
    from PIL import Image
    (tmp_path / '0.jpg').write_bytes(b'broken')
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / '1.jpg')
    ds = UnlabeledImageDataset(data_prefix=dict(img_path=str(tmp_path)),
                               pipeline=[LoadImageOrSkip()])
    assert ds[0]['img'].shape == (8, 8, 3)
