"""The wheel ``pip wheel`` builds from this checkout (a copy of its files, since the build
writes ``mmpose6d/.mim``): it ships what mim and mmengine look for in an installed package,
the checkout's configs, tools, demo, model-index.yml and pose_references as
``mmpose6d/.mim/...``, and mmpose6d._ext; unpacked as pip installs it, the package finds its
default 3D references there."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MIM_FILES = ('configs/', 'tools/', 'demo/', 'model-index.yml', 'pose_references/')


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """The wheel's file names and the checkout's files (tracked or not ignored)."""
    root = tmp_path_factory.mktemp('wheel')
    listed = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others',
                             '--exclude-standard'], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split('\0')
    files = [name for name in listed if name and (REPO / name).is_file()]
    for name in files:
        (root / 'source' / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / 'source' / name)
    result = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                             '--no-build-isolation', '-w', str(root / 'dist'),
                             str(root / 'source')], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheel = next((root / 'dist').glob('mmpose6d-*.whl'))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(root / 'installed')
        names = set(archive.namelist())
    return names, files, root / 'installed'


def test_wheel_ships_the_mim_files(built):
    names, files, _ = built
    expected = {f'mmpose6d/.mim/{name}' for name in files if name.startswith(MIM_FILES)}
    shipped = {name for name in names if name.startswith('mmpose6d/.mim/')}
    assert shipped == expected, (sorted(shipped - expected), sorted(expected - shipped))
    for name in ('configs/img2pose/r18_fpn_rendered_cpu.py', 'configs/img2pose/metafile.yml',
                 'tools/train.py', 'tools/test.py', 'tools/analysis_tools/learning_curve.py',
                 'demo/image_demo.py', 'model-index.yml', 'pose_references/ref68.npy',
                 'pose_references/ref5.npy'):
        assert f'mmpose6d/.mim/{name}' in names
    assert any(name.startswith('mmpose6d/_ext') and name.endswith('.so') for name in names)
    assert not any('pose_references' in name and not name.startswith('mmpose6d/.mim/')
                   for name in names)
    assert not any(name.endswith('.pyc') for name in names)
    assert not any('tests/' in name or 'golden' in name for name in names)  # tests/data/golden


def test_installed_package_finds_its_references(built, tmp_path):
    """In site-packages' layout (no checkout beside it), from another working directory."""
    *_, installed = built
    script = ('from mmpose6d.ops import ext_available; assert ext_available()\n'
              'from mmpose6d.utils.array_io import resolve_path\n'
              "print(resolve_path('pose_references/ref68.npy'))")
    result = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(installed)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert Path(result.stdout.strip()) == (
        installed / 'mmpose6d' / '.mim' / 'pose_references' / 'ref68.npy')
