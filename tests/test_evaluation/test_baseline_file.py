"""The baseline file: round trip, refusals, and MultiTaskMetric(baseline=PATH)
giving exactly what the equivalent dict gives."""
import json
import pathlib

import numpy as np
import pytest

from mmvmt.evaluation import MultiTaskMetric
from mmvmt.evaluation.metrics.delta_m import load_baseline, parse_baseline
from mmvmt.fileio.baseline_file import (BASELINE_FORMAT, BASELINE_VERSION,
                                        read_baseline_file,
                                        write_baseline_file)

PASCAL = ('semseg', 'human_parts', 'sal', 'normals')
OPTIONS = dict(semseg=dict(num_classes=21), human_parts=dict(num_classes=7))
#: Stored entries; sal's is not the primary metric.
ENTRIES = dict(
    semseg=dict(metric='mIoU', value=67.21),
    human_parts=dict(metric='mIoU', value=61.93),
    sal=dict(metric='maxF', value=80.5),
    normals=dict(metric='mean', value=17.97))


def _write_json(path: pathlib.Path, data) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def _file(tmp_path, **changes) -> str:
    data = dict(
        format=BASELINE_FORMAT, version=BASELINE_VERSION, baseline=ENTRIES)
    data.update(changes)
    return _write_json(tmp_path / 'baseline.json', data)


def test_round_trip_keeps_entries_order_and_sources(tmp_path):
    path = str(tmp_path / 'b.json')
    sources = dict(semseg=dict(metrics_file='/r/metrics.json', sha256='ab'))
    write_baseline_file(path, ENTRIES, sources)
    assert read_baseline_file(path) == ENTRIES
    assert list(read_baseline_file(path)) == list(ENTRIES)
    with open(path) as f:
        raw = json.load(f)
    assert raw['format'] == 'mmvmt-baseline' and raw['version'] == 1
    assert raw['sources'] == sources


def test_file_and_dict_parse_to_the_same_entries(tmp_path):
    assert load_baseline(_file(tmp_path)) == parse_baseline(ENTRIES)
    assert load_baseline(pathlib.Path(
        _file(tmp_path))) == parse_baseline(ENTRIES)
    assert load_baseline(None) == {}


@pytest.mark.parametrize('changes, match', [
    (dict(format='other'), r"\"format\": 'mmvmt-baseline'"),
    (dict(version=2), r'"version": 1, got .* and 2'),
    (dict(baseline={}), r'"baseline" must be a non-empty object'),
    (dict(baseline=dict(semseg=67.2)), r"baseline\['semseg'\] must be"),
    (dict(baseline=dict(sal=dict(metric='maxF', value='80'))),
     r"baseline\['sal'\]\[\"value\"\] must be a finite number"),
    (dict(baseline=dict(sal=dict(metric='', value=80))),
     r"baseline\['sal'\]\[\"metric\"\] must be a metric name"),
])
def test_malformed_files_are_refused_naming_file_and_key(
        tmp_path, changes, match):
    path = _file(tmp_path, **changes)
    with pytest.raises(ValueError, match=match) as err:
        read_baseline_file(path)
    assert path in str(err.value)


def test_unreadable_or_non_json_files_are_refused(tmp_path):
    missing = str(tmp_path / 'none.json')
    with pytest.raises(FileNotFoundError, match='none.json'):
        read_baseline_file(missing)
    with pytest.raises(OSError, match='cannot read baseline file'):
        read_baseline_file(str(tmp_path))  # a directory
    bad = tmp_path / 'bad.json'
    bad.write_text('{"format": ')
    with pytest.raises(ValueError, match='bad.json.*not valid JSON'):
        read_baseline_file(str(bad))
    listed = _write_json(tmp_path / 'list.json', [1, 2])
    with pytest.raises(ValueError, match='list.json.*JSON object'):
        read_baseline_file(listed)


def test_task_table_errors_name_the_file(tmp_path):
    unknown_task = _file(
        tmp_path, baseline=dict(depthh=dict(metric='rmse', value=0.5)))
    with pytest.raises(KeyError, match='baseline.json'):
        load_baseline(unknown_task)
    unknown_metric = _file(
        tmp_path, baseline=dict(normals=dict(metric='mIoU', value=0.5)))
    with pytest.raises(ValueError, match="baseline.json.*unknown metric"):
        load_baseline(unknown_metric)
    negative = _file(
        tmp_path, baseline=dict(normals=dict(metric='mean', value=-1.0)))
    with pytest.raises(ValueError, match='baseline.json.*positive'):
        load_baseline(negative)
    with pytest.raises(TypeError, match='dict task -> value, the path'):
        load_baseline(67.2)


def test_metric_with_path_equals_metric_with_dict(tmp_path, random_sample):
    path = _file(tmp_path)
    results = []
    for baseline in (path, ENTRIES):
        metric = MultiTaskMetric(
            tasks=PASCAL, baseline=baseline, task_options=OPTIONS)
        rng = np.random.default_rng(0)
        samples = [random_sample(rng, i, 16, 20) for i in range(3)]
        metric.process({}, samples)
        results.append(metric.evaluate(len(samples)))
    assert results[0] == results[1]
    assert 'multitask/delta_m' in results[0]
    # sal is compared by the file's metric, not its primary one.
    assert results[0]['multitask/delta_sal'] == pytest.approx(
        (results[0]['sal/maxF'] - 80.5) / 80.5 * 100)


def test_a_file_baseline_for_a_task_not_evaluated_is_refused(tmp_path):
    path = _file(tmp_path)
    with pytest.raises(ValueError, match=f"baseline file '{path}' given for"):
        MultiTaskMetric(tasks=('semseg', ), baseline=path)
    metric = MultiTaskMetric(baseline=path)  # tasks from the dataset
    with pytest.raises(ValueError, match=f"baseline file '{path}' given for"):
        metric.dataset_meta = dict(tasks=('semseg', 'sal'))
