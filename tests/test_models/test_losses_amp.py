"""Every dense loss is safe for the float16 logits of CUDA autocast.

Under ``--amp`` the heads emit float16 logits. A loss that casts a pixel
count, a sum over pixels or a normaliser to the logits' dtype overflows
above 65,504 (inf weight, NaN loss); a 448x448 map has 200,704 pixels. Each
case below feeds ``.half()`` logits with more pixels than that (CPU
autocast does not reproduce the problem: it computes these losses in
float32) and needs a finite loss equal to the float32 loss of the same
logits within float16 tolerance, and a finite gradient in float16.

To cover a new loss, add a case to :data:`LOSS_CASES`: its config and the
kind of target it takes (:data:`TARGETS`; add a kind if none fits).
"""
from typing import Callable, Dict

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from mmvmt.tasks import get_task

#: ``(N, H, W)`` of every case: 2 x 256 x 256 = 131,072 pixels per channel,
#: about 92k of them negative in the binary cases (over 65,504 either way).
SHAPE = (2, 256, 256)
FP16_MAX = 65504
IGNORE = 255


def _binary(gen: torch.Generator) -> Tensor:
    target = (torch.rand((SHAPE[0], 1) + SHAPE[1:], generator=gen)
              > 0.7).long()
    target[:, :, :8] = IGNORE
    return target


def _classes(num_classes: int) -> Callable[[torch.Generator], Tensor]:

    def make(gen: torch.Generator) -> Tensor:
        target = torch.randint(0, num_classes, SHAPE, generator=gen)
        target[:, :8] = IGNORE
        return target

    return make


def _normals(gen: torch.Generator) -> Tensor:
    target = torch.randn((SHAPE[0], 3) + SHAPE[1:], generator=gen)
    target = target / target.norm(dim=1, keepdim=True)
    target[:, :, :8] = float(get_task('normals').ignore_value)
    return target


def _depth(gen: torch.Generator) -> Tensor:
    target = 0.5 + 9.5 * torch.rand((SHAPE[0], 1) + SHAPE[1:], generator=gen)
    target[:, :, :8] = 0.0  # invalid
    return target


#: Target kind -> (prediction channels, target maker, extra call kwargs).
#: Class-map losses are called as mmseg's ``BaseDecodeHead.loss_by_feat``
#: calls them: ``(N, H, W)`` labels and ``ignore_index``.
TARGETS: Dict[str, tuple] = {
    'binary': (1, _binary, {}),
    'class21': (21, _classes(21), dict(ignore_index=IGNORE)),
    'normals': (3, _normals, {}),
    'depth': (1, _depth, {}),
}

#: One ``pytest.param(loss config, target kind, id=...)`` per loss.
LOSS_CASES = [
    pytest.param(dict(type='BalancedBCELoss'), 'binary', id='balanced_bce'),
    pytest.param(
        dict(type='BalancedBCELoss', task='edge'),
        'binary',
        id='balanced_bce_edge'),
    pytest.param(dict(type='WeightedBCELoss'), 'binary', id='weighted_bce'),
    pytest.param(dict(type='NormalsL1Loss'), 'normals', id='normals_l1'),
    pytest.param(dict(type='DepthL1Loss'), 'depth', id='depth_l1'),
    pytest.param(
        dict(
            type='ClassBalancedCELoss',
            class_frequency=[0.7] + [0.3 / 20] * 20,
            task='semseg'),
        'class21',
        id='class_balanced_ce'),
    # mmseg's, the class-map tasks' default loss (mmvmt/tasks.py), alone:
    # it sums float16 losses in float16 (inf). The heads cast logits to
    # float32 before any loss (test_head_loss_path_casts_to_float32), and
    # CUDA autocast runs cross_entropy and sum in float32 anyway.
    pytest.param(
        dict(type='CrossEntropyLoss', avg_non_ignore=True),
        'class21',
        id='mmseg_cross_entropy',
        marks=pytest.mark.xfail(
            strict=True, reason="mmseg's loss sums in the logits' dtype")),
]


@pytest.mark.parametrize('cfg,kind', LOSS_CASES)
def test_fp16_logits_over_65504_pixels(cfg, kind):
    channels, make_target, kwargs = TARGETS[kind]
    gen = torch.Generator().manual_seed(0)
    target = make_target(gen)
    assert SHAPE[0] * SHAPE[1] * SHAPE[2] > FP16_MAX
    logits = 3 * torch.randn((SHAPE[0], channels) + SHAPE[1:], generator=gen)
    if kind == 'depth':
        logits = logits.abs() + 1
    loss_fn = MODELS.build(cfg)

    half = logits.half().requires_grad_()
    loss16 = loss_fn(half, target, **kwargs)
    assert torch.isfinite(loss16), f'{cfg}: {loss16}'
    # The same (float16-rounded) logits in float32: equal up to the
    # rounding of float32 arithmetic; the unrounded logits: up to float16's.
    exact = loss_fn(half.detach().float(), target, **kwargs)
    reference = loss_fn(logits, target, **kwargs)
    torch.testing.assert_close(
        loss16.float(), exact.float(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        loss16.float(), reference.float(), rtol=1e-3, atol=1e-4)
    loss16.backward()
    assert half.grad.dtype == torch.float16
    assert torch.isfinite(half.grad).all()
    assert half.grad.abs().sum() > 0


@pytest.mark.parametrize('head_type', ['MultiScaleFusionHead', 'HRFusionHead'])
@pytest.mark.parametrize('task,kind',
                         [('semseg', 'class21'), ('sal', 'binary'),
                          ('normals', 'normals')])
def test_head_loss_path_casts_to_float32(head_type, task, kind):
    """The heads' loss path takes float16 logits to float32 first."""
    channels, make_target, _ = TARGETS[kind]
    head = MODELS.build(
        dict(
            type=head_type,
            task=task,
            in_channels=[8, 8, 8, 8],
            num_classes=channels if task == 'semseg' else None))
    gen = torch.Generator().manual_seed(0)
    target = make_target(gen)
    samples = []
    for one in target:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=one if one.dim() == 3 else one[None])
        samples.append(sample)
    logits = 3 * torch.randn((SHAPE[0], channels) + SHAPE[1:], generator=gen)
    half = logits.half().requires_grad_()
    losses16 = head.loss_by_feat(half, samples)
    losses32 = head.loss_by_feat(half.detach().float(), samples)
    assert set(losses16) == set(losses32)
    for key, value in losses16.items():
        assert torch.isfinite(value).all(), key
        torch.testing.assert_close(value.float(), losses32[key].float())
    sum(v for k, v in losses16.items() if k.startswith('loss_')).backward()
    assert torch.isfinite(half.grad).all()
