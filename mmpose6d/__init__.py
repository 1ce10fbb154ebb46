"""mmpose6d: img2pose face detection with 6DoF pose, as an MMDetection 3.x extension."""
from .version import __version__

__all__ = ['__version__']
