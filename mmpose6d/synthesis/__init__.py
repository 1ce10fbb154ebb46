"""Synthetic face data with exact 6DoF poses: a textured 3D face scan rendered into
photograph-like images, every face through the image's camera (or a given one), written in
img2pose's JSON layout. Imports neither mmdet nor mmcv."""
from .backgrounds import (PHOTOS, PROCEDURAL_KINDS, colour_field_background,
                          colour_wheel_background, photo_background, procedural_background)
from .labels import label_errors
from .raster import render_face
from .scan import FaceScan, fetch_face_scan, landmarks_5
from .scenes import RenderOptions, render_image, render_intrinsics, sample_faces, turn_hue
from .writer import RenderPool, camera_file, generate_dataset, split_files

__all__ = [
    'FaceScan', 'fetch_face_scan', 'landmarks_5', 'render_face', 'RenderOptions',
    'render_image', 'sample_faces', 'turn_hue', 'PHOTOS', 'PROCEDURAL_KINDS',
    'photo_background', 'procedural_background', 'colour_field_background',
    'colour_wheel_background',
    'generate_dataset', 'RenderPool', 'split_files', 'label_errors', 'render_intrinsics',
    'camera_file'
]
