"""The paper's table at CPU scale: ``paper_table.py --setting demo``.

Kept under this name for the commands and configs that cite it; every
argument is ``tools/analysis_tools/paper_table.py``'s (see its ``--help``).

Example::

    python tools/analysis_tools/demo_benchmark.py --quick
"""
import importlib.util
import os.path as osp
import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``paper_table.main(['--setting', 'demo', *argv])``."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'paper_table.py')
    spec = importlib.util.spec_from_file_location('paper_table', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = sys.argv[1:] if argv is None else list(argv)
    return module.main(['--setting', 'demo', *argv])


if __name__ == '__main__':
    sys.exit(main())
