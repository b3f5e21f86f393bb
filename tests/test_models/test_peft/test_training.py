"""Training through the segmentor: gradients, frozen weights, the loss."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS
from peft_cases import METHODS, TINY_SWIN, peft_cfg, tiny_batch
from tiny_models import tiny_model_cfg

TASKS = ('semseg', 'normals')
#: Every backbone of the zoo: methods shared / per task, decoder-only,
#: multi-task full fine-tuning (the stock Swin, all weights trainable).
BACKBONES = {
    **{
        f'{n}-shared': peft_cfg(m, tasks=None)
        for n, m in METHODS.items()
    },
    **{
        f'{n}-per-task': peft_cfg(m, per_task=True, tasks=None)
        for n, m in METHODS.items()
    },
    'decoder-only': peft_cfg(None, tasks=None),
    'fullft': dict(TINY_SWIN),
}


def _model(name):
    cfg = tiny_model_cfg(TASKS)
    cfg['backbone'] = BACKBONES[name]
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_gradients_frozen_weights_and_loss(name):
    model = _model(name)
    model.train()
    frozen = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if not p.requires_grad
    }
    trainable = {
        n: p.detach().clone()
        for n, p in model.backbone.named_parameters() if p.requires_grad
    }
    if name == 'decoder-only':
        assert not trainable
    if name == 'fullft':
        assert not any(n.startswith('backbone.') for n in frozen)
    optim = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05))
    data = tiny_batch()
    totals = []
    for step in range(4):
        optim.zero_grad(set_to_none=True)
        batch = model.data_preprocessor(data, True)
        losses = model.loss(**batch)
        loss, _ = model.parse_losses(losses)
        loss.backward()
        if step == 0:  # gradients reach exactly the trainable set
            with_grad = {
                n
                for n, p in model.named_parameters() if p.grad is not None
            }
            assert with_grad == {
                n
                for n, p in model.named_parameters() if p.requires_grad
            }
        optim.step()
        totals.append(loss.item())
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], v) for n, v in frozen.items())
    backbone = dict(model.backbone.named_parameters())
    assert all(not torch.equal(backbone[n], v) for n, v in trainable.items())
    assert totals[-1] < 0.9 * totals[0], totals
