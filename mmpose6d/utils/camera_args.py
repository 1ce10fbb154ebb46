"""The command-line flags that give the user's camera, shared by the demos and
tools/test.py."""
from mmpose6d.geometry import Camera


def add_camera_args(parser):
    """Add ``--camera FX FY CX CY`` or ``--camera-file FILE`` (one of them) and ``--ipd-mm``
    to ``parser``; :func:`camera_from_args` reads them."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--camera', type=float, nargs=4, metavar=('FX', 'FY', 'CX', 'CY'),
                       help='the camera that took the images (pixels, no distortion): each '
                       'face also gets its pose in it (camera_poses, camera_euler), '
                       'translation_mm and distance_mm')
    group.add_argument('--camera-file', metavar='FILE',
                       help="the same from a calibration file: OpenCV's YAML / XML "
                       '(camera_matrix, distortion_coefficients[, image_width, image_height]) '
                       'or JSON with those keys')
    parser.add_argument('--ipd-mm', type=float, default=None,
                        help="the subject's interpupillary distance in mm, for translation_mm "
                        'and distance_mm (default: the adult mean, 63.36)')
    return parser


def camera_setting(args):
    """The camera of parsed :func:`add_camera_args` flags as a config value (what
    ``Img2Pose(camera=...)`` and ``FacePoseMetric(camera=...)`` take): None,
    ``dict(fx=, fy=, cx=, cy=)`` or ``dict(file=PATH)``."""
    if args.camera:
        return dict(zip(('fx', 'fy', 'cx', 'cy'), args.camera))
    return dict(file=args.camera_file) if args.camera_file else None


def camera_from_args(args):
    """The :class:`~mmpose6d.geometry.Camera` of parsed :func:`add_camera_args` flags, or
    None; a bad file or bad numbers raise a ValueError / FileNotFoundError naming it."""
    return Camera.build(camera_setting(args))
