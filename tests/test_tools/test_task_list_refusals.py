"""tools/train.py and tools/test.py refuse a config whose dataset tasks and
decode heads differ before building the runner (issue 17)."""
import pytest
from tool_runs import PASCAL_TASKS, run_main, tiny_config

from mmvmt.engine import TaskListError


def test_train_refuses_a_dataset_task_without_a_head(tmp_path, pascal_root,
                                                     pretrained):
    work_dir = str(tmp_path)
    config = tiny_config(
        work_dir, pascal_root, pretrained,
        **{'train_dataloader.dataset.tasks': (*PASCAL_TASKS, 'edge')})
    with pytest.raises(
            TaskListError,
            match=r"train_dataloader.dataset .* \['edge'\] have "
            'no decode head'):
        run_main('train', config, '--work-dir', work_dir)


def test_test_refuses_a_head_without_the_dataset_task(tmp_path, pascal_root,
                                                      pretrained):
    work_dir = str(tmp_path)
    config = tiny_config(
        work_dir, pascal_root, pretrained,
        **{'test_dataloader.dataset.tasks': ('semseg', 'sal')})
    with pytest.raises(
            TaskListError,
            match=r"test_dataloader.dataset .* the heads of "
            r"\['human_parts', 'normals'\] get no ground truth"):
        run_main('test', config, str(tmp_path / 'none.pth'), '--work-dir',
                 work_dir)
