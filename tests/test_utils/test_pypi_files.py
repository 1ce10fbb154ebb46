"""``fetch_package_file`` on small fake archives: extraction, sha256 checks, clear errors."""
import io
import re
import tarfile
import zipfile

import pytest

from mmpose6d.utils import fetch_package_file, sha256sum


def _sdist(cache, name='Fake_Pkg', version='1.0', files=None):
    """A fake sdist ``<name>-<version>.tar.gz`` with a top folder, as pip saves them."""
    path = cache / f'{name}-{version}.tar.gz'
    with tarfile.open(path, 'w:gz') as tar:
        for member, data in (files or {'fake_pkg/data/a.txt': b'alpha'}).items():
            info = tarfile.TarInfo(f'{name}-{version}/{member}')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_sdist_member_extracted_once(tmp_path):
    archive = _sdist(tmp_path)
    digest = sha256sum(archive)
    path = fetch_package_file('fake-pkg', '1.0', 'fake_pkg/data/a.txt', tmp_path, digest)
    assert path == tmp_path / 'fake-pkg-1.0' / 'fake_pkg' / 'data' / 'a.txt'
    assert path.read_bytes() == b'alpha'
    archive.unlink()  # the extracted file is reused without the archive
    assert fetch_package_file('fake-pkg', '1.0', 'fake_pkg/data/a.txt', tmp_path) == path


def test_wheel_member(tmp_path):
    with zipfile.ZipFile(tmp_path / 'fake_pkg-2.0-py3-none-any.whl', 'w') as zf:
        zf.writestr('fake_pkg/b.txt', b'beta')
    path = fetch_package_file('fake-pkg', '2.0', 'fake_pkg/b.txt', tmp_path, dist='wheel')
    assert path.read_bytes() == b'beta'


def test_sha256_mismatch(tmp_path):
    archive = _sdist(tmp_path)
    expected = f'expected an archive with sha256 {"0" * 64}, but {archive} has sha256 '
    with pytest.raises(RuntimeError, match=re.escape(expected + sha256sum(archive))):
        fetch_package_file('fake-pkg', '1.0', 'fake_pkg/data/a.txt', tmp_path, '0' * 64)
    assert not (tmp_path / 'fake-pkg-1.0').exists()


def test_missing_member_and_bad_paths(tmp_path):
    archive = _sdist(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"{archive} has no file 'fake_pkg/none.txt'")):
        fetch_package_file('fake-pkg', '1.0', 'fake_pkg/none.txt', tmp_path)
    with pytest.raises(ValueError, match='relative path inside the archive'):
        fetch_package_file('fake-pkg', '1.0', '../outside.txt', tmp_path)


def test_pip_failure_is_explained(tmp_path, monkeypatch):
    # no index and no local wheels: pip fails at once, without the network
    monkeypatch.setenv('PIP_NO_INDEX', '1')
    monkeypatch.setenv('PIP_FIND_LINKS', str(tmp_path))
    with pytest.raises(RuntimeError, match=r'pip could not download the sdist of '
                                           r'no-such-pkg==0\.1 \(is the package registry'):
        fetch_package_file('no-such-pkg', '0.1', 'x.txt', tmp_path / 'cache')


def test_sdist_whose_setup_needs_numpy_is_fetched(tmp_path, monkeypatch):
    # like menpo3d's, this setup.py imports numpy while pip prepares its metadata: an
    # isolated build environment has no numpy (nor, offline, setuptools) and would fail
    setup = (b'import numpy\nfrom setuptools import setup\n'
             b'setup(name="needs-numpy", version="0.3", packages=[])\n')
    links = tmp_path / 'links'
    links.mkdir()
    _sdist(links, 'needs_numpy', '0.3', {'setup.py': setup, 'needs_numpy/c.txt': b'gamma'})
    monkeypatch.setenv('PIP_NO_INDEX', '1')
    monkeypatch.setenv('PIP_FIND_LINKS', str(links))
    path = fetch_package_file('needs-numpy', '0.3', 'needs_numpy/c.txt', tmp_path / 'cache')
    assert path.read_bytes() == b'gamma'
