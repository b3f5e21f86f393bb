"""Runner hooks, the optimizer constructor, checkpoint fit checks."""
from .checkpoint_fit import *  # noqa: F401,F403
from .hooks import *  # noqa: F401,F403
from .optim_constructor import *  # noqa: F401,F403
