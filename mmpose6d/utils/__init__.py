"""Utilities that need neither mmdet nor mmcv: registry assets and landmark file readers."""
from .landmark_io import read_faces_json, read_ljson_points, read_pts
from .registry_assets import fetch_package_file, sha256sum

__all__ = ['fetch_package_file', 'sha256sum', 'read_pts', 'read_ljson_points',
           'read_faces_json']
