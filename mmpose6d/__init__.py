"""mmpose6d: img2pose face detection with 6DoF pose, as an MMDetection 3.x extension.

Importing it allows the types of mmengine's training checkpoints in every weights-only
``torch.load`` (:func:`mmpose6d.utils.checkpoint.register_safe_globals`): mmdet's and
mmengine's own loading then reads mmpose6d's checkpoints (the configs import it).
"""
from .utils.checkpoint import register_safe_globals
from .version import __version__

register_safe_globals()

__all__ = ['__version__']
