# Loaders and evaluator shared by the multi-task dense benchmarks. Each
# dataset config inherits this file and adds its dataset (type, data root,
# tasks) and its pipelines to the loaders. The evaluator takes the task list
# from the dataset (`dataset_meta['tasks']`).
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(split='train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val'))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
