"""Published delta_m values, to overlay on the figure (never ours).

The repository keeps published numbers in one place:
``literature_baselines`` of ``mmvmt/data/pascal_mt_facts.json`` (PASCAL-
Context, Swin-T). :func:`published_results` maps its entries onto the
table's method names; ``--published FILE`` takes another small file of the
same shape as the result::

    {"vmt": {"delta_m": 3.96, "source": "VMT-Adapter paper, Table 1"}}
"""
import json
import math
from typing import Dict, Mapping, Tuple

from mmvmt.datasets.facts import load_facts

__all__ = ['FACTS_KEY', 'published_results', 'read_published']

#: The facts file's section of published numbers.
FACTS_KEY = 'literature_baselines'
#: Benchmark -> method -> (entry, its delta_m key, source). The
#: single-task baseline is left out: its delta_m is 0 by definition.
_MAP: Dict[str, Dict[str, Tuple[str, str, str]]] = dict(
    pascal={
        'mtlora-r64': ('pascal_swin-t_mtlora_r64', 'delta_m',
                       'MTLoRA paper (Agiza et al., CVPR 2024)'),
        'vmt': ('vmt_adapter_paper_claims', 'delta_m_vmt',
                'VMT-Adapter paper (Xin et al., AAAI 2024)'),
        'vmt-lite': ('vmt_adapter_paper_claims', 'delta_m_vmt_lite',
                     'VMT-Adapter paper (Xin et al., AAAI 2024)'),
    })


def published_results(benchmark: str) -> Dict[str, dict]:
    """Method -> ``{'delta_m', 'source'}`` published for ``benchmark``
    (empty if none is known, e.g. NYUD)."""
    facts = load_facts()[FACTS_KEY]
    out = {}
    for method, (entry, key, source) in _MAP.get(benchmark, {}).items():
        out[method] = dict(
            delta_m=float(facts[entry][key]),
            source=f'{source}; {FACTS_KEY}.{entry} of '
            'mmvmt/data/pascal_mt_facts.json')
    return out


def read_published(path: str) -> Dict[str, dict]:
    """A ``--published`` file (see the module docstring).

    Raises:
        ValueError: If it is not JSON of that shape (the message names the
            file and the entry).
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f'published values {path!r}: {err}') from err
    if not isinstance(data, Mapping):
        raise ValueError(f'published values {path!r} must be a JSON object '
                         'method -> {"delta_m": number, "source": text}')
    out = {}
    for method, entry in data.items():
        value = entry.get('delta_m') if isinstance(entry, Mapping) else None
        if isinstance(value, bool) or not isinstance(
                value, (int, float)) or not math.isfinite(value) or \
                not isinstance(entry.get('source'), str):
            raise ValueError(
                f'published values {path!r}: {method!r} must be '
                f'{{"delta_m": finite number, "source": text}}, got '
                f'{entry!r}')
        out[method] = dict(delta_m=float(value), source=entry['source'])
    return out
