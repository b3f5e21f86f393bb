"""Test-only hooks: what each rank trained on, the trained full state."""
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class SampleProbeHook(Hook):
    """Append every training sample's img_path to ``out_dir/rank<r>.jsonl``.

    Args:
        out_dir: Directory of the per-rank files.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        """Record the batch's image paths."""
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, f'rank{get_rank()}.jsonl'), 'a') as f:
            for sample in data_batch['data_samples']:
                f.write(json.dumps(sample.img_path) + '\n')


@HOOKS.register_module()
class SaveFullStateHook(Hook):
    """Save the trained model's full state dict at the end of training.

    ``meta['trainable']`` / ``meta['frozen']`` list the parameters that did
    / did not require gradients, as the training runner's model had them.

    Args:
        path: File to write (a checkpoint ``tools/test.py`` can load).
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def after_train(self, runner) -> None:
        """Write ``dict(state_dict=..., meta=dict(trainable=, frozen=))``."""
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        meta = dict(trainable=[], frozen=[])
        for name, param in model.named_parameters():
            meta['trainable' if param.requires_grad else 'frozen'].append(name)
        torch.save(dict(state_dict=model.state_dict(), meta=meta), self.path)
