"""Where a run goes: the command lines of each launcher.

* :class:`LocalLauncher`: ``python tools/train.py`` / ``tools/test.py``,
  one run after another;
* :class:`DistLauncher`: ``tools/dist_train.sh CONFIG N`` /
  ``tools/dist_test.sh``, N GPUs per run, one run after another;
* :class:`SlurmLauncher`: one ``srun`` job per step through
  ``tools/slurm_train.sh`` / ``tools/slurm_test.sh`` (partition, GPUs per
  job, extra ``srun`` arguments), up to ``max_jobs`` runs at once;
* :class:`InProcessLauncher`: the demo's runs in this process (no start-up
  cost per run); its commands are the equivalent local ones, for the
  manifest and ``--dry-run``.

Every command runs from the repository root. A launcher builds commands
only; :mod:`.execute` runs them.
"""
import os
import shlex
import sys
import threading
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from .plan import Run

__all__ = [
    'Command', 'Launcher', 'LocalLauncher', 'DistLauncher', 'SlurmLauncher',
    'InProcessLauncher', 'LAUNCHERS', 'job_name', 'test_dir'
]

#: Scripts, relative to the repository root.
TRAIN, TEST = 'tools/train.py', 'tools/test.py'
EFFICIENCY = 'tools/analysis_tools/benchmark_methods.py'


class Command(NamedTuple):
    """A command line and the environment variables it adds."""

    argv: Tuple[str, ...]
    env: Tuple[Tuple[str, str], ...] = ()

    def shell(self) -> str:
        """The command as one shell line (``K=V ... argv``)."""
        env = [f'{k}={shlex.quote(v)}' for k, v in self.env]
        return ' '.join(env + [shlex.join(self.argv)])

    def environ(self) -> Dict[str, str]:
        """``os.environ`` with the command's variables."""
        return dict(os.environ, **dict(self.env))


def test_dir(run: Run) -> str:
    """Where the test step writes (``<work_dir>/test``)."""
    return os.path.join(run.work_dir, 'test')


def job_name(run: Run, step: str = 'train') -> str:
    """``mmvmt-<key>`` (``/`` -> ``-``), ``-test`` for the test step."""
    name = 'mmvmt-' + run.key.replace('/', '-')
    return name if step == 'train' else f'{name}-{step}'


class Launcher:
    """Builds the train, test and efficiency commands of a run.

    Args:
        cfg_options: ``key=value`` items added to every train and test
            command (``--cfg-options``).
        python: The interpreter of the local commands.
    """

    name = 'local'
    #: Runs launched at once.
    parallel = 1
    #: Whether :mod:`.execute` trains in this process instead.
    in_process = False

    def __init__(self,
                 cfg_options: Sequence[str] = (),
                 python: Optional[str] = None) -> None:
        self.cfg_options = tuple(cfg_options)
        self.python = python or sys.executable

    def train_args(self, run: Run, resume: bool) -> List[str]:
        """The ``tools/train.py`` arguments after the config."""
        args = [
            '--work-dir', run.work_dir, '--cfg-options',
            f'randomness.seed={run.seed}', *self.cfg_options
        ]
        return args + (['--resume'] if resume else [])

    def test_args(self, run: Run) -> List[str]:
        """The ``tools/test.py`` arguments after the checkpoint."""
        args = ['--work-dir', test_dir(run)]
        if self.cfg_options:
            args += ['--cfg-options', *self.cfg_options]
        return args

    def train(self, run: Run, resume: bool = False) -> Command:
        """Train ``run`` (``resume``: from its latest checkpoint)."""
        return Command(
            (self.python, TRAIN, run.config, *self.train_args(run, resume)))

    def test(self, run: Run, checkpoint: str) -> Command:
        """Test ``run`` from ``checkpoint``."""
        return Command(
            (self.python, TEST, run.config, checkpoint, *self.test_args(run)))

    def efficiency(self, run: Run) -> Command:
        """The efficiency run's ``benchmark_methods.py`` call."""
        return Command((self.python, EFFICIENCY, *run.args))


class LocalLauncher(Launcher):
    """``python tools/train.py`` then ``tools/test.py``, sequentially."""


class InProcessLauncher(Launcher):
    """Train and validate in this process (the demo's default)."""

    name = 'inprocess'
    in_process = True


class DistLauncher(Launcher):
    """``tools/dist_train.sh CONFIG GPUS``, one run at a time.

    Args:
        gpus: GPUs per run (torchrun processes).
    """

    name = 'dist'

    def __init__(self, gpus: int, **kwargs) -> None:
        super().__init__(**kwargs)
        if gpus < 1:
            raise ValueError(f'--gpus must be >= 1, got {gpus}')
        self.gpus = gpus

    def train(self, run: Run, resume: bool = False) -> Command:
        return Command(('bash', 'tools/dist_train.sh', run.config,
                        str(self.gpus), *self.train_args(run, resume)))

    def test(self, run: Run, checkpoint: str) -> Command:
        return Command(('bash', 'tools/dist_test.sh', run.config, checkpoint,
                        str(self.gpus), *self.test_args(run)))


class SlurmLauncher(Launcher):
    """One ``srun`` job per step, up to ``max_jobs`` runs at once.

    Args:
        partition: The Slurm partition.
        gpus: GPUs (tasks) per job (``GPUS`` of the scripts).
        gpus_per_node: ``GPUS_PER_NODE`` (default: ``min(gpus, 8)``).
        cpus_per_task: ``CPUS_PER_TASK``.
        srun_args: Extra ``srun`` arguments (``SRUN_ARGS``), one string.
        max_jobs: Runs in flight at once (default 1000: all of them).
        port: First rendezvous port; run i uses ``port + i`` so jobs that
            share a node do not collide.
    """

    name = 'slurm'

    def __init__(self,
                 partition: str,
                 gpus: int = 4,
                 gpus_per_node: Optional[int] = None,
                 cpus_per_task: int = 5,
                 srun_args: str = '',
                 max_jobs: int = 1000,
                 port: int = 29500,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not partition:
            raise ValueError('--partition is required with --launcher slurm')
        if gpus < 1 or max_jobs < 1:
            raise ValueError(f'--gpus and --max-jobs must be >= 1, got '
                             f'{gpus} and {max_jobs}')
        self.partition = partition
        self.gpus = gpus
        self.gpus_per_node = gpus_per_node or min(gpus, 8)
        self.cpus_per_task = cpus_per_task
        self.srun_args = srun_args
        self.parallel = max_jobs
        self.port = port
        self._ports: Dict[str, int] = {}
        self._lock = threading.Lock()

    def _env(self, run: Run, gpus: int) -> Tuple[Tuple[str, str], ...]:
        with self._lock:
            port = self._ports.setdefault(run.key,
                                          self.port + len(self._ports))
        return (('GPUS', str(gpus)), ('GPUS_PER_NODE',
                                      str(min(gpus, self.gpus_per_node))),
                ('CPUS_PER_TASK', str(self.cpus_per_task)),
                ('SRUN_ARGS', self.srun_args), ('PORT', str(port)))

    def train(self, run: Run, resume: bool = False) -> Command:
        return Command(
            ('bash', 'tools/slurm_train.sh', self.partition, job_name(run),
             run.config, *self.train_args(run, resume)),
            self._env(run, self.gpus))

    def test(self, run: Run, checkpoint: str) -> Command:
        return Command(
            ('bash', 'tools/slurm_test.sh', self.partition,
             job_name(run,
                      'test'), run.config, checkpoint, *self.test_args(run)),
            self._env(run, self.gpus))

    def efficiency(self, run: Run) -> Command:
        """One GPU, ``srun`` directly (not a training script)."""
        return Command(('srun', '-p', self.partition,
                        f'--job-name={job_name(run)}', '--gres=gpu:1',
                        '--ntasks=1', f'--cpus-per-task={self.cpus_per_task}',
                        *shlex.split(self.srun_args), 'python', '-u',
                        EFFICIENCY, *run.args))


#: ``--launcher`` name -> class.
LAUNCHERS = dict(
    inprocess=InProcessLauncher,
    local=LocalLauncher,
    dist=DistLauncher,
    slurm=SlurmLauncher)
