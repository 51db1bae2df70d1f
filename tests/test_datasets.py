import pytest

from course_utils.datasets import REVIEW_LABELS, SPLITS, load_reviews


def test_splits_are_fixed_disjoint_by_film_and_cover_all_reviews():
    parts = {split: load_reviews(split) for split in SPLITS}
    assert {s: len(p) for s, p in parts.items()} == {"train": 10705, "validation": 1033, "test": 1014}
    films = {s: set(p.movie_name) for s, p in parts.items()}
    assert not (films["train"] & films["test"] or films["train"] & films["validation"] or films["validation"] & films["test"])
    assert sum(map(len, parts.values())) == len(load_reviews("all"))
    assert set(load_reviews("all").label_name) == set(REVIEW_LABELS)


def test_labels_match_names():
    frame = load_reviews("test")
    assert ((frame.label == 1) == (frame.label_name == "fresh")).all()


def test_samples_are_stratified_and_repeatable():
    sample = load_reviews("train", size=200)
    assert len(sample) == 200 and abs(sample.label.mean() - load_reviews("train").label.mean()) < 0.01
    assert sample.text.tolist() == load_reviews("train", size=200).text.tolist()
    assert sample.text.tolist() != load_reviews("train", size=200, seed=1).text.tolist()


@pytest.mark.parametrize("kwargs, message", [(dict(split="dev"), "split must be one of"), (dict(size=1), "at least 2"),
                                             (dict(size=2.5), "integer"), (dict(split="test", size=5000), "more than")])
def test_bad_arguments_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_reviews(**kwargs)
