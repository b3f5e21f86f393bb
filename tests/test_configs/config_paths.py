"""The shipped configs of configs/vmt, by role."""
import glob
import os.path as osp
from typing import Dict, List

import yaml

__all__ = [
    'REPO', 'CONFIG_DIR', 'ALIASES', 'DEMOS', 'config_path',
    'non_alias_configs', 'metafile_models'
]

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs', 'vmt')

PASCAL = 'vmt_swin-t_4xb8-40k_pascal-context-mt-448x448.py'
PASCAL_LITE = 'vmt-lite_swin-t_4xb8-40k_pascal-context-mt-448x448.py'
NYUD = 'vmt_swin-t_4xb8-40k_nyud-mt-448x576.py'

#: Short names promised by the README -> the config they stand for.
ALIASES: Dict[str, str] = {
    'swin-t_pascal.py': PASCAL,
    'swin-t-lite_pascal.py': PASCAL_LITE,
    'swin-t_nyud.py': NYUD,
}

#: CPU demo config -> the full config it demonstrates.
DEMOS: Dict[str, str] = {
    'swin-t_pascal_demo.py': PASCAL,
    'swin-t-lite_pascal_demo.py': PASCAL_LITE,
    'swin-t_nyud_demo.py': NYUD,
}


def config_path(name: str) -> str:
    """Absolute path of ``configs/vmt/<name>``."""
    return osp.join(CONFIG_DIR, name)


def non_alias_configs() -> List[str]:
    """File names of every config in configs/vmt but the aliases."""
    names = sorted(
        osp.basename(p) for p in glob.glob(osp.join(CONFIG_DIR, '*.py')))
    return [n for n in names if n not in ALIASES]


def metafile_models() -> Dict[str, dict]:
    """``configs/vmt/metafile.yaml``'s models, by config file name."""
    with open(osp.join(CONFIG_DIR, 'metafile.yaml')) as f:
        meta = yaml.safe_load(f)
    return {osp.basename(m['Config']): m for m in meta['Models']}
