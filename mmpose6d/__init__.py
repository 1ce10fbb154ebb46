"""mmpose6d: img2pose face detection with 6DoF pose, as an MMDetection 3.x extension."""
__version__ = '0.1.0'
