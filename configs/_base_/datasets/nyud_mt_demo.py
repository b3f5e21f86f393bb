# Tiny synthetic NYUD_MT (same layout, 128x160 images). Create it with
#   python tools/misc/generate_demo_data.py data/demo --dataset nyud
_base_ = './nyud_mt.py'
data_root = 'data/demo/NYUD_MT'
img_scale = (160, 128)
crop_size = (96, 128)
train_pipeline = _base_.train_pipeline
train_pipeline[_base_.RESIZE]['scale'] = img_scale
train_pipeline[_base_.CROP]['crop_size'] = crop_size
test_pipeline = _base_.test_pipeline
test_pipeline[_base_.TEST_RESIZE]['scale'] = img_scale
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
