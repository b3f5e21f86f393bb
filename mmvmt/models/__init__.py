"""Models: adapted backbones, task heads, task losses, the segmentor."""
from .adapters import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .data_preprocessor import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .peft import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
