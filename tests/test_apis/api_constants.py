"""Constants of the API tests (conftest.py builds the fixtures)."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'vmt', 'swin-t_pascal_demo.py')
TASKS = ('semseg', 'human_parts', 'sal', 'normals')
#: Image size (H, W): not a multiple of the model's size divisor (32).
IMAGE_SHAPE = (50, 70)
