"""MultiTaskMetric: keys, tasks, input contract, batching, collection,
memory."""
import logging
import math
from itertools import chain, zip_longest

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmvmt.evaluation import MultiTaskMetric
from mmvmt.structures import MultiTaskDataSample
from mmvmt.tasks import TASKS

PASCAL = ('semseg', 'human_parts', 'sal', 'normals')
ALL = PASCAL + ('depth', 'edge')
BASELINE = dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97)
OPTIONS = dict(semseg=dict(num_classes=21), human_parts=dict(num_classes=7))


def _metric(tasks=PASCAL, **kwargs):
    kwargs.setdefault('task_options', {
        t: o
        for t, o in OPTIONS.items() if t in tasks
    })
    return MultiTaskMetric(tasks=tasks, **kwargs)


def _samples(random_sample, rng, num, size=24, tasks=PASCAL):
    return [random_sample(rng, i, size, size + 8, tasks) for i in range(num)]


def _run(metric, samples, splits):
    start = 0
    for size in splits:
        metric.process({}, samples[start:start + size])
        start += size
    assert start == len(samples)
    return metric.evaluate(len(samples))


def _meta(tasks):
    """Dataset meta as the mmvmt datasets give it (numeric class names)."""
    return dict(
        tasks=tuple(tasks),
        task_classes=dict(
            semseg=[f's{i}' for i in range(21)],
            human_parts=[f'p{i}' for i in range(7)]))


def test_keys(random_sample, rng):
    metric = MultiTaskMetric(
        tasks=PASCAL, baseline=BASELINE, task_options=OPTIONS)
    res = _run(metric, _samples(random_sample, rng, 3), [3])
    assert set(res) == {
        'semseg/mIoU', 'semseg/aAcc', 'human_parts/mIoU', 'human_parts/aAcc',
        'sal/mIoU', 'sal/maxF', 'sal/maxF_astmt', 'sal/maxF_beta',
        'normals/mean', 'normals/median', 'normals/rmse', 'normals/11.25',
        'normals/22.5', 'normals/30', 'multitask/delta_semseg',
        'multitask/delta_human_parts', 'multitask/delta_sal',
        'multitask/delta_normals', 'multitask/delta_m'
    }
    assert metric.results == []  # cleared by BaseMetric.evaluate
    deltas = [res[f'multitask/delta_{t}'] for t in PASCAL]
    assert res['multitask/delta_m'] == pytest.approx(sum(deltas) / 4)
    assert res['multitask/delta_normals'] == pytest.approx(
        -(res['normals/mean'] - 17.97) / 17.97 * 100)


def test_all_tasks_and_prefix(random_sample, rng):
    metric = _metric(ALL, prefix='val')
    res = _run(metric, _samples(random_sample, rng, 2, tasks=ALL), [2])
    assert {
        'val/depth/rmse', 'val/depth/abs_rel', 'val/depth/log_rmse',
        'val/edge/odsF'
    } <= set(res)
    assert not any(k.startswith('val/multitask') for k in res)
    assert all(k.startswith('val/') for k in res)
    # exactly the metrics the task table gives directions for
    assert set(res) == {
        f'val/{task}/{name}'
        for task in ALL
        for name in TASKS[task].higher_is_better
    }


def test_end_to_end_hand_computed(sample_factory):
    # semseg: 3 classes, same maps as the class evaluator test
    # sal: IoU 1 at every threshold; normals: 45 deg and 0 deg
    sample = sample_factory(
        'a.jpg',
        gts=dict(
            semseg=torch.tensor([[[0, 0, 1], [2, 255, 1]]]),
            sal=torch.tensor([[[1, 0]]]),
            normals=torch.tensor([[[0.]], [[0.]], [[1.]]]).repeat(1, 1, 2)),
        preds=dict(
            semseg=torch.tensor([[[0, 1, 1], [2, 0, 0]]]),
            sal=torch.tensor([[[0.99, 0.0]]]),
            normals=torch.tensor([[[1., 0.]], [[0., 0.]], [[1., 1.]]])))
    metric = MultiTaskMetric(
        tasks=('semseg', 'sal', 'normals'),
        baseline=dict(semseg=50.0, normals=dict(metric='median', value=25.0)),
        task_options=dict(semseg=dict(num_classes=3)))
    metric.process({}, [sample])
    res = metric.evaluate(1)
    assert res['semseg/mIoU'] == pytest.approx(500 / 9)
    assert res['sal/mIoU'] == pytest.approx(100)
    assert res['normals/mean'] == pytest.approx(22.5)
    assert res['normals/median'] == pytest.approx(22.5, abs=0.01)
    assert res['multitask/delta_semseg'] == pytest.approx(100 / 9)
    assert res['multitask/delta_normals'] == pytest.approx(10, abs=0.05)
    assert 'multitask/delta_sal' not in res


PROTOCOLS = ('exact', 'literature')


def _shorten_gt_normals(samples, factor=0.8):
    """Scale the ground-truth normals (invalid zeros stay zero)."""
    for sample in samples:
        sample['gt_normals']['data'] = sample['gt_normals']['data'] * factor
    return samples


@pytest.mark.parametrize('splits,protocol', [([7], 'exact'),
                                             ([1] * 7, 'exact'),
                                             ([3, 4], 'exact'),
                                             ([2, 2, 3], 'exact'),
                                             ([6, 1], 'exact'),
                                             ([1] * 7, 'literature'),
                                             ([2, 2, 3], 'literature')])
def test_batch_split_does_not_change_results(random_sample, rng, splits,
                                             protocol):
    samples = _shorten_gt_normals(_samples(random_sample, rng, 7, tasks=ALL))
    kwargs = dict(baseline=BASELINE, protocol=protocol)
    reference = _run(_metric(ALL, **kwargs), samples, [7])
    assert _run(_metric(ALL, **kwargs), samples, splits) == reference


def _collect(parts, size):
    """mmengine's collect_results_cpu ordering: interleave, drop padding."""
    ordered = [
        r for r in chain.from_iterable(zip_longest(*parts)) if r is not None
    ]
    return ordered[:size]


@pytest.mark.parametrize('num,world,protocol',
                         [(7, 3, 'exact'), (8, 3, 'exact'), (2, 3, 'exact'),
                          (9, 2, 'exact'), (7, 3, 'literature'),
                          (9, 2, 'literature')])
def test_distributed_collection_matches_single_process(random_sample, rng, num,
                                                       world, protocol):
    samples = _shorten_gt_normals(_samples(random_sample, rng, num, tasks=ALL))
    reference = _run(_metric(ALL, protocol=protocol), samples, [num])
    # DefaultSampler(shuffle=False): pad with the first indices, stride
    total = -(-num // world) * world
    indices = (list(range(num)) * world)[:total]
    parts = []
    for rank in range(world):
        metric = _metric(ALL, protocol=protocol)
        for idx in indices[rank::world]:
            metric.process({}, [samples[idx]])
        parts.append(metric.results)
    collected = _collect(parts, num)
    res = _metric(ALL, protocol=protocol).compute_metrics(collected)
    assert res == pytest.approx(reference, rel=1e-12)


def test_dropping_folded_counts_is_detected(random_sample, rng):
    metric = _metric()
    metric.process({}, _samples(random_sample, rng, 5))
    with pytest.raises(RuntimeError, match='folded'):
        metric.compute_metrics(metric.results[1:])


def test_tasks_default_to_the_dataset_meta(random_sample, rng):
    samples = _samples(random_sample, rng, 3, tasks=ALL)
    reference = _run(_metric(ALL, baseline=BASELINE), samples, [3])
    metric = MultiTaskMetric(baseline=BASELINE)
    metric.dataset_meta = _meta(ALL)
    assert metric.tasks == ALL
    assert _run(metric, samples, [3]) == reference
    # a later dataset with other tasks rebuilds the evaluators
    metric.dataset_meta = _meta(PASCAL)
    assert _run(metric, samples,
                [3]) == _run(_metric(baseline=BASELINE), samples, [3])


def test_without_any_task_list_process_raises(random_sample, rng):
    metric = MultiTaskMetric()
    sample = random_sample(rng, 0, 4, 4, ('sal', ))
    with pytest.raises(ValueError, match="which tasks.*metainfo has 'tasks'"):
        metric.process({}, [sample])
    metric.dataset_meta = dict(classes=('a', 'b'))
    with pytest.raises(ValueError, match=r"keys: \['classes'\]"):
        metric.process({}, [sample])
    with pytest.raises(ValueError, match='which tasks'):
        metric.compute_metrics([])
    metric.dataset_meta = _meta(('sal', ))
    metric.process({}, [sample])
    metric.dataset_meta = dict(classes=('a', 'b'))  # forgets the tasks
    with pytest.raises(ValueError, match='which tasks'):
        metric.tasks


def test_explicit_tasks_must_be_in_the_dataset(random_sample, rng):
    metric = _metric(('semseg', 'sal'))
    with pytest.raises(ValueError, match=r"asks for \['sal'\].*'depth'"):
        metric.dataset_meta = _meta(('semseg', 'depth'))
    # a subset of the dataset's tasks is fine, so is a meta without tasks
    metric.dataset_meta = _meta(ALL)
    metric.dataset_meta = dict(task_classes={})
    assert metric.tasks == ('semseg', 'sal')


@pytest.mark.parametrize('kwargs,match', [
    (dict(baseline=dict(normals=17.97)), r"baseline given for \['normals'\]"),
    (dict(task_options=dict(edge=dict(max_dist=0.011))),
     r"task_options given for \['edge'\]"),
])
def test_baseline_or_options_for_a_task_the_dataset_lacks(kwargs, match):
    metric = MultiTaskMetric(**kwargs)
    with pytest.raises(ValueError, match=match + ".*not evaluated"):
        metric.dataset_meta = _meta(('semseg', 'sal'))


def test_works_with_mmengine_evaluator_and_data_samples(rng, random_sample):
    # tasks and class names reach the metric through Evaluator.dataset_meta
    evaluator = Evaluator(MultiTaskMetric(baseline=BASELINE))
    evaluator.dataset_meta = _meta(PASCAL)
    samples = []
    for i, as_dict in enumerate(_samples(random_sample, rng, 3)):
        sample = MultiTaskDataSample(metainfo=dict(img_path=f'{i}.jpg'))
        for key, field in as_dict.items():
            if key.startswith(('gt_', 'pred_')):
                task = key.split('_', 1)[1]
                setter = (
                    sample.set_task_gt
                    if key.startswith('gt_') else sample.set_task_pred)
                setter(task, field['data'])
        samples.append(sample)
    evaluator.process(data_samples=samples, data_batch=None)
    res = evaluator.evaluate(3)
    same_samples = _samples(random_sample, np.random.default_rng(0), 3)
    direct = _run(_metric(baseline=BASELINE), same_samples, [3])
    assert res == direct
    assert math.isfinite(res['multitask/delta_m'])


def test_missing_fields_raise_key_error(sample_factory):
    metric = MultiTaskMetric(tasks=('sal', 'depth'))
    sample = sample_factory(
        'dir/x.jpg',
        gts=dict(
            sal=torch.zeros(1, 2, 2, dtype=torch.long),
            depth=torch.ones(1, 2, 2)),
        preds=dict(sal=torch.zeros(1, 2, 2)))
    with pytest.raises(KeyError, match=r"'dir/x.jpg' has no 'pred_depth'"):
        metric.process({}, [sample])
    del sample['gt_sal']
    with pytest.raises(KeyError, match="has no 'gt_sal'"):
        metric.process({}, [sample])


def test_malformed_map_error_names_image(sample_factory):
    metric = MultiTaskMetric(tasks=('sal', ))
    sample = sample_factory(
        'dir/y.jpg',
        gts=dict(sal=torch.zeros(1, 2, 2, dtype=torch.long)),
        preds=dict(sal=torch.full((1, 2, 2), 3.0)))
    with pytest.raises(ValueError, match=r"image 'dir/y.jpg'.*\[0, 1\]"):
        metric.process({}, [sample])


def test_configuration_errors():
    with pytest.raises(KeyError, match='unknown task'):
        MultiTaskMetric(tasks=('semseg', 'segm'))
    with pytest.raises(ValueError, match='duplicate'):
        MultiTaskMetric(tasks=('sal', 'sal'))
    with pytest.raises(ValueError, match='not evaluated'):
        MultiTaskMetric(tasks=('sal', ), task_options=dict(depth={}))
    with pytest.raises(TypeError, match=r"task_options\['sal'\]"):
        MultiTaskMetric(tasks=('sal', ), task_options=dict(sal=dict(foo=1)))
    with pytest.raises(ValueError, match='not evaluated'):
        MultiTaskMetric(tasks=('sal', ), baseline=dict(semseg=60.0))
    # unknown names fail at once, even before the tasks are known
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        MultiTaskMetric(baseline=dict(segm=60.0))
    with pytest.raises(KeyError, match="unknown task 'segm'"):
        MultiTaskMetric(task_options=dict(segm={}))
    with pytest.raises(ValueError, match="unknown metric 'odsF'"):
        MultiTaskMetric(baseline=dict(sal=dict(metric='odsF', value=1.0)))


def test_class_names_from_dataset_meta(monkeypatch, random_sample, rng):
    logged = []
    for module in ('multitask_metric', 'class_evaluator'):
        monkeypatch.setattr(
            f'mmvmt.evaluation.metrics.{module}.print_log',
            lambda msg, logger=None: logged.append(msg))
    metric = MultiTaskMetric(baseline=dict(semseg=50.0))
    metric.dataset_meta = dict(
        _meta(('semseg', 'human_parts')),
        classes=[f'voc{i}' for i in range(21)])
    res = _run(
        metric,
        _samples(random_sample, rng, 2, tasks=('semseg', 'human_parts')), [2])
    text = '\n'.join(logged)
    # names from task_classes only; mmseg's 'classes' is not read
    assert 's20' in text and 'p6' in text and 'voc' not in text
    summary = [m for m in logged if m.startswith('multi-task summary')]
    assert len(summary) == 1
    assert f'semseg/mIoU: {res["semseg/mIoU"]:.2f}' in summary[0]
    assert f'delta_m: {res["multitask/delta_m"]:+.2f}%' in summary[0]


def test_results_hold_small_fixed_size_arrays(random_sample, rng,
                                              results_nbytes):

    def stored_bytes(num, size):
        metric = _metric(ALL)
        metric.process({}, _samples(random_sample, rng, num, size, ALL))
        return results_nbytes(metric.results)

    small, large = stored_bytes(20, 24), stored_bytes(20, 64)
    # independent of the image size ...
    assert small == large
    # ... and each extra image adds < 4 KiB (raw 64x72 maps: > 150 KiB)
    per_image = (stored_bytes(40, 24) - small) / 20
    assert per_image < 4096
    assert large / 20 < 32 * 1024


def test_data_samples_accepted_directly(random_sample, rng):
    as_dict = random_sample(rng, 0, 8, 8, ('sal', ))
    sample = MultiTaskDataSample(metainfo=dict(img_path='z.jpg'))
    sample.set_task_gt('sal', as_dict['gt_sal']['data'])
    sample.set_task_pred('sal', as_dict['pred_sal']['data'])
    direct, via_dict = MultiTaskMetric(('sal', )), MultiTaskMetric(('sal', ))
    direct.process({}, [sample])
    via_dict.process({}, [as_dict])
    assert direct.evaluate(1) == via_dict.evaluate(1)


def test_literature_changes_only_normals_and_depth_log(random_sample, rng,
                                                       results_nbytes):
    samples = _shorten_gt_normals(_samples(random_sample, rng, 4, tasks=ALL))
    # the same statistics are kept (test_results_hold_small_fixed_size_arrays)
    stored = []
    for protocol in PROTOCOLS:
        metric = _metric(ALL, protocol=protocol)
        metric.process({}, samples)
        stored.append(results_nbytes(metric.results))
    assert stored[0] == stored[1]
    samples[0]['pred_depth']['data'][0, :3, :3] = 0  # no logarithm
    exact = _run(_metric(ALL, baseline=BASELINE), samples, [4])
    lit = _run(
        _metric(ALL, baseline=BASELINE, protocol='literature'), samples, [4])
    assert set(lit) == set(exact)
    changed = {k for k in exact if lit[k] != exact[k]}
    # normals/30 etc. change too; median within its bin; and the deltas
    assert {
        'normals/mean', 'normals/rmse', 'depth/log_rmse',
        'multitask/delta_normals', 'multitask/delta_m'
    } <= changed
    assert all(
        k.startswith(('normals/', 'multitask/')) or k == 'depth/log_rmse'
        for k in changed)
    # shorter gt vectors only add to the error
    assert lit['normals/mean'] > exact['normals/mean']
    # the reference's floor of 1e-9 makes the zero predictions count
    assert lit['depth/log_rmse'] > exact['depth/log_rmse'] + 0.1


def test_literature_defaults_give_way_to_task_options(random_sample, rng):
    samples = _shorten_gt_normals(_samples(random_sample, rng, 3, tasks=ALL))
    samples[0]['pred_depth']['data'][0, 0, 0] = 0
    options = dict(
        OPTIONS,
        normals=dict(normalize_gt=True),
        depth=dict(log_min_pred=None))
    lit = _run(
        _metric(ALL, task_options=options, protocol='literature'), samples,
        [3])
    assert lit == _run(_metric(ALL), samples, [3])


def test_unknown_protocol_is_an_error():
    with pytest.raises(
            ValueError,
            match=r"MultiTaskMetric: unknown protocol 'literatur'; valid "
            r"protocols: \['exact', 'literature'\]"):
        MultiTaskMetric(tasks=('sal', ), protocol='literatur')


def test_split_without_valid_depth_warns(monkeypatch, sample_factory):
    logged = []
    monkeypatch.setattr(
        'mmvmt.evaluation.metrics.multitask_metric.print_log',
        lambda msg, logger=None, level=logging.INFO: logged.append(
            (level, msg)))
    metric = MultiTaskMetric(tasks=('sal', 'depth'), protocol='literature')
    sample = sample_factory(
        'a.jpg',
        gts=dict(sal=torch.tensor([[[1, 0]]]), depth=torch.zeros(1, 1, 2)),
        preds=dict(
            sal=torch.tensor([[[0.9, 0.1]]]), depth=torch.ones(1, 1, 2)))
    metric.process({}, [sample, sample])
    res = metric.evaluate(2)
    assert math.isnan(res['depth/rmse'])
    assert any(
        m.startswith('multi-task results (literature protocol):')
        for _, m in logged)
    warnings = [m for level, m in logged if level == logging.WARNING]
    assert warnings == [
        'depth: none of the 2 evaluated images has a valid gt_depth pixel; '
        'the depth metrics are undefined'
    ]
