#!/usr/bin/env python
"""The main job on a built-in default: `make demo`.

1. writes the real photos shipped in scikit-image / scikit-learn / imgaug to
   ``data/demo_photos`` (nothing is downloaded);
2. pre-trains DenseCL for a few iterations on the CPU with
   ``mim train mmselfsup configs/demo/densecl_demo.py``;
3. exports the backbone for mmdet / mmseg;
4. draws the dense correspondences between two augmented views (mutual
   nearest neighbours above a similarity threshold) into a PNG;
5. builds the region hierarchies of the photos, pre-trains HG briefly and
   draws its embedding (PCA -> RGB, beside the random init's).

Every step is an ordinary command that users run on their own data too; the
commands are printed before they run.
"""
import argparse
import os.path as osp
import shlex
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BIN = osp.dirname(sys.executable)


def run(cmd):
    print('\n$ ' + ' '.join(shlex.quote(c) for c in cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.time() - t0


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--skip-hg', action='store_true',
                        help='only the DenseCL part')
    args = parser.parse_args()
    py, mim = sys.executable, osp.join(BIN, 'mim')
    photos = 'data/demo_photos'
    wd = args.work_dir
    times = {}
    times['photos'] = run([py, 'tools/prepare_demo_data.py', '--out', photos])
    times['densecl train'] = run([
        mim, 'train', 'mmselfsup', 'configs/demo/densecl_demo.py',
        '--work-dir', osp.join(wd, 'densecl')])
    ckpt = last_checkpoint(osp.join(wd, 'densecl'))
    backbone = osp.join(wd, 'densecl_backbone.pth')
    times['export'] = run([
        py, 'tools/model_converters/extract_backbone.py', ckpt, backbone])
    png = osp.join(wd, 'correspondence.png')
    times['correspondence'] = run([
        py, 'tools/visualize_correspondence.py', '--config',
        'configs/demo/densecl_demo.py', '--checkpoint', ckpt,
        '--image', osp.join(photos, 'astronaut.jpg'), '--out', png,
        # 0.9 (the paper's) is for fully trained models; after 20
        # iterations almost no cell pair is that similar yet
        '--threshold', '0.5'])
    if not args.skip_hg:
        store = osp.join(wd, 'hierarchies')
        times['hierarchies'] = run([
            py, 'tools/build_hierarchy.py', photos, '--out', store,
            '--workers', '2'])
        times['hierarchy picture'] = run([
            py, 'tools/visualize_hierarchy.py', osp.join(photos, 'quokka.jpg'),
            '--out-dir', osp.join(wd, 'hierarchy_png')])
        times['hg train'] = run([
            mim, 'train', 'mmselfsup', 'configs/demo/hiergroup_demo.py',
            '--work-dir', osp.join(wd, 'hiergroup'), '--cfg-options',
            f'train_dataloader.dataset.store={store}'])
        embedding_png = osp.join(wd, 'embedding.png')
        times['embedding picture'] = run([
            py, 'tools/visualize_embedding.py', 'configs/demo/hiergroup_demo.py',
            '--checkpoint', last_checkpoint(osp.join(wd, 'hiergroup')),
            '--random-init', '--images', photos, '--max-images', '4',
            '--out', embedding_png])
    print('\nDemo done. Results:')
    print(f'  DenseCL checkpoint   {ckpt}')
    print(f'  exported backbone    {backbone}')
    print(f'  correspondences      {png}')
    if not args.skip_hg:
        print(f'  region hierarchy     {osp.join(wd, "hierarchy_png")}/')
        print(f'  HG work dir          {osp.join(wd, "hiergroup")}')
        print(f'  HG embedding (PCA)   {embedding_png}')
    for step, sec in times.items():
        print(f'  {step:<20} {sec:6.1f} s')


if __name__ == '__main__':
    main()
