"""A CheckpointHook that never loses the last complete checkpoint.

mmengine's ``CheckpointHook`` deletes the oldest kept checkpoint (and the
previous best one) *before* writing the new one, and writes files in place:
a crash or a full disk during the write leaves a partial file and, with
``max_keep_ckpts=1``, no complete checkpoint at all while
``last_checkpoint`` points at a deleted file.

:class:`SafeCheckpointHook` keeps every behaviour and argument of
``CheckpointHook`` and changes the order: (1) the new checkpoint is written
atomically (:class:`~mmvmt.utils.checkpoint_io.AtomicLocalBackend`: temporary
file in the same folder, fsync, rename), (2) ``last_checkpoint`` is updated
atomically, (3) only then are outdated and previous best checkpoints
deleted. Leftover temporary files of a killed run are removed when training
starts.
"""
import os
import os.path as osp
from typing import Any, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from ...utils.checkpoint_io import (ATOMIC_BACKEND, atomic_write_bytes,
                                    is_temporary_file)

__all__ = ['SafeCheckpointHook']


class _DeferredRemovals:
    """A file backend proxy that records removals instead of doing them."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.paths: List[str] = []

    def remove(self, path: str) -> None:
        self.paths.append(path)

    def rmtree(self, path: str) -> None:
        self.paths.append(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def _is_local(path: Optional[str]) -> bool:
    return path is None or '://' not in str(path)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` with atomic writes and deletion after the write.

    Same arguments as :class:`mmengine.hooks.CheckpointHook`. For a local
    ``out_dir`` (the default: the work dir) without ``backend_args``, the
    checkpoints are written through the ``'local_atomic'`` backend.
    """

    def __init__(self, *args, **kwargs) -> None:
        if (kwargs.get('backend_args') is None
                and kwargs.get('file_client_args') is None
                and _is_local(kwargs.get('out_dir'))):
            kwargs['backend_args'] = dict(backend=ATOMIC_BACKEND)
        super().__init__(*args, **kwargs)

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then drop temporary files of a crash."""
        super().before_train(runner)
        if is_main_process() and _is_local(self.out_dir) and osp.isdir(
                self.out_dir):
            for name in os.listdir(self.out_dir):
                if is_temporary_file(name):
                    os.remove(osp.join(self.out_dir, name))
                    runner.logger.info(
                        f'removed {name}, a partial checkpoint of an '
                        'interrupted write')

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # DeepSpeed checkpoints
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Write checkpoint ``step``, then ``last_checkpoint``, then delete
        the outdated one (mmengine deletes first)."""
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write_bytes(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        for old in outdated:
            self._remove(
                self.file_backend.join_path(self.out_dir,
                                            self.filename_tmpl.format(old)))

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """mmengine's best-checkpoint logic; the previous best file is
        deleted only after the new one is written."""
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        # A new best at the same step has the name of the one it replaces.
        keep = {
            self.last_ckpt,
            getattr(self, 'best_ckpt_path', None),
            *getattr(self, 'best_ckpt_path_dict', {}).values()
        }
        for path in deferred.paths:
            if path not in keep:
                self._remove(path)
