"""The interface of a PEFT method and the module-name matching it uses.

A method is written once against this interface and injected into any
backbone by :class:`~mmvmt.models.peft.PEFTBackbone`. For every module whose
name (relative to the backbone) matches one of its ``targets`` it may

* build a *delta*: a new trainable module called by a forward hook on the
  target as ``delta(inputs, output) -> new output`` (LoRA, adapters);
* name *tuned* parameters: pretrained parameters of the target (local
  names, e.g. ``'bias'``) that become trainable (BitFit, relative position
  bias tuning).

Neither renames a pretrained parameter, so checkpoints of the stock
backbone load unchanged.
"""
import fnmatch
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn

__all__ = ['PEFTMethod', 'match_modules']


def match_modules(model: nn.Module, patterns: Sequence[str],
                  owner: str) -> Dict[str, List[Tuple[str, nn.Module]]]:
    """Modules of ``model`` whose names match each shell-style pattern.

    Args:
        model: The backbone.
        patterns: ``fnmatch`` patterns over names relative to ``model``.
        owner: Name used in error messages.

    Returns:
        dict: Pattern -> list of ``(name, module)``, in ``named_modules``
        order.

    Raises:
        ValueError: If ``patterns`` is empty or a pattern matches nothing.
    """
    if not patterns:
        raise ValueError(f'{owner}: no target patterns given')
    named = [(n, m) for n, m in model.named_modules() if n]
    matches = {}
    for pattern in patterns:
        found = [(n, m) for n, m in named if fnmatch.fnmatchcase(n, pattern)]
        if not found:
            raise ValueError(f'{owner}: target pattern {pattern!r} matches '
                             f'no module of {type(model).__name__}')
        matches[pattern] = found
    return matches


class PEFTMethod:
    """Base class of the injectable methods (override what applies).

    Args:
        targets: Module-name patterns (``fnmatch``, relative to the
            backbone). ``None`` uses the class's ``default_targets``.
    """

    default_targets: Tuple[str, ...] = ()

    def __init__(self, targets: Optional[Sequence[str]] = None) -> None:
        if isinstance(targets, str):
            targets = (targets, )
        self.targets = tuple(self.default_targets if targets is
                             None else targets)

    def build_delta(self, name: str, module: nn.Module) -> Optional[nn.Module]:
        """The new trainable module of one target (None: no delta).

        Args:
            name: The target's name relative to the backbone.
            module: The target.
        """
        return None

    def tuned_names(self, name: str, module: nn.Module) -> Tuple[str, ...]:
        """Local names of the target's pretrained parameters to train."""
        return ()

    def __repr__(self) -> str:
        return f'{type(self).__name__}(targets={list(self.targets)})'
