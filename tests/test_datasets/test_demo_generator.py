"""The synthetic demo sets: raw layouts, consistent labels, scene tables."""
import filecmp
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import scipy.io
from mmengine.config import Config

from mmvmt.datasets import NYUDv2MTDataset, PascalContextMTDataset
from mmvmt.datasets.facts import (context_name_to_id,
                                  normals_valid_context_ids, nyud_classes,
                                  part_name_to_class, voc_classes)
from mmvmt.testing.demo_data import (DEMO_NUM_TRAIN, DEMO_NUM_VAL, DEMO_SIZE,
                                     class_pixel_counts, demo_semseg_classes,
                                     generate_demo_data, generate_nyud_mt,
                                     generate_pascal_mt)
from mmvmt.testing.demo_data.generator import nyud_labels, pascal_labels
from mmvmt.testing.demo_data.scenes import (MAT_PART_ORDER, NYUD_OBJECTS,
                                            PASCAL_MIN_VISIBLE, PASCAL_OBJECTS,
                                            PASCAL_PRIMARY, PASCAL_SCENES,
                                            PERSON_PARTS, render_pascal)

PERSON = voc_classes().index('person')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_BASES = dict(pascal='pascal_context_mt_demo.py', nyud='nyud_mt_demo.py')


@pytest.fixture(scope='module')
def default_sets():
    """The labels of the default demo sets (seed 0, default size and
    counts), computed without writing files: dataset -> split -> list."""
    out = {}
    for dataset, labels_of in (('pascal', pascal_labels), ('nyud',
                                                           nyud_labels)):
        labels = [labels_of(i) for i in range(DEMO_NUM_TRAIN + DEMO_NUM_VAL)]
        out[dataset] = dict(
            train=labels[:DEMO_NUM_TRAIN], val=labels[DEMO_NUM_TRAIN:])
    return out


def _subset_ids(dataset: str):
    """Dataset class id -> id in the demo class subset."""
    names = voc_classes() if dataset == 'pascal' else nyud_classes()
    return {
        names.index(c): i
        for i, c in enumerate(demo_semseg_classes(dataset))
    }


def test_pascal_raw_layout(demo_raw):
    root = osp.join(demo_raw[0], 'PASCAL_MT')
    labels = demo_raw[1]['PASCAL_MT']
    with open(osp.join(root, 'ImageSets', 'Context', 'train.txt')) as f:
        train = f.read().split()
    with open(osp.join(root, 'ImageSets', 'Context', 'val.txt')) as f:
        val = f.read().split()
    assert train + val == list(labels)
    assert not set(train) & set(val)
    for img_id in train + val:
        for folder, ext in (('JPEGImages', '.jpg'), ('sal_distill', '.png'),
                            ('normals_distill', '.png'), ('human_parts',
                                                          '.mat'),
                            ('pascal-context/trainval', '.mat')):
            assert osp.isfile(osp.join(root, folder, img_id + ext))
        in_voc = osp.isfile(osp.join(root, 'semseg/VOC12', img_id + '.png'))
        in_ctx = osp.isfile(
            osp.join(root, 'semseg/pascal-context', img_id + '.png'))
        assert in_voc != in_ctx
    assert sum(
        osp.isfile(osp.join(root, 'semseg/pascal-context', i + '.png'))
        for i in labels) == len(labels) // 5
    assert not osp.exists(osp.join(root, 'human_parts_png'))


def test_pascal_mat_files_follow_layout(demo_raw):
    """The access path documented in the facts file works."""
    root = osp.join(demo_raw[0], 'PASCAL_MT')
    labels = demo_raw[1]['PASCAL_MT']
    n_with_person = 0
    for img_id, lab in labels.items():
        objs = scipy.io.loadmat(
            osp.join(root, 'human_parts', img_id + '.mat'))['anno'][0][0][1]
        objs = objs[0] if objs.size else []
        ids = [int(o[1][0][0]) for o in objs]
        sem = lab['semseg']
        # One object per visible VOC object; its instance mask agrees with
        # semseg (up to the VOC void border).
        union = np.zeros(sem.shape, bool)
        for o in objs:
            inst = o[2].astype(bool)
            assert inst.shape == sem.shape and inst.any()
            assert np.isin(sem[inst], [int(o[1][0][0]), 255]).all()
            union |= inst
            if len(o[3]):
                for p in o[3][0]:
                    assert isinstance(p[0][0], str)
                    assert (p[1].astype(bool) & ~inst).sum() == 0
        assert np.isin(sem[~union], [0, 255]).all()
        n_with_person += PERSON in ids
        label_map = scipy.io.loadmat(
            osp.join(root, 'pascal-context', 'trainval',
                     img_id + '.mat'))['LabelMap']
        assert label_map.dtype == np.uint16
        assert np.array_equal(label_map, lab['label_map'])
    assert 0 < n_with_person < len(labels)


def test_labels_agree_across_tasks(demo_raw):
    ctx = context_name_to_id()
    valid_ids = np.array(sorted(normals_valid_context_ids()))
    all_ids = set()
    for lab in demo_raw[1]['PASCAL_MT'].values():
        sem, parts, sal = lab['semseg'], lab['human_parts'], lab['sal']
        label_map = lab['label_map']
        all_ids |= set(np.unique(label_map).tolist())
        # Person pixels in semseg are person pixels in the LabelMap.
        person = label_map == ctx['person']
        assert np.isin(sem[person], [PERSON, 255]).all()
        assert (sem[~person] != PERSON).all()
        # Human parts only on people.
        if not (parts == 255).all():
            assert (parts[~person] == 0).all()
            assert (parts[person] > 0).any()
        else:
            assert (parts == 255).all()
        # Salient pixels are VOC objects.
        assert (label_map[sal == 1] != ctx['sky']).all()
        assert np.isin(sem[sal == 1], list(range(1, 21)) + [255]).all()
        # Converted normals are set exactly where the class is valid.
        valid = np.isin(label_map, valid_ids)
        assert np.array_equal((lab['normals_png'] != 0).any(-1), valid)
    assert {ctx['wall'], ctx['floor'], ctx['person']} <= all_ids
    assert {ctx['sky']} <= all_ids and all_ids - set(valid_ids.tolist())
    # Ground normals point up: (0, 1, 0) -> RGB (128, 255, 128).
    lab = demo_raw[1]['PASCAL_MT']['2009_000001']  # indoor: valid floor
    floor = lab['label_map'] == ctx['floor']
    assert floor.any()
    assert (lab['normals_png'][floor] == [128, 255, 128]).all()


def test_nyud_raw_files(demo_raw):
    root = osp.join(demo_raw[0], 'NYUD_MT')
    labels = demo_raw[1]['NYUD_MT']
    n_unlabelled = 0
    for img_id, lab in labels.items():
        seg = cv2.imread(
            osp.join(root, 'segmentation', img_id + '.png'),
            cv2.IMREAD_UNCHANGED)
        assert seg.dtype == np.uint8 and seg.max() <= len(nyud_classes())
        depth = np.load(osp.join(root, 'depth', img_id + '.npy'))
        normals = np.load(osp.join(root, 'normals', img_id + '.npy'))
        edge = np.load(osp.join(root, 'edge', img_id + '.npy'))
        assert depth.dtype == normals.dtype == edge.dtype == np.float32
        assert normals.shape == seg.shape + (3, )
        valid = depth > 0
        assert valid.any() and (~valid).any()  # sensor holes
        norm = np.linalg.norm(normals, axis=-1)
        np.testing.assert_allclose(norm[valid], 1., atol=1e-5)
        assert (norm[~valid] == 0).all()
        # Floor pixels (class 2) point up and get nearer towards the bottom.
        floor = (seg == 2) & valid
        np.testing.assert_allclose(normals[floor], [[0, 1, 0]] * floor.sum())
        rows = np.nonzero(floor.any(1))[0]
        row_depth = [depth[r][floor[r]].mean() for r in rows]
        assert all(a > b for a, b in zip(row_depth, row_depth[1:]))
        assert set(np.unique(edge)) <= {0., 1.}
        n_unlabelled += int((seg == 0).any())
    assert n_unlabelled > 0


def test_deterministic_and_independent_of_count(tmp_path):
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    generate_pascal_mt(a, num_train=3, num_val=1, size=(48, 64), seed=5)
    generate_pascal_mt(b, num_train=2, num_val=1, size=(48, 64), seed=5)
    for folder in ('JPEGImages', 'sal_distill', 'normals_distill'):
        name = sorted(os.listdir(osp.join(b, folder)))[0]
        assert filecmp.cmp(
            osp.join(a, folder, name),
            osp.join(b, folder, name),
            shallow=False)
    la = generate_nyud_mt(a, 2, 1, (48, 64), seed=5, return_labels=True)
    lb = generate_nyud_mt(b, 2, 1, (48, 64), seed=5, return_labels=True)
    lc = generate_nyud_mt(b, 2, 1, (48, 64), seed=6, return_labels=True)
    assert np.array_equal(la['0000']['depth'], lb['0000']['depth'])
    assert not np.array_equal(la['0000']['depth'], lc['0000']['depth'])
    assert generate_nyud_mt(b, 1, 1, (48, 64)) is None


def test_argument_checks(tmp_path):
    with pytest.raises(ValueError, match="'pascal', 'nyud' or 'both'"):
        generate_demo_data(str(tmp_path), dataset='coco')
    with pytest.raises(ValueError, match='positive'):
        generate_demo_data(str(tmp_path), num_val=0)
    with pytest.raises(ValueError, match='>= 32'):
        generate_demo_data(str(tmp_path), size=(16, 16))


def test_defaults(tmp_path):
    """Both sets by default, of 128x160 images; 160 train + 32 val each by
    default (the generator's and the tool's)."""
    assert (DEMO_NUM_TRAIN, DEMO_NUM_VAL, DEMO_SIZE) == (160, 32, (128, 160))
    out = generate_demo_data(str(tmp_path), num_train=1, num_val=1)
    assert out == {'PASCAL_MT': None, 'NYUD_MT': None}
    for name, ds in (('PASCAL_MT', PascalContextMTDataset), ('NYUD_MT',
                                                             NYUDv2MTDataset)):
        root = osp.join(tmp_path, name)
        images = sorted(os.listdir(osp.join(root, ds.IMG_DIR)))
        assert len(images) == 2
        img = cv2.imread(osp.join(root, ds.IMG_DIR, images[0]))
        assert img.shape == (128, 160, 3)
    with open(osp.join(REPO, 'tools', 'misc', 'generate_demo_data.py')) as f:
        tool = f.read()
    assert 'default=DEMO_NUM_TRAIN' in tool and 'default=DEMO_NUM_VAL' in tool


def test_scene_tables_use_known_names():
    """Catalogue kinds are PASCAL-Context / NYUD classes; parts are known."""
    ctx = context_name_to_id()
    assert set(PASCAL_OBJECTS) <= set(ctx)
    for scene in PASCAL_SCENES:
        assert set(scene.kinds) <= set(PASCAL_OBJECTS)
    nyud = set(nyud_classes())
    assert set(NYUD_OBJECTS) - nyud == {'clutter'}
    assert [k for k, s in NYUD_OBJECTS.items() if s.hat_prob] == ['person']
    part_cls = part_name_to_class()
    names = [p.name for p in PERSON_PARTS]
    assert set(MAT_PART_ORDER) == set(names) | {'hair'} <= set(part_cls)
    assert MAT_PART_ORDER.index('hair') == MAT_PART_ORDER.index('head') + 1
    # Non-person parts the converter must ignore ('head' is also a person
    # part name: only the object's class tells them apart).
    decoys = {
        k: s.decoy_part
        for k, s in PASCAL_OBJECTS.items() if s.decoy_part
    }
    assert decoys == dict(car='frontside', dog='head')
    # Every main object is a VOC object of its scene type.
    voc = set(voc_classes())
    for kind, scene in PASCAL_PRIMARY:
        assert kind in PASCAL_SCENES[scene].kinds and kind in voc


def test_demo_semseg_classes():
    assert demo_semseg_classes('pascal') == ('background', 'car', 'chair',
                                             'dog', 'horse', 'person',
                                             'pottedplant', 'sofa',
                                             'tvmonitor')
    nyud = demo_semseg_classes('nyud')
    assert nyud == tuple(c for c in nyud_classes() if c in set(nyud))
    assert {'wall', 'floor', 'ceiling', 'picture', 'window', 'person'
            } <= set(nyud) and 'clutter' not in nyud
    with pytest.raises(ValueError, match="'pascal' or 'nyud', got 'coco'"):
        demo_semseg_classes('coco')


@pytest.mark.parametrize('dataset', ['pascal', 'nyud'])
def test_default_train_split_uses_exactly_the_demo_classes(
        default_sets, dataset):
    """The default train split holds every declared class, and no other;
    the demo dataset config declares its class pixel counts."""
    subset = _subset_ids(dataset)
    counts = np.zeros(len(subset), np.int64)
    seen = set()
    for lab in default_sets[dataset]['train']:
        ids, num = np.unique(lab['semseg'], return_counts=True)
        seen |= set(ids.tolist())
        for i, n in zip(ids.tolist(), num.tolist()):
            if i != 255:
                counts[subset[i]] += n
    seen.discard(255)
    assert seen == set(subset)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', DEMO_BASES[dataset]))
    assert list(cfg.demo_semseg_class_pixels) == counts.tolist()
    if dataset == 'pascal':
        parts = np.concatenate([
            lab['human_parts'].ravel()
            for lab in default_sets[dataset]['train']
        ])
        assert list(cfg.demo_human_parts_class_pixels) == np.bincount(
            parts[parts != 255], minlength=7).tolist()


@pytest.mark.parametrize('dataset', ['pascal', 'nyud'])
def test_every_class_in_several_default_val_images(default_sets, dataset):
    """The val split scores every class: each is in at least 4 of the 32
    default val images."""
    subset = _subset_ids(dataset)
    images = {i: 0 for i in subset}
    for lab in default_sets[dataset]['val']:
        for i in set(np.unique(lab['semseg']).tolist()) - {255}:
            images[i] += 1
    assert min(images.values()) >= 4, images


def test_person_annotation_rule(default_sets):
    """Every person is annotated with parts: in human parts, every person
    pixel is a part (1..6) and every other pixel background; an image
    without a person is all-ignore (255)."""
    person = context_name_to_id()['person']
    num_with = 0
    for split in ('train', 'val'):
        for lab in default_sets['pascal'][split]:
            is_person = lab['label_map'] == person
            parts = lab['human_parts']
            if not is_person.any():
                assert (parts == 255).all()
                continue
            num_with += 1
            assert (parts[is_person] >= 1).all()
            assert (parts[is_person] <= 6).all()
            assert (parts[~is_person] == 0).all()
    assert num_with == 3 * (DEMO_NUM_TRAIN + DEMO_NUM_VAL) // 4


def test_objects_are_large_enough():
    """Every visible VOC object of the default images covers at least
    PASCAL_MIN_VISIBLE (1.2%) of the image, and people are drawn at least
    45% of the image height tall (unoccluded), a quarter of them over 70%."""
    heights = []
    area = DEMO_SIZE[0] * DEMO_SIZE[1]
    for idx in range(0, DEMO_NUM_TRAIN + DEMO_NUM_VAL, 3):
        canvas, persons, _ = render_pascal(idx, DEMO_SIZE, 0)
        owner = canvas.owner()
        for o, meta in enumerate(canvas.objects):
            if meta['voc']:
                assert (owner == o).sum() >= PASCAL_MIN_VISIBLE * area
        for _, silhouette in persons:
            rows = np.nonzero(np.any(list(silhouette.values()), axis=(0, 2)))
            heights.append((rows[0].max() + 1 - rows[0].min()) / DEMO_SIZE[0])
    assert PASCAL_MIN_VISIBLE * area >= 240
    assert min(heights) >= 0.44 and np.percentile(heights, 75) >= 0.7


def test_class_pixel_counts_small_case():
    """class_pixel_counts (the tool's --class-pixels) counts the labels."""
    counts = class_pixel_counts('pascal', num_train=3, size=(48, 64), seed=2)
    sem = np.concatenate(
        [pascal_labels(i, (48, 64), 2)['semseg'].ravel() for i in range(3)])
    ids = _subset_ids('pascal')
    expected = [0] * len(ids)
    for i in sem[sem != 255].tolist():
        expected[ids[i]] += 1
    assert counts['semseg'] == expected
    assert sum(counts['human_parts']) == sum(
        int((pascal_labels(i, (48, 64), 2)['human_parts'] != 255).sum())
        for i in range(3))
    assert set(class_pixel_counts('nyud', 1, (48, 64))) == {'semseg'}
