"""``mmpose6d._ext``, the CPU operators compiled with mmpose6d (``csrc/``), or None where it
was not built: each operator then runs mmcv's (or numpy's) version."""
try:
    from mmpose6d import _ext as ext
except ImportError:
    ext = None


def ext_available():
    """Whether the compiled CPU operators (``mmpose6d._ext``) can be imported."""
    return ext is not None
