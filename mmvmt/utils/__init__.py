"""Utilities: checkpoint loading and atomic writing, DDP on CPU, AMP.

:mod:`mmvmt.utils.param_count` is not imported here: it imports the models,
while this package is imported before anything else.
"""
from .amp import AmpUnavailableError, configure_amp
from .checkpoint_compat import (SAFE_CHECKPOINT_GLOBALS,
                                allow_runner_checkpoints)
from .checkpoint_io import (AtomicLocalBackend, CheckpointReadError,
                            ResumePoint, atomic_write_bytes,
                            find_resume_checkpoint, load_local_checkpoint,
                            read_checkpoint_meta)
from .dist import (CPUDistributedDataParallel, finish_distributed,
                   setup_cpu_distributed)

__all__ = [
    'AmpUnavailableError', 'configure_amp', 'SAFE_CHECKPOINT_GLOBALS',
    'allow_runner_checkpoints', 'AtomicLocalBackend', 'CheckpointReadError',
    'ResumePoint', 'atomic_write_bytes', 'find_resume_checkpoint',
    'load_local_checkpoint', 'read_checkpoint_meta',
    'CPUDistributedDataParallel', 'setup_cpu_distributed', 'finish_distributed'
]
