"""tools/visualize_hierarchy.py writes one readable panel row per image."""
import numpy as np
import pytest
import visualize_hierarchy  # tools/ is on sys.path (tests/conftest.py)
from PIL import Image


def test_panels_png(quokka, tmp_path, capsys):
    image, _ = quokka
    path = tmp_path / 'quokka.jpg'
    Image.fromarray(image).save(path)
    out = tmp_path / 'vis'
    assert visualize_hierarchy.main([str(path), '--out-dir', str(out),
                                     '--region-at', '300,300']) == 0
    png = out / 'quokka_hierarchy.png'
    assert capsys.readouterr().out.strip() == str(png)
    panel = np.asarray(Image.open(png).convert('RGB'))
    assert panel.shape[1] > 3 * panel.shape[0]  # five panels side by side
    assert len(np.unique(panel.reshape(-1, 3), axis=0)) > 1000  # not blank


def test_ucm_image_is_pixel_sized_and_peaks_on_the_line():
    edges = np.zeros((30, 40), np.float32)
    edges[:, 20] = 1
    ucm = visualize_hierarchy.ucm_image(edges, min_area=5)
    assert ucm.shape == (30, 40)
    assert set(np.flatnonzero(ucm.max(axis=0))) <= {19, 20, 21}
    assert ucm.max() == pytest.approx(0.5)  # the merge height of the two halves
