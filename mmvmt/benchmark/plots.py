"""The table's two figures (matplotlib, drawn without pyplot's state).

* :func:`plot_delta_m_vs_params`: delta_m against trainable backbone
  parameters, one point per method with error bars over seeds (the VMT
  paper's Figure 1 style). The x axis is symmetric-log: logarithmic above
  1,000 parameters, linear below, so decoder-only (0) has a place. Published
  values, where given, are hollow grey diamonds labelled "published".
* :func:`plot_time_vs_tasks`: training-step and inference time against the
  number of tasks T, one line per method, from the JSON of
  ``tools/analysis_tools/benchmark_methods.py`` (the O(1) claim).
"""
from typing import Mapping, Optional, Sequence, Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ['plot_delta_m_vs_params', 'plot_time_vs_tasks']

#: A published value: ``(label, parameters, delta_m)``.
Point = Tuple[str, float, float]
#: Below this many parameters the x axis is linear.
LINEAR_BELOW = 1000


def _save(fig: Figure, path: str) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120, bbox_inches='tight')


def plot_delta_m_vs_params(rows: Sequence[Mapping],
                           path: str,
                           title: str,
                           published: Sequence[Point] = ()) -> int:
    """Draw delta_m against trainable backbone parameters.

    Args:
        rows: Summary rows (:func:`.summary.summarize`); rows without
            delta_m or a parameter count are left out.
        path: The image file to write.
        title: The figure's title.
        published: ``(label, parameters, delta_m)`` of published values.

    Returns:
        int: The number of points drawn (ours).
    """
    fig = Figure(figsize=(7.5, 5))
    ax = fig.add_subplot()
    drawn, largest = 0, LINEAR_BELOW
    for row in rows:
        if 'delta_m' not in row or row.get('backbone_trainable') is None:
            continue
        stat = row['delta_m']
        ax.errorbar(
            row['backbone_trainable'],
            stat['mean'],
            yerr=stat['spread'] or 0.0,
            fmt='o',
            capsize=3)
        ax.annotate(
            row['label'], (row['backbone_trainable'], stat['mean']),
            textcoords='offset points',
            xytext=(4, 4),
            fontsize=7)
        drawn += 1
        largest = max(largest, row['backbone_trainable'])
    for i, (label, params, value) in enumerate(published):
        ax.scatter(
            params,
            value,
            marker='D',
            facecolors='none',
            edgecolors='grey',
            label='published (not ours)' if i == 0 else None)
        ax.annotate(
            f'{label} (published)', (params, value),
            textcoords='offset points',
            xytext=(4, -10),
            fontsize=7,
            color='grey')
        largest = max(largest, params)
    ax.axhline(0.0, color='black', linewidth=0.5)
    ax.set_xscale('symlog', linthresh=LINEAR_BELOW)
    decades = range(3, len(str(int(largest))) + 1)
    ax.set_xticks([0] + [10**d for d in decades])
    ax.set_xlim(-LINEAR_BELOW / 2, largest * 8)
    ax.set_xlabel('trainable backbone parameters (symlog: linear below '
                  f'{LINEAR_BELOW:,})')
    ax.set_ylabel('Δm (%) vs single-task, mean ± std over seeds')
    ax.set_title(title, fontsize=10)
    if published:
        ax.legend(fontsize=7, loc='best')
    _save(fig, path)
    return drawn


def plot_time_vs_tasks(results: Sequence[Mapping],
                       path: str,
                       title: str,
                       methods: Optional[Sequence[str]] = None) -> int:
    """Draw training-step and inference time against T.

    Args:
        results: ``results`` of a ``benchmark_methods.py --json`` file
            (``method``, ``tasks``, ``train_step_ms``, ``forward_ms``).
        path: The image file to write.
        title: The figure's title (say the device and input size).
        methods: Methods to draw (None: all).

    Returns:
        int: The number of lines drawn per panel.

    Raises:
        ValueError: If no result has times.
    """
    series = {}
    for res in results:
        if methods is not None and res['method'] not in methods:
            continue
        if 'train_step_ms' not in res and 'forward_ms' not in res:
            continue
        series.setdefault(res['method'], []).append(res)
    if not series:
        raise ValueError('no timed benchmark_methods result to draw')
    fig = Figure(figsize=(10, 4))
    panels = (('train_step_ms', 'training step (ms)'),
              ('forward_ms', 'inference forward (ms)'))
    for i, (key, label) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        for method, entries in series.items():
            entries = sorted((e for e in entries if key in e),
                             key=lambda e: e['tasks'])
            ax.plot([e['tasks'] for e in entries], [e[key] for e in entries],
                    marker='o',
                    label=method)
        ax.set_xticks(
            sorted({e['tasks']
                    for es in series.values()
                    for e in es}))
        ax.set_xlabel('number of tasks T')
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    _save(fig, path)
    return len(series)
