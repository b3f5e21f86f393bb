"""Parameter-efficient baselines injected into a frozen backbone.

:class:`PEFTBackbone` hosts any :class:`PEFTMethod` by module-name
patterns, shared by all tasks or once per task.
"""
from .adapter import HoulsbyAdapter, SeriesAdapterDelta
from .lora import LoRA, LoRADelta
from .method import PEFTMethod, match_modules
from .mtlora import MTLoRA
from .mtlora_branch import MTLoRABlock, MTLoRALinear, MTLoRATaskBranch
from .peft_backbone import SHARED, PEFTBackbone
from .polyhistor import PolyhistorLite
from .tuning import BitFit, RelPosBiasTuning

__all__ = [
    'PEFTMethod', 'match_modules', 'PEFTBackbone', 'SHARED', 'LoRA',
    'LoRADelta', 'HoulsbyAdapter', 'SeriesAdapterDelta', 'BitFit',
    'RelPosBiasTuning', 'PolyhistorLite', 'MTLoRA', 'MTLoRATaskBranch',
    'MTLoRABlock', 'MTLoRALinear'
]
