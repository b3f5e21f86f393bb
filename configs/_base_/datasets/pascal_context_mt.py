# PASCAL-Context multi-task benchmark (PASCAL_MT): 4998 train / 5105 val.
# Convert the raw tree once first:
#   python tools/dataset_converters/pascal_mt.py data/PASCAL_MT
_base_ = ['./multitask_dense.py']
dataset_type = 'PascalContextMTDataset'
data_root = 'data/PASCAL_MT'
# 'edge' is available too.
tasks = ('semseg', 'human_parts', 'sal', 'normals')
img_scale = (512, 512)
crop_size = (448, 448)
train_pipeline = _base_.train_pipeline
train_pipeline[_base_.RESIZE]['scale'] = img_scale
train_pipeline[_base_.CROP]['crop_size'] = crop_size
test_pipeline = _base_.test_pipeline
test_pipeline[_base_.TEST_RESIZE]['scale'] = img_scale
dataset = dict(type=dataset_type, data_root=data_root, tasks=tasks)
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
# delta_m against the single-task full fine-tuning Swin-T baseline of the
# literature (mmvmt/data/pascal_mt_facts.json, `literature_baselines`).
val_evaluator = dict(
    tasks=tasks,
    baseline=dict(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97))
test_evaluator = val_evaluator
