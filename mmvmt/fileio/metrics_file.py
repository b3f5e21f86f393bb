"""``metrics.json``: a run's final metrics, as ``tools/test.py --out`` writes.

The format: one JSON object (UTF-8) mapping each metric key, e.g.
``"semseg/mIoU"`` or ``"multitask/delta_m"``, to a number (``NaN`` where a
metric is undefined, as Python's ``json`` writes it). Written by
``MultiTaskOutputHook``; read by ``tools/analysis_tools/make_baseline.py``.
"""
import json
import os
from typing import Dict, Mapping, Union

__all__ = ['read_metrics_file', 'write_metrics_file']

PathLike = Union[str, 'os.PathLike[str]']


def read_metrics_file(path: PathLike) -> Dict[str, float]:
    """Read a ``metrics.json``.

    Args:
        path: The file.

    Returns:
        dict: Key -> value (float), in file order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        OSError: If it cannot be read (the message names the file).
        ValueError: If it is not JSON or not an object of numbers (the
            message names the file and key).
    """
    name = os.fspath(path)
    try:
        with open(name, encoding='utf-8') as f:
            text = f.read()
    except FileNotFoundError as err:
        raise FileNotFoundError(f'metrics file {name!r} does not exist; '
                                'tools/test.py --out DIR writes '
                                'DIR/metrics.json') from err
    except (OSError, UnicodeDecodeError) as err:
        raise OSError(f'cannot read metrics file {name!r}: {err}') from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ValueError(
            f'metrics file {name!r} is not valid JSON: {err}') from err
    if not isinstance(data, Mapping):
        raise ValueError(f'metrics file {name!r} must hold a JSON object '
                         f'"<task>/<metric>": number, got '
                         f'{type(data).__name__}')
    metrics = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f'metrics file {name!r}: {key!r} must be a '
                             f'number, got {value!r}')
        metrics[key] = float(value)
    return metrics


def write_metrics_file(path: PathLike, metrics: Mapping[str, float]) -> None:
    """Write a ``metrics.json`` (its directory must exist).

    Args:
        path: Output file.
        metrics: Key -> number (converted with ``float``).

    Raises:
        OSError: If the file cannot be written.
    """
    with open(os.fspath(path), 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
