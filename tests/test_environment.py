"""The installed packages are the ones CI tested: every version pinned in
``requirements/constraints.txt``, and every requirement of ``tools/install.sh`` present."""
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REQUIREMENTS = Path(__file__).resolve().parents[1] / 'requirements'
INSTALLED = ('build.txt', 'mmcv.txt', 'runtime.txt', 'tests.txt')


def _requirements(name):
    lines = (line.split('#')[0].strip() for line in (REQUIREMENTS / name).read_text()
             .splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith('-')]


def _installed_version(name):
    try:
        return Version(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


def test_installed_versions_are_the_pinned_ones():
    pins = {canonicalize_name(r.name): r for r in _requirements('constraints.txt')}
    assert all(str(r.specifier).startswith('==') for r in pins.values())
    wrong = []
    for name, pin in pins.items():
        version = _installed_version(name)
        # a local label (torch's +cpu / +cu12x) is the same release
        if version is not None and Version(version.public) not in pin.specifier:
            wrong.append(f'{name} {version} (pinned {pin.specifier})')
    assert not wrong, ('installed versions differ from requirements/constraints.txt: ' +
                       ', '.join(wrong) + '; run bash tools/install.sh --tests')


def test_every_requirement_is_pinned_and_installed():
    pins = {canonicalize_name(r.name) for r in _requirements('constraints.txt')}
    missing, unpinned = [], []
    for name in INSTALLED:
        for requirement in _requirements(name):
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            key = canonicalize_name(requirement.name)
            unpinned += [key] if key not in pins else []
            missing += [key] if _installed_version(key) is None else []
    assert not unpinned, f'not pinned in requirements/constraints.txt: {unpinned}'
    assert not missing, f'not installed: {missing}; run bash tools/install.sh --tests'


def _closure():
    """Canonical names of every package the requirement files pull in, directly or through
    the installed packages' own requirements (their extras left out)."""
    todo = [r for name in INSTALLED for r in _requirements(name)
            if r.marker is None or r.marker.evaluate()]
    seen = set()
    while todo:
        key = canonicalize_name(todo.pop().name)
        if key in seen or _installed_version(key) is None:
            continue
        seen.add(key)
        for line in metadata.requires(key) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({'extra': ''}):
                todo.append(requirement)
    return seen


def test_nothing_is_pinned_that_the_install_does_not_pull_in():
    # a stray pin is checked against whatever else put that package in the environment
    pins = {canonicalize_name(r.name) for r in _requirements('constraints.txt')}
    assert not pins - _closure(), (
        f'pinned in requirements/constraints.txt but required by nothing tools/install.sh '
        f'installs: {sorted(pins - _closure())}')
