"""mmvmt: parameter-efficient multi-task dense prediction for MMSegmentation.

Importing the package registers every mmvmt module into mmseg's registries
(configs load it with ``custom_imports = dict(imports=['mmvmt'])``) and makes
runner checkpoints loadable under torch >= 2.6 (see
:mod:`mmvmt.utils.checkpoint_compat`).
"""
# isort: off
from .utils import checkpoint_compat  # noqa: F401  (must come first)
from . import (  # noqa: F401
    apis, datasets, engine, evaluation, models, structures, visualization)
# isort: on
from .tasks import TASKS, TaskSpec, check_tasks, get_task
from .version import __version__

__all__ = ['__version__', 'TASKS', 'TaskSpec', 'get_task', 'check_tasks']
