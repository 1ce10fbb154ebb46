"""tools/install.sh's choice of mmcv build, run against a stand-in Python that records each
call: with a GPU it rebuilds a CPU-only mmcv for that GPU's architecture only, without the
wheel cache; without one it keeps the mmcv it finds."""
import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: answers like a Python whose torch sees a GPU of capability 9.0 (or none) and whose mmcv
#: has CPU ops only until pip reinstalls it
STAND_IN = """#!/usr/bin/env bash
echo "$* | FORCE_CUDA=${FORCE_CUDA:-} TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-}" >> "$LOG"
case "$*" in
  *get_device_capability*) [ "$GPU" = 1 ] && echo 9.0 || echo; exit 0 ;;
  *get_compiling_cuda_version*) [ -e "$STATE" ] && exit 0 || exit 1 ;;
  *"-m pip install"*mmcv.txt*) touch "$STATE"; exit 0 ;;
esac
exit 0
"""


def _install(tmp_path, gpu):
    python = tmp_path / 'python'
    python.write_text(STAND_IN)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / 'calls.log'
    env = dict(os.environ, PYTHON=str(python), LOG=str(log), STATE=str(tmp_path / 'built'),
               GPU=str(int(gpu)))
    env.pop('FORCE_CUDA', None)
    env.pop('TORCH_CUDA_ARCH_LIST', None)
    done = subprocess.run(['bash', 'tools/install.sh'], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    mmcv_calls = [line for line in log.read_text().splitlines()
                  if '-m pip install' in line and 'mmcv.txt' in line]
    return done.stdout, mmcv_calls


def test_a_gpu_machine_rebuilds_a_cpu_only_mmcv_for_its_architecture(tmp_path):
    out, mmcv_calls = _install(tmp_path, gpu=True)
    assert 'compiling with CUDA ops for TORCH_CUDA_ARCH_LIST=9.0' in out
    assert len(mmcv_calls) == 1
    call = mmcv_calls[0]
    assert '--no-cache-dir' in call and '--force-reinstall' in call
    assert call.endswith('FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=9.0')
    assert 'mmcv compiled in' in out


def test_a_cpu_machine_keeps_the_mmcv_it_finds(tmp_path):
    out, mmcv_calls = _install(tmp_path, gpu=False)
    assert 'mmcv 2.1.0 with ops: present' in out and not mmcv_calls
