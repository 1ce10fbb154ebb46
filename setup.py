"""Builds mmpose6d and its CPU operator library ``mmpose6d._ext`` against the installed torch:
``pip install --no-build-isolation --use-pep517 -e .``, as tools/install.sh does. The
checkout's configs, tools, demo, model-index.yml and pose_references go into
``mmpose6d/.mim``, where mim and mmengine look for them in an installed package."""
import os
import os.path as osp
import shutil
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
REPO = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml', 'pose_references')


def get_version():
    """``__version__`` of mmpose6d/version.py, read without importing the package."""
    scope = {}
    with open('mmpose6d/version.py') as f:
        exec(compile(f.read(), 'mmpose6d/version.py', 'exec'), scope)
    return scope['__version__']


def add_mim_extension():
    """Fill ``mmpose6d/.mim`` with :data:`MIM_FILES` as mmdet's setup.py does: links for
    editable installs (``develop``, and PEP 660's ``editable_wheel``, which mmdet's misses),
    copies for wheels and sdists. Building from an sdist, which has no top-level folders,
    keeps its copies."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        link = True
    elif {'sdist', 'bdist_wheel'} & set(sys.argv):
        link = False
    else:
        return
    mim_dir = osp.join(REPO, 'mmpose6d', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        source, target = osp.join(REPO, name), osp.join(mim_dir, name)
        if not osp.exists(source):
            continue
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        if link:
            os.symlink(osp.relpath(source, mim_dir), target)
        elif osp.isdir(source):
            shutil.copytree(source, target,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(source, target)


add_mim_extension()
setup(
    version=get_version(),
    packages=find_packages(include=['mmpose6d', 'mmpose6d.*']),
    # mim's files and the default 3D references (found by mmpose6d.utils.array_io)
    package_data={'mmpose6d': ['.mim/**/*']},
    ext_modules=[
        # no fused multiply-adds: the kernels' vectorised clones give the scalar bits
        CppExtension('mmpose6d._ext', [
            f'mmpose6d/ops/csrc/{name}.cpp'
            for name in ('pybind', 'roi_align_cpu', 'nms_cpu', 'box_voting_cpu')
        ],
                     extra_compile_args=['-O3', '-ffp-contract=off', *openmp],
                     extra_link_args=openmp)
    ],
    cmdclass={'build_ext': BuildExtension})
