"""Inference APIs give the files ``tools/test.py --out`` writes (issue 8).

Same images (the val split), same trained checkpoint: mmvmt's
``MultiTaskInferencer`` (on the trainable-only checkpoint the test tool
read) and mmseg's ``init_model`` + ``inference_model`` (on the full
checkpoint with the run's meta) write byte-identical prediction files.
"""
import filecmp
import os
import os.path as osp

import torch
from tool_runs import PASCAL_TASKS

from mmvmt.apis import MultiTaskInferencer, read_checkpoint, write_predictions
from mmvmt.engine.hooks.trainable_checkpoint_hook import \
    TRAINABLE_ONLY_META_KEY


def val_images(pascal_root):
    with open(osp.join(pascal_root, 'ImageSets', 'Context', 'val.txt')) as f:
        ids = f.read().split()
    return [osp.join(pascal_root, 'JPEGImages', f'{i}.jpg') for i in ids]


def assert_same_files(out, tested):
    reference = osp.join(tested, 'out')
    for task in PASCAL_TASKS:
        files = sorted(os.listdir(osp.join(reference, task)))
        assert files and sorted(os.listdir(osp.join(out, task))) == files
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(out, task),
            osp.join(reference, task),
            files,
            shallow=False)
        assert match == files, (task, mismatch, errors)


def test_multitask_inferencer_matches_test_tool(tmp_path, trained, tested,
                                                pascal_root):
    inferencer = MultiTaskInferencer(
        trained['config'], weights=trained['checkpoint'], device='cpu')
    out = str(tmp_path / 'out')
    result = inferencer(val_images(pascal_root), out_dir=out)
    assert all(tuple(p) == PASCAL_TASKS for p in result['predictions'])
    assert_same_files(out, tested)


def test_mmseg_inference_model_matches_test_tool(tmp_path, trained, tested,
                                                 pascal_root):
    from mmseg.apis import inference_model, init_model

    # A full checkpoint as tools/train.py writes it without --adapter-only
    # (mmseg's init_model cannot complete a trainable-only one).
    meta = dict(read_checkpoint(trained['checkpoint'])['meta'])
    meta.pop(TRAINABLE_ONLY_META_KEY)
    full = str(tmp_path / 'full.pth')
    state = read_checkpoint(trained['full_checkpoint'])['state_dict']
    torch.save(dict(state_dict=state, meta=meta), full)
    model = init_model(trained['config'], full, device='cpu')
    out = str(tmp_path / 'out')
    for path in val_images(pascal_root):
        sample = inference_model(model, path)
        stem = osp.splitext(osp.basename(path))[0]
        write_predictions(sample, out, stem)
    assert_same_files(out, tested)
