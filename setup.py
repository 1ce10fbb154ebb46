"""Builds mmpose6d and its CPU operator library ``mmpose6d._ext`` against the installed torch:
``pip install --no-build-isolation --use-pep517 -e .``, as tools/install.sh does."""
import sys

from setuptools import find_packages, setup

try:
    from torch.utils.cpp_extension import BuildExtension, CppExtension
except ImportError:
    sys.exit('mmpose6d compiles mmpose6d._ext against the installed torch: install torch '
             'first, then `pip install --no-build-isolation --use-pep517 -e .` '
             '(or run `bash tools/install.sh`)')

# ATen's parallel_for runs on OpenMP: without the flag it would run on one thread
openmp = {'linux': ['-fopenmp']}.get(sys.platform, [])


def get_version():
    """``__version__`` of mmpose6d/version.py, read without importing the package."""
    scope = {}
    with open('mmpose6d/version.py') as f:
        exec(compile(f.read(), 'mmpose6d/version.py', 'exec'), scope)
    return scope['__version__']


setup(
    version=get_version(),
    packages=find_packages(include=['mmpose6d', 'mmpose6d.*']),
    # the default 3D references, found through the package (mmpose6d.utils.array_io)
    package_data={'mmpose6d': ['pose_references/*.npy', 'pose_references/README.md']},
    ext_modules=[
        CppExtension('mmpose6d._ext', ['mmpose6d/ops/csrc/roi_align_cpu.cpp'],
                     extra_compile_args=['-O3', *openmp], extra_link_args=openmp)
    ],
    cmdclass={'build_ext': BuildExtension})
