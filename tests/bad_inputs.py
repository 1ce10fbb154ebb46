"""Bad inputs for the tests: a crafted checkpoint payload that would run code, and image files
that cannot be read."""
import os

import cv2
import numpy as np


class WritesMarker:
    """Unpickling it runs ``os.system`` to touch a marker file, so a test sees whether any
    code from a checkpoint ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def write_unreadable_images(folder):
    """{file name: skip reason} of a corrupt, an empty and a truncated JPEG in ``folder``."""
    ok, encoded = cv2.imencode('.jpg', np.full((60, 80, 3), 128, np.uint8))
    data = encoded.tobytes()
    noise = np.random.default_rng(0).integers(0, 256, len(data) - 4, dtype=np.uint8)
    files = {'corrupt.jpg': (data[:2] + noise.tobytes() + data[-2:], 'image/corrupt'),
             'empty.jpg': (b'', 'image/empty_file'),
             'truncated.jpg': (data[:len(data) // 2], 'image/truncated')}
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    return {name: reason for name, (_, reason) in files.items()}
