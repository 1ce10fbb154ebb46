"""Fetch the 3D face scan used by the renderer: menpo3d 0.8.6's james.obj/.jpg/.ljson.

    python tools/data/fetch_face_scan.py [--cache-dir data/cache]

Downloads the menpo3d sdist (BSD-3) once with pip, checks its sha256 and extracts the three
files under ``<cache-dir>/menpo3d-0.8.6/``; a second run only prints the paths.
"""
import argparse

from mmpose6d.synthesis import fetch_face_scan


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cache-dir', default='data/cache')
    args = parser.parse_args(argv)
    for path in fetch_face_scan(args.cache_dir):
        print(path)


if __name__ == '__main__':
    main()
