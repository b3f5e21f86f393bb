"""The VMT paper's comparison at CPU scale (``tools/analysis_tools/
demo_benchmark.py``): every method on the demo backbone, data and schedule.

* :mod:`.transplant`: one method's full config -> its demo config
  (:func:`to_demo_config`), from the demo config, the one source of truth;
* :mod:`.methods`: the methods (rows) and their full configs;
* :mod:`.runs`: one in-process training run and what it records;
* :mod:`.benchmark`: the demo adjusted once, every method and seed run;
* :mod:`.summary`: single-task baseline, delta_m, mean and spread over
  seeds, the Markdown table.
"""
from .benchmark import (DEFAULT, method_configs, prepare_demo, run_benchmark,
                        swin_checkpoint_of)
from .methods import (BENCHMARKS, QUICK_METHODS, SINGLE_TASK, Method,
                      demo_config_of, methods_of, select_methods)
from .runs import median_after_warmup, read_metrics, run_config, train_run
from .summary import (format_table, metric_key, single_task_baseline, stats,
                      summarize, table_notes)
from .transplant import (KEEP, find_swin, set_schedule, set_swin_checkpoint,
                         to_demo_config)

__all__ = [
    'DEFAULT', 'method_configs', 'prepare_demo', 'run_benchmark',
    'swin_checkpoint_of', 'BENCHMARKS', 'QUICK_METHODS', 'SINGLE_TASK',
    'Method', 'demo_config_of', 'methods_of', 'select_methods',
    'median_after_warmup', 'read_metrics', 'run_config', 'train_run',
    'format_table', 'metric_key', 'single_task_baseline', 'stats', 'summarize',
    'table_notes', 'KEEP', 'find_swin', 'set_schedule', 'set_swin_checkpoint',
    'to_demo_config'
]
