"""tools/slurm_*.sh with a stub ``srun`` on PATH: command line and env."""
import json
import os
import os.path as osp
import stat
import subprocess

import pytest
from tool_runs import REPO

STUB = '''#!/usr/bin/env python3
import json, os, sys
with open(os.environ['SRUN_RECORD'], 'w') as f:
    json.dump(dict(argv=sys.argv[1:], env={
        k: os.environ.get(k) for k in ('PYTHONPATH', 'MASTER_PORT')}), f)
'''


@pytest.fixture
def srun(tmp_path):
    """A fake ``srun`` that records its arguments and environment."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    path = bin_dir / 'srun'
    path.write_text(STUB)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    record = str(tmp_path / 'record.json')

    def run(script, *args, **env):
        full_env = dict(
            os.environ,
            PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
            SRUN_RECORD=record,
            PYTHONPATH='/elsewhere',
            **env)
        for key in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS',
                    'PORT'):
            if key not in env:
                full_env.pop(key, None)
        subprocess.run(['bash', osp.join('tools', script), *args],
                       cwd=REPO,
                       env=full_env,
                       check=True,
                       capture_output=True,
                       timeout=30)
        with open(record) as f:
            return json.load(f)

    return run


def test_slurm_train_passes_the_job_shape_and_port(srun):
    got = srun(
        'slurm_train.sh',
        'gpu_part',
        'vmt',
        'configs/vmt/swin-t_pascal.py',
        '--adapter-only',
        '--work-dir',
        'w',
        GPUS='8',
        GPUS_PER_NODE='2',
        CPUS_PER_TASK='3',
        SRUN_ARGS='--quotatype=auto --exclusive',
        PORT='29612')
    assert got['argv'] == [
        '-p', 'gpu_part', '--job-name=vmt', '--gres=gpu:2', '--ntasks=8',
        '--ntasks-per-node=2', '--cpus-per-task=3', '--kill-on-bad-exit=1',
        '--quotatype=auto', '--exclusive', 'python', '-u', 'tools/train.py',
        'configs/vmt/swin-t_pascal.py', '--launcher=slurm', '--adapter-only',
        '--work-dir', 'w'
    ]
    assert got['env']['MASTER_PORT'] == '29612'
    assert got['env']['PYTHONPATH'] == 'tools/..:/elsewhere'


def test_slurm_scripts_defaults(srun):
    got = srun('slurm_test.sh', 'p', 'j', 'c.py', 'k.pth')
    assert got['argv'] == [
        '-p', 'p', '--job-name=j', '--gres=gpu:4', '--ntasks=4',
        '--ntasks-per-node=4', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'python', '-u', 'tools/test.py', 'c.py', 'k.pth', '--launcher=slurm'
    ]
    assert got['env']['MASTER_PORT'] == '29500'
