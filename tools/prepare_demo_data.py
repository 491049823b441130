#!/usr/bin/env python
"""Write the real photos that ship inside installed packages to a folder.

scikit-image (public domain / CC0), scikit-learn (CC BY 2.0) and imgaug's
quokka (MIT): enough for the CPU demo and the tests, nothing downloaded
(``dense_ssl.demo_data``).
"""
import argparse

from dense_ssl.demo_data import demo_photos, quokka_path, write_demo_photos  # noqa: F401


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--out', default='data/demo_photos', help='output folder')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths = write_demo_photos(args.out)
    print(f'wrote {len(paths)} photos to {args.out}')


if __name__ == '__main__':
    main()
