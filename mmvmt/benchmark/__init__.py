"""The paper's comparison table, at CPU scale or full scale, one code path
(``tools/analysis_tools/paper_table.py``; ``make demo-benchmark``).

* :mod:`.methods`: the methods (rows) and their configs per setting
  (``'demo'``, ``'literature'``);
* :mod:`.transplant`: one method's full config -> its demo config
  (:func:`to_demo_config`), from the demo config, the one source of truth;
* :mod:`.plan`: the runs (method x task x seed) with their configs and
  fingerprints;
* :mod:`.launchers`: the commands of each launcher (in process, local,
  ``dist_train.sh``, Slurm);
* :mod:`.manifest`, :mod:`.jobs`: one manifest per run; skip, resume,
  rerun; launch and collect;
* :mod:`.inprocess`: one in-process training run (the demo);
* :mod:`.collect`: what a launched run wrote (checkpoint, metrics, times,
  parameter counts);
* :mod:`.baseline`: single-task runs -> delta_m baseline
  (``make_baseline.py``'s core);
* :mod:`.summary`: delta_m, mean and spread over seeds, separations, the
  Markdown table;
* :mod:`.plots`, :mod:`.published`, :mod:`.budget`, :mod:`.estimate`: the
  two figures, the published values overlaid on the first, iterations for
  a CPU time budget, expected GPU hours (an estimate from counted FLOPs).

Not imported by ``import mmvmt``.
"""
from .baseline import make_baseline, read_run_metrics
from .budget import estimate_seconds, fit_iterations, run_costs
from .collect import (backbone_counts, config_counts, find_checkpoint,
                      read_test_metrics, read_train_times)
from .estimate import (forward_gmacs, gpu_hours, run_gflop,
                       train_gflop_per_image, trains_of)
from .inprocess import median_after_warmup, read_metrics, run_config, train_run
from .jobs import (ChangedRunsError, classify, describe_actions, execute,
                   plan_actions)
from .launchers import (LAUNCHERS, Command, DistLauncher, InProcessLauncher,
                        Launcher, LocalLauncher, SlurmLauncher, job_name)
from .manifest import read_manifest, write_manifest
from .methods import (BENCHMARKS, CNN_REFERENCE, QUICK_METHODS, SETTINGS,
                      SINGLE_TASK, Method, demo_config_of, methods_of,
                      select_methods)
from .plan import (DEFAULT, Run, fingerprint, plan_efficiency, plan_runs,
                   prepare_demo, run_name, swin_checkpoint_of)
from .plots import plot_delta_m_vs_params, plot_time_vs_tasks
from .published import published_results, read_published
from .summary import (finished, format_separations, format_table, metric_key,
                      separations, stats, summarize, table_notes, trivial_rows)
from .transplant import (KEEP, find_swin, set_schedule, set_swin_checkpoint,
                         to_demo_config)

__all__ = [
    'make_baseline', 'read_run_metrics', 'estimate_seconds', 'fit_iterations',
    'run_costs', 'backbone_counts', 'config_counts', 'find_checkpoint',
    'read_test_metrics', 'read_train_times', 'ChangedRunsError', 'classify',
    'describe_actions', 'execute', 'plan_actions', 'median_after_warmup',
    'read_metrics', 'run_config', 'train_run', 'LAUNCHERS', 'Command',
    'DistLauncher', 'InProcessLauncher', 'Launcher', 'LocalLauncher',
    'SlurmLauncher', 'job_name', 'read_manifest', 'write_manifest',
    'BENCHMARKS', 'CNN_REFERENCE', 'QUICK_METHODS', 'SETTINGS', 'SINGLE_TASK',
    'Method', 'demo_config_of', 'methods_of', 'select_methods', 'DEFAULT',
    'Run', 'fingerprint', 'plan_efficiency', 'plan_runs', 'prepare_demo',
    'run_name', 'swin_checkpoint_of', 'plot_delta_m_vs_params',
    'plot_time_vs_tasks', 'published_results', 'read_published', 'finished',
    'format_separations', 'format_table', 'metric_key', 'separations', 'stats',
    'summarize', 'table_notes', 'trivial_rows', 'KEEP', 'find_swin',
    'set_schedule', 'set_swin_checkpoint', 'to_demo_config', 'forward_gmacs',
    'gpu_hours', 'run_gflop', 'train_gflop_per_image', 'trains_of'
]
