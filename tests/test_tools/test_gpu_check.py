"""tools/analysis_tools/gpu_check.py in its CI form (``--device cpu``, small sizes): every
check passes, and a check that fails is reported as FAIL while the others still run.

The script runs as a subprocess from a scratch folder (it finds the configs, tools and scan
cache of this checkout itself), with this checkout's package first on the path.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'tools' / 'analysis_tools' / 'gpu_check.py'
CHECKS = ['data', 'parity', 'train fp32', 'train amp', 'validation', 'tta', 'inferencer',
          'timing']
#: one timed step, one small TTA scale, 256 px images: about a minute on 2 CPU cores
SMALL = ['--device', 'cpu', '--size', '256', '--tta-scales', '200', '--repeat', '1',
         '--warmup', '0']


def _run(folder, *args):
    """(exit code, {check: (PASS or FAIL, details)} in printed order, summary line, output)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')]))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=path)
    result = subprocess.run([sys.executable, str(SCRIPT), *SMALL, '--work-dir',
                             str(folder / 'work'), *args], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=600)
    checks = {name: (status, details) for status, name, details in
              re.findall(r'^\[(PASS|FAIL)\] ([\w ]+?): (.*)$', result.stdout, re.M)}
    summary = re.findall(r'^SUMMARY: .*$', result.stdout, re.M)
    output = result.stdout + result.stderr[-5000:]
    return result.returncode, checks, summary[-1] if summary else '', output


def test_every_check_passes_on_the_cpu(tmp_path):
    code, checks, summary, output = _run(tmp_path, '--iters', '2')
    assert list(checks) == CHECKS, output
    assert all(status == 'PASS' for status, _ in checks.values()), output
    assert summary.startswith(f'SUMMARY: all {len(CHECKS)} checks passed on cpu'), output
    assert code == 0, output
    # the numbers the lines promise
    assert re.search(r'(\d+)/\1 of the CPU\'s best detections matched', checks['parity'][1])
    for name in ('train fp32', 'train amp'):
        assert re.search(r'(\d+)/\1 trainable parameters with a finite gradient; 2 train steps',
                         checks[name][1]), checks[name]
    assert 'bfloat16 autocast' in checks['train amp'][1]
    assert re.search(r'val_loss \d+\.\d+', checks['validation'][1])
    assert re.search(r'train step [\d.]+ s on cpu', checks['timing'][1])


def test_a_failing_check_is_reported_and_the_others_run(tmp_path):
    """A damaged ``--checkpoint``: the checks that load it fail, naming the file; the data
    and training checks pass; the summary lists the failures and the exit code is 1."""
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(b'not a checkpoint')
    code, checks, summary, output = _run(tmp_path, '--iters', '1', '--checkpoint', str(broken))
    assert list(checks) == CHECKS, output
    loading = ['parity', 'validation', 'tta', 'inferencer', 'timing']
    for name in CHECKS:
        status, details = checks[name]
        assert status == ('FAIL' if name in loading else 'PASS'), (name, output)
        if name in loading:
            assert str(broken) in details and 'damaged or incomplete' in details, details
    assert summary.startswith(f'SUMMARY: {len(loading)} of {len(CHECKS)} checks FAILED '
                              f'({", ".join(loading)})'), output
    assert code == 1, output
