"""The packaged benchmark facts are complete and consistent."""
import pytest

from mmvmt.datasets import facts


def test_class_lists():
    # PASCAL-Part files store VOC ids: the converter relies on person = 15.
    assert facts.person_class_id() == 15
    assert facts.voc_classes()[0] == 'background'
    assert facts.human_parts_classes() == ('background', 'head', 'torso',
                                           'upper_arm', 'lower_arm',
                                           'upper_leg', 'lower_leg')
    assert len(facts.nyud_classes()) == 40
    assert facts.nyud_classes()[0] == 'wall'


def test_parts_and_context_ids():
    parts = facts.part_name_to_class()
    assert len(parts) == 24
    assert set(parts.values()) == set(range(1, 7))
    assert parts['lhand'] == 4 and parts['rfoot'] == 6
    valid = facts.normals_valid_context_ids()
    assert len(valid) == 170
    ctx = facts.context_name_to_id()
    assert len(ctx) == 459
    assert ctx['wall'] in valid and ctx['sky'] not in valid


def test_read_only_and_splits():
    with pytest.raises(TypeError):
        facts.part_name_to_class()['head'] = 3
    assert dict(facts.split_sizes('pascal')) == dict(train=4998, val=5105)
    assert dict(facts.split_sizes('nyud')) == dict(train=795, val=654)
    with pytest.raises(KeyError, match='unknown dataset'):
        facts.split_sizes('cityscapes')
