"""The prediction restore (un-pad, un-flip, resize) as pure functions."""
import pytest
import torch
import torch.nn.functional as F

from mmvmt.models.segmentors import remove_padding, restore_logits, undo_flip
from mmvmt.tasks import get_task

NORMALS = get_task('normals')
DEPTH = get_task('depth')
HFLIP = dict(flip=True, flip_direction='horizontal')
VFLIP = dict(flip=True, flip_direction='vertical')


def _logits(channels=3, h=6, w=8):
    torch.manual_seed(0)
    return torch.randn(1, channels, h, w)


def test_remove_padding_is_exact():
    logits = _logits()
    meta = dict(padding_size=[1, 2, 3, 0])  # left, right, top, bottom
    assert torch.equal(remove_padding(logits, meta), logits[..., 3:, 1:6])
    # img_padding_size (test-time padding) wins over padding_size
    meta = dict(padding_size=[1, 2, 3, 0], img_padding_size=[0, 0, 0, 1])
    assert torch.equal(remove_padding(logits, meta), logits[..., :5, :])
    assert torch.equal(remove_padding(logits, {}), logits)


@pytest.mark.parametrize('meta', [HFLIP, VFLIP, dict(flip=False), {}])
@pytest.mark.parametrize('spec', [NORMALS, DEPTH, None])
def test_undo_flip_twice_is_identity(meta, spec):
    logits = _logits(spec.gt_channels if spec else 4)
    twice = undo_flip(undo_flip(logits, meta, spec), meta, spec)
    assert torch.equal(twice, logits)


def test_undo_horizontal_flip_negates_normal_x():
    logits = _logits()
    out = undo_flip(logits, HFLIP, NORMALS)
    mirrored = logits.flip(dims=(3, ))
    assert torch.equal(out[:, 0], -mirrored[:, 0])
    assert torch.equal(out[:, 1:], mirrored[:, 1:])
    # no sign without a task, and none for a vertical flip
    assert torch.equal(undo_flip(logits, HFLIP), mirrored)
    assert torch.equal(
        undo_flip(logits, VFLIP, NORMALS), logits.flip(dims=(2, )))


def test_undo_flip_errors():
    with pytest.raises(ValueError, match='flip_direction'):
        undo_flip(_logits(), dict(flip=True, flip_direction='diagonal'))
    with pytest.raises(ValueError, match=r'normals: hflip_sign.*4 output'):
        undo_flip(_logits(4), HFLIP, NORMALS)


def test_restore_unpads_unflips_and_resizes():
    logits = _logits()
    meta = dict(padding_size=[0, 2, 0, 1], ori_shape=(10, 12), **HFLIP)
    out = restore_logits(logits, meta, NORMALS, align_corners=False)
    region = logits[..., :5, :6].flip(dims=(3, ))
    region = region * torch.tensor([-1.0, 1.0, 1.0]).view(1, 3, 1, 1)
    expected = F.interpolate(
        region, size=(10, 12), mode='bilinear', align_corners=False)
    assert out.shape == (1, 3, 10, 12)
    assert torch.equal(out, expected)


def test_restore_at_unpadded_size_is_exact():
    logits = _logits(1)
    meta = dict(padding_size=[0, 3, 0, 2], ori_shape=(4, 5))
    out = restore_logits(logits, meta, DEPTH)
    assert torch.equal(out, logits[..., :4, :5])
    # without ori_shape the unpadded size is kept
    meta.pop('ori_shape')
    assert torch.equal(restore_logits(logits, meta, DEPTH), out)
