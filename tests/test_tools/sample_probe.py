"""A test-only hook recording which images each rank trained on."""
import json
import os
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class SampleProbeHook(Hook):
    """Append every training sample's img_path to ``out_dir/rank<r>.jsonl``."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, f'rank{get_rank()}.jsonl'),
                  'a') as f:
            for sample in data_batch['data_samples']:
                f.write(json.dumps(sample.img_path) + '\n')
