"""metrics.json: round trip (NaN included) and refusals naming the file."""
import math

import pytest

from mmvmt.fileio.metrics_file import read_metrics_file, write_metrics_file


def test_round_trip_keeps_order_and_nan(tmp_path):
    path = tmp_path / 'metrics.json'
    write_metrics_file(path, {'sal/mIoU': 62, 'edge/odsF': float('nan')})
    metrics = read_metrics_file(path)
    assert list(metrics) == ['sal/mIoU', 'edge/odsF']
    assert metrics['sal/mIoU'] == 62.0 and math.isnan(metrics['edge/odsF'])


@pytest.mark.parametrize('text, match', [
    ('{"sal/mIoU": ', 'not valid JSON'),
    ('[1]', 'must hold a JSON object'),
    ('{"sal/mIoU": "62"}', "'sal/mIoU' must be a number"),
    ('{"sal/mIoU": true}', "'sal/mIoU' must be a number"),
])
def test_bad_files_are_refused_naming_the_file(tmp_path, text, match):
    path = tmp_path / 'metrics.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        read_metrics_file(path)
    assert str(path) in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='run/metrics.json'):
        read_metrics_file(tmp_path / 'run' / 'metrics.json')
