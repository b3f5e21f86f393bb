"""Runner hooks, the optimizer constructor, checkpoint fit checks, the
config check of data tasks against heads."""
from .checkpoint_fit import *  # noqa: F401,F403
from .hooks import *  # noqa: F401,F403
from .optim_constructor import *  # noqa: F401,F403
from .task_lists import *  # noqa: F401,F403
