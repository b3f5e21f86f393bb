"""Installs mmvmt (``pip install -e .``)."""
import os.path as osp
from setuptools import find_packages, setup


def read_requirements(name: str) -> list:
    """Read one requirements file, dropping comments and blank lines."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def read_version() -> str:
    """Read ``__version__`` from ``mmvmt/version.py`` without importing it."""
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmvmt', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmvmt',
    version=read_version(),
    description='VMT-Adapter: parameter-efficient multi-task dense '
    'prediction for MMSegmentation 1.x',
    long_description=open('README.md').read()
    if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    package_data={'mmvmt': ['data/*.json']},
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt') +
    ['torch', 'torchvision'],
    extras_require={
        'tests': read_requirements('tests.txt'),
        'mim': read_requirements('mminstall.txt'),
    },
    zip_safe=False,
)
