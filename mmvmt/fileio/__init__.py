"""File formats of mmvmt, in one place (the bottom layer of the package).

* :mod:`.gt_decoders`: ground-truth files -> pipeline maps, registered in
  :data:`DECODERS` by name;
* :mod:`.prediction_writers`: predictions -> benchmark files, registered in
  :data:`PREDICTION_WRITERS` by task kind;
* :mod:`.normals`: the RGB encoding of surface normals;
* :mod:`.pascal_mat`: PASCAL-Part and PASCAL-Context ``.mat`` files;
* :mod:`.image_io`: byte-level image helpers.

This package imports only :mod:`mmvmt.tasks` and third-party libraries,
never datasets, models, engine or visualisation code.
"""
from . import gt_decoders  # noqa: F401  (registers the decoders)
from .image_io import write_image
from .normals import decode_normals, encode_normals
from .pascal_mat import (PartObject, read_label_map, read_pascal_part_mat,
                         write_label_map, write_pascal_part_mat)
from .prediction_writers import write_prediction
from .registry import (DECODERS, PREDICTION_WRITERS, DecoderSpec,
                       RefusedValues, decoder_repr, get_decoder,
                       get_prediction_writer)

__all__ = [
    'DECODERS', 'PREDICTION_WRITERS', 'DecoderSpec', 'RefusedValues',
    'get_decoder', 'decoder_repr', 'get_prediction_writer', 'encode_normals',
    'decode_normals', 'write_image', 'write_prediction', 'PartObject',
    'read_pascal_part_mat', 'write_pascal_part_mat', 'read_label_map',
    'write_label_map'
]
