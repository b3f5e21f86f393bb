"""Dataset tasks without a head: one warning (backbone tasks without a head
are a build-time error: test_segmentors.py, test_task_modules.py)."""
from mmseg.registry import MODELS
from tiny_models import tiny_model_cfg

import mmvmt.models.segmentors.multitask_encoder_decoder as segmentor_module
from mmvmt.models.segmentors.task_modules import tasks_without_head
from mmvmt.structures import MultiTaskDataSample


def _samples(tasks, n=2):
    return [MultiTaskDataSample(metainfo=dict(tasks=tasks)) for _ in range(n)]


def test_tasks_without_head_in_dataset_order():
    samples = _samples(('depth', 'semseg', 'edge'))
    assert tasks_without_head(samples, ('semseg', )) == ['depth', 'edge']
    assert tasks_without_head(samples, ('edge', 'depth', 'semseg')) == []
    assert tasks_without_head(_samples(None), ('semseg', )) == []


def test_segmentor_warns_once(monkeypatch):
    logged = []
    monkeypatch.setattr(segmentor_module, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    model = MODELS.build(tiny_model_cfg(('semseg', )))
    for _ in range(3):
        model._warn_tasks_without_head(_samples(('semseg', 'depth')))
    assert logged == [
        "the dataset loads task(s) ['depth'] but decode_heads has no head "
        "for them (heads: ['semseg']): they are neither trained nor "
        "predicted. Add a head, or drop them from the dataset's tasks"
    ]
