"""``MultiTaskInferencer``: every task's prediction for images, mmseg style.

Example::

    from mmvmt.apis import MultiTaskInferencer
    inferencer = MultiTaskInferencer(
        'configs/vmt/swin-t_pascal_demo.py', weights='iter_800.pth',
        device='cpu')
    result = inferencer('demo.jpg', out_dir='outputs')
    result['predictions']['semseg']      # H x W class ids
"""
import copy
import glob
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS, VISUALIZERS
from rich.progress import track

from .inputs import ImageInput, Inputs, list_inputs, output_stems
from .outputs import prediction_arrays, write_predictions
from .weights import load_inference_weights, read_checkpoint

__all__ = ['MultiTaskInferencer', 'config_names', 'resolve_config']

#: Folder of the named configs (``model='swin-t_pascal_demo'``).
CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'vmt')


def config_names() -> List[str]:
    """Names accepted as ``model``: the config stems of ``configs/vmt``."""
    return sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(CONFIG_DIR, '*.py')))


def resolve_config(model: Union[str, dict, Config]) -> Config:
    """A config from a path, a config name or a config object.

    Args:
        model: Config file, a name of :func:`config_names`, a
            :class:`Config` or a dict.

    Returns:
        Config: A copy the caller may change.

    Raises:
        FileNotFoundError: If ``model`` is neither a file nor a name; the
            message lists the names.
        TypeError: For another type.
    """
    if isinstance(model, Config):
        return copy.deepcopy(model)
    if isinstance(model, dict):
        return Config(copy.deepcopy(dict(model)))
    if not isinstance(model, str):
        raise TypeError('model must be a config path, a config name or a '
                        f'Config, got {type(model)}')
    if osp.isfile(model):
        return Config.fromfile(model)
    named = osp.join(CONFIG_DIR, f'{model}.py')
    if not model.endswith('.py') and osp.isfile(named):
        return Config.fromfile(named)
    raise FileNotFoundError(
        f'config {model} is neither a file nor a config name; names: '
        f'{config_names()}')


class MultiTaskInferencer(BaseInferencer):
    """Predict every task of a multi-task model on images.

    Built on mmengine's :class:`BaseInferencer` (model, collate function and
    visualiser from the config), with mmvmt's strict weight loading
    (:func:`mmvmt.apis.weights.load_inference_weights`) and outputs.

    Args:
        model: Config file, config name (a stem of ``configs/vmt``, e.g.
            ``'swin-t_pascal_demo'``) or config object.
        weights: Checkpoint file; a full or a trainable-only
            (``--adapter-only``) checkpoint. None: the weights of the
            model's ``init_cfg`` only (a warning says so).
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...; None picks CUDA if
            available. On CPU, SyncBN layers become BN.
        show_progress: Whether to show a progress bar for more than one
            image.

    Raises:
        FileNotFoundError: For a missing config or checkpoint.
        ValueError: For an unreadable checkpoint or one that does not fit
            the config (the message lists the keys).
    """

    def __init__(self,
                 model: Union[str, dict, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 show_progress: bool = True) -> None:
        init_default_scope('mmseg')
        cfg = resolve_config(model)
        self._checkpoint = None if weights is None else read_checkpoint(
            weights)
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        super().__init__(
            model=cfg,
            weights=weights,
            device=device,
            scope='mmseg',
            show_progress=show_progress)
        self._checkpoint = None  # release the tensors
        if str(device).startswith('cpu'):
            self.model = revert_sync_batchnorm(self.model)
        if self.visualizer is None:
            self.visualizer = VISUALIZERS.build(
                dict(
                    type='MultiTaskLocalVisualizer',
                    name=f'mmvmt_inferencer_{id(self)}'))
        self.visualizer.dataset_meta = self.model.dataset_meta

    # ------------------------------------------------------------ building
    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str) -> nn.Module:
        """Build the model and load ``weights`` strictly (read once)."""
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.pop('pretrained', None)
        model_cfg['train_cfg'] = None
        model = MODELS.build(model_cfg)
        model.cfg = cfg
        if weights is None:
            warnings.warn('MultiTaskInferencer: no weights given; the model '
                          'has only the weights of its init_cfg')
            model.init_weights()
            meta = {}
        else:
            checkpoint = load_inference_weights(model, weights,
                                                self._checkpoint)
            meta = checkpoint.get('meta') or {}
        model.dataset_meta = self._dataset_meta(cfg, meta)
        model.to(device)
        model.eval()
        return model

    @staticmethod
    def _dataset_meta(cfg: Config, meta: dict) -> dict:
        """The checkpoint's dataset meta, else the test dataset's."""
        if meta.get('dataset_meta'):
            return dict(meta['dataset_meta'])
        dataset = cfg.get('test_dataloader', {}).get('dataset', {})
        cls = DATASETS.get(dataset.get('type', ''))
        dataset_meta = copy.deepcopy(dict(getattr(cls, 'METAINFO', {})))
        if dataset.get('tasks'):
            dataset_meta['tasks'] = tuple(dataset['tasks'])
        return dataset_meta

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The test pipeline, reading paths and arrays alike."""
        try:
            pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        except AttributeError:
            raise ValueError('the config has no '
                             'test_dataloader.dataset.pipeline') from None
        types = [t.get('type') for t in pipeline]
        if 'LoadImageFromFile' not in types:
            raise ValueError('the test pipeline has no LoadImageFromFile: '
                             f'{types}')
        # Annotations are loaded only for samples that list tasks, so the
        # test pipeline serves inference unchanged.
        pipeline[types.index('LoadImageFromFile')] = ConfigDict(
            pipeline[types.index('LoadImageFromFile')],
            type='InferencerLoader')
        return Compose(pipeline)

    def _init_visualizer(self, cfg: Config):
        """The config's visualiser without storage backends (the
        inferencer writes its drawings itself)."""
        if 'visualizer' not in cfg:
            return None
        cfg = Config(dict(visualizer=copy.deepcopy(cfg.visualizer)))
        cfg.visualizer.pop('vis_backends', None)
        cfg.visualizer.pop('save_dir', None)
        return super()._init_visualizer(cfg)

    def _init_collate(self, cfg: Config):
        """mmengine's ``pseudo_collate`` (the data preprocessor batches)."""
        return pseudo_collate

    # ------------------------------------------------------------- running
    def _prepare(self, image: ImageInput) -> dict:
        """Run the pipeline on one image; errors name the file."""
        try:
            return self.pipeline(image.data)
        except Exception as e:
            what = image.data if isinstance(image.data, str) else \
                f'input array {image.name}'
            raise ValueError(f'cannot read or transform image {what}: '
                             f'{type(e).__name__}: {e}') from e

    def _batches(self, images: Sequence[ImageInput], batch_size: int):
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            yield self.collate_fn([self._prepare(image) for image in chunk])

    def __call__(self,
                 inputs: Inputs,
                 batch_size: int = 1,
                 out_dir: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 0,
                 return_vis: bool = False,
                 return_datasamples: bool = False) -> Dict[str, Any]:
        """Predict every task for the inputs.

        Args:
            inputs: An image path, a folder (its images, sorted), a BGR
                ``uint8`` array (as ``mmcv.imread`` returns) or a list.
            batch_size: Images per forward pass.
            out_dir: If given, write ``out_dir/<task>/<name>.png|.npy``
                (the files of ``tools/test.py --out``) and the drawings
                ``out_dir/vis/<name>.png``; ``<name>`` is the image's file
                stem, or the 8-digit index of an array in the inputs.
            show: Whether to display each drawing in a window.
            wait_time: Seconds each shown drawing stays (0: until a key).
            return_vis: Whether to return the drawings.
            return_datasamples: Whether to return the predicted
                :class:`~mmvmt.structures.MultiTaskDataSample` s instead of
                the numpy maps.

        Returns:
            dict: ``predictions``: per image a dict ``task -> numpy map``
            (units of :mod:`mmvmt.apis.outputs`), or the data samples;
            ``visualization``: the RGB drawings if ``return_vis`` (else an
            empty list). For a single image path or array (not a folder or
            a list) both hold that image's entry instead of a list.

        Raises:
            FileNotFoundError, TypeError, ValueError: For missing or bad
                inputs (see :func:`mmvmt.apis.inputs.list_inputs`) and
                unreadable images; messages name the file.
        """
        single = isinstance(inputs, np.ndarray) or (isinstance(inputs, str)
                                                    and not osp.isdir(inputs))
        images = list_inputs(inputs)
        names = output_stems(images) if out_dir else \
            [image.name for image in images]
        batches = self._batches(images, batch_size)
        if self.show_progress and len(images) > 1:
            batches = track(
                batches,
                description='Inference',
                total=-(-len(images) // batch_size))
        samples = []
        for batch in batches:
            samples.extend(self.forward(batch))
        visualization = self.visualize(images, samples, names, out_dir, show,
                                       wait_time, return_vis)
        return self.postprocess(samples, visualization, return_datasamples,
                                names, out_dir, single)

    def visualize(self,
                  inputs: Sequence[ImageInput],
                  preds: Sequence,
                  names: Sequence[str] = (),
                  out_dir: Optional[str] = None,
                  show: bool = False,
                  wait_time: float = 0,
                  return_vis: bool = False) -> List[np.ndarray]:
        """Draw each prediction mosaic (with legends).

        Returns:
            list[np.ndarray]: RGB drawings if ``return_vis``, else empty.
        """
        if not (out_dir or show or return_vis):
            return []
        drawings = []
        for image, sample, name in zip(inputs, preds, names):
            bgr = image.data if isinstance(image.data, np.ndarray) else \
                mmcv.imread(image.data)
            drawing = self.visualizer.draw_multitask_mosaic(
                mmcv.bgr2rgb(bgr), sample, draw_gt=False)
            if out_dir:
                mmcv.imwrite(
                    mmcv.rgb2bgr(drawing),
                    osp.join(out_dir, 'vis', f'{name}.png'))
            if show:
                self.visualizer.show(
                    drawing, win_name=name, wait_time=wait_time)
            if return_vis:
                drawings.append(drawing)
        return drawings

    def postprocess(self,
                    preds: Sequence,
                    visualization: List[np.ndarray],
                    return_datasample: bool = False,
                    names: Sequence[str] = (),
                    out_dir: Optional[str] = None,
                    single: bool = False) -> Dict[str, Any]:
        """Write the prediction files and pack the results."""
        if out_dir:
            for sample, name in zip(preds, names):
                write_predictions(sample, out_dir, name)
        predictions = list(preds) if return_datasample else \
            [prediction_arrays(sample) for sample in preds]
        if single:
            return dict(
                predictions=predictions[0],
                visualization=visualization[0] if visualization else None)
        return dict(predictions=predictions, visualization=visualization)
