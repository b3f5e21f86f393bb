"""Inference APIs (OpenMMLab's ``apis``: build a model, run it on images).

* :class:`MultiTaskInferencer`: every task's prediction as numpy maps for
  image paths, folders or arrays; optional files and drawings.
* :func:`show_result_pyplot`: mmseg's drawing function for multi-task
  results.
* mmseg's own ``init_model`` / ``inference_model`` work with every mmvmt
  config too (they return a ``MultiTaskDataSample``; see the README).
* Task packs (:mod:`.task_packs`): save a task added to a trained model as
  a small file; compose a model from a base checkpoint and packs.
"""
from .inferencer import MultiTaskInferencer, config_names, resolve_config
from .outputs import prediction_arrays, write_predictions
from .show import show_result_pyplot
from .task_packs import (TaskPackMismatchError, compose_config, compose_model,
                         load_task_packs, read_task_pack, save_task_pack)
from .weights import load_inference_weights, read_checkpoint

__all__ = [
    'MultiTaskInferencer', 'config_names', 'resolve_config',
    'prediction_arrays', 'write_predictions', 'show_result_pyplot',
    'load_inference_weights', 'read_checkpoint', 'TaskPackMismatchError',
    'compose_config', 'compose_model', 'load_task_packs', 'read_task_pack',
    'save_task_pack'
]
