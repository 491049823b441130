#!/usr/bin/env python
"""Draw what HG's grouping primitive makes of images: one PNG panel row per image.

Panels: the image; the edge map; the UCM (boundary strength at which regions
merge, over the hierarchy after the small-region filter); the K-region cut; the
tree distance d_T from one chosen region (outlined) to every other region.

Examples::

    python tools/visualize_hierarchy.py photo.jpg other.jpg --out-dir work_dirs/vis
    python tools/visualize_hierarchy.py photo.jpg --detector hed --region-at 120,80
    # show the cut and distances stored by tools/build_hierarchy.py for this image
    python tools/visualize_hierarchy.py data/imgs/a.jpg --store data/hier --store-id a.jpg
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1], epilog=__doc__.split(
        'Examples::')[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('images', nargs='+', help='image files')
    p.add_argument('--out-dir', default='work_dirs/hierarchy_vis', help='where PNGs go')
    p.add_argument('--detector', default='gradient',
                   choices=['gradient', 'multicue', 'pmi', 'pmi-local', 'hed', 'sed'])
    p.add_argument('--sed-model', help='model.yml.gz for --detector sed')
    p.add_argument('--max-regions', type=int, default=40)
    p.add_argument('--long-side', type=int, default=320)
    p.add_argument('--min-region-frac', type=float, default=0.002)
    p.add_argument('--region-at', help='x,y (original pixels) of the region whose distances are '
                   'drawn (default: the image centre)')
    p.add_argument('--store', help='draw the cut and distances from this store instead')
    p.add_argument('--store-id', action='append',
                   help='store id of each image (default: the file name); repeat per image')
    return p.parse_args(argv)


def ucm_image(edges: np.ndarray, min_area: int) -> np.ndarray:
    """UCM of the filtered hierarchy, ``(H, W)``: boundary strength at which the regions
    on either side merge (higra's Khalimsky grid, max-pooled back to pixels so that
    one-pixel boundaries survive the figure's downscaling)."""
    import higra as hg

    from dense_ssl.grouping.ucm import owt_ucm, remove_small_regions
    tree, alt = owt_ucm(edges)
    if tree.num_leaves() < 2:
        return np.zeros(edges.shape)
    from scipy.ndimage import maximum_filter
    tree, alt = remove_small_regions(tree, alt, min_area)
    graph = hg.get_4_adjacency_graph(edges.shape)
    khalimsky = hg.graph_4_adjacency_2_khalimsky(graph, hg.saliency(tree, alt))
    return maximum_filter(khalimsky, size=3)[::2, ::2]


def draw(path: str, image: np.ndarray, edges: np.ndarray, ucm: np.ndarray, tree, region_xy,
         out_png: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    from dense_ssl.grouping.hierarchy import resize_labels
    labels = tree.labels  # grouping size
    h, w = labels.shape
    small = np.asarray(image, np.float64)
    small = small[((np.arange(h) + .5) * image.shape[0] / h).astype(int)][
        :, ((np.arange(w) + .5) * image.shape[1] / w).astype(int)]
    r = tree.num_regions
    counts = np.maximum(np.bincount(labels.ravel(), minlength=r), 1)
    means = np.stack([np.bincount(labels.ravel(), small[..., c].ravel(), r) / counts
                      for c in range(3)], 1)
    cut = means[labels] / 255
    bounds = find_boundaries(labels, mode='inner')
    cut[bounds] = (1, 1, 0)
    x, y = region_xy
    chosen = int(resize_labels(labels, tree.height, tree.width)[y, x])
    dist = tree.distance_matrix()
    dmap = np.ma.masked_array(dist[chosen][labels], mask=bounds)

    fig, axes = plt.subplots(1, 5, figsize=(22, 4.8))
    panels = [(image, 'image', None), (edges, 'edge map', 'gray_r'),
              (np.sqrt(ucm / max(ucm.max(), 1e-12)), 'UCM (sqrt of merge height)', 'gray_r'),
              (cut, f'cut: {r} regions (mean colour)', None)]
    for ax, (im, title, cmap) in zip(axes, panels):
        ax.imshow(im, cmap=cmap, interpolation='antialiased')
        ax.set_title(title)
    axes[0].plot([x], [y], 'c+', ms=14, mew=2)
    im = axes[4].imshow(dmap, cmap='viridis', vmin=0, vmax=max(float(dist.max()), 1e-6))
    axes[4].contour(labels == chosen, levels=[0.5], colors='red', linewidths=1.5)
    axes[4].set_title(f'd_T from region {chosen} (red)')
    fig.colorbar(im, ax=axes[4], fraction=0.046, pad=0.04)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(osp.basename(path))
    fig.tight_layout()
    fig.savefig(out_png, dpi=80)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    from dense_ssl.grouping.hierarchy import HierarchyBuilder
    from dense_ssl.grouping.store import HierarchyStore
    from dense_ssl.image_io import read_image
    kwargs = dict(model_path=args.sed_model) if args.detector == 'sed' else {}
    try:
        builder = HierarchyBuilder(args.detector, args.max_regions, args.long_side or None,
                                   args.min_region_frac, detector_kwargs=kwargs)
    except (FileNotFoundError, ImportError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    store = HierarchyStore(args.store) if args.store else None
    ids = args.store_id or [osp.basename(p) for p in args.images]
    if len(ids) != len(args.images):
        print('error: give one --store-id per image', file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    for path, image_id in zip(args.images, ids):
        try:
            image = read_image(path)
        except Exception as e:
            print(f'skipping {path}: {type(e).__name__}: {e}', file=sys.stderr)
            continue
        tree, edges = builder.compute(image)
        if store is not None:
            if image_id not in store:
                print(f'skipping {path}: id {image_id!r} not in {args.store}', file=sys.stderr)
                continue
            tree = store.get_tree(image_id)
        ucm = ucm_image(edges, int(round(args.min_region_frac * edges.size)))
        if args.region_at:
            x, y = (int(v) for v in args.region_at.split(','))
        else:
            x, y = image.shape[1] // 2, image.shape[0] // 2
        x, y = min(max(x, 0), image.shape[1] - 1), min(max(y, 0), image.shape[0] - 1)
        out_png = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '_hierarchy.png')
        draw(path, image, edges, ucm, tree, (x, y), out_png)
        print(out_png)
    return 0


if __name__ == '__main__':
    sys.exit(main())
