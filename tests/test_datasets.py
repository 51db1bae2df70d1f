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


def test_course_files_ship_inside_the_package_and_load_from_any_folder(tmp_path, monkeypatch):
    "Lessons 02 and 07 read their small data sets from the installed package, never from the working directory."
    import re
    from course_utils import datasets, zero_shot
    from pathlib import Path
    setup = (Path(__file__).resolve().parents[1] / "setup.py").read_text(encoding="utf-8")
    assert re.search(r'package_data=\{cfg\["lib_name"\]: \["data/\*\.csv"\]\}', setup), "setup.py must ship course_utils/data/*.csv"
    monkeypatch.chdir(tmp_path)  # as on Colab: an empty folder, no clone of the course
    assert set(datasets.COURSE_FILES) == {"emotions.csv", "other_domain_reviews.csv"}
    assert len(datasets.load_other_domain_reviews()) == 30 and len(zero_shot.load_emotions()) == 48
    assert not hasattr(zero_shot, "EMOTIONS_URL"), "lesson 02 downloads nothing at run time"


def test_course_file_says_how_to_repair_a_changed_or_unknown_file(tmp_path, monkeypatch):
    import pytest
    from course_utils import datasets
    with pytest.raises(KeyError, match="Known files"): datasets.course_file("reviews.csv")
    monkeypatch.setitem(datasets.COURSE_FILES, "emotions.csv", "0" * 64)
    with pytest.raises(ValueError, match="reinstall the course"): datasets.course_file("emotions.csv")
