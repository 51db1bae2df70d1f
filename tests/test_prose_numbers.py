"""Numbers in prose come from the run (tests/prose_numbers.py): each measured figure in the Markdown of an enforced
notebook appears in one of its stored outputs at the precision written, or is cited in tests/cited_figures.csv."""
import json
import time
from pathlib import Path

import pytest

from tests import prose_numbers as pn

ROOT = Path(__file__).resolve().parent.parent

# The notebooks held to the rule (globs from the repository root). Later issues add lessons here.
ENFORCED = [
    "nbs/00_setup.ipynb",
    "nbs/01_pretrained.ipynb",
    "nbs/02_zero_shot.ipynb",
    "nbs/03_prompting.ipynb",
    "nbs/04_fine_tuning.ipynb",
    "nbs/05_keras_mnist.ipynb",
    "nbs/06_model_apis.ipynb",
    "nbs/07_beyond_pretrained.ipynb",
    "nbs/reference/*.ipynb",
]


def enforced() -> list[Path]:
    "The notebooks that ENFORCED names, in order; a pattern that names none is an error, not a silent pass."
    found = []
    for pattern in ENFORCED:
        matches = sorted(ROOT.glob(pattern))
        assert matches, f"ENFORCED names {pattern!r}, which matches no notebook: fix the list in tests/test_prose_numbers.py"
        found += [m for m in matches if m not in found]
    return found


@pytest.mark.parametrize("notebook", enforced(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_figure_in_the_prose_comes_from_the_run_or_is_cited(notebook):
    missing = pn.unbacked(notebook)
    assert not missing, (f"{len(missing)} figure(s) in the prose of {pn.display_name(notebook)} are in no stored output "
                         "(at the precision written) and not in tests/cited_figures.csv: rerun the notebook so an output "
                         "shows them, write the number the output shows, or cite it with its source and date.\n"
                         + "\n".join(f"  {f}" for f in missing))


def test_cited_figures_are_well_formed_and_still_used():
    "Each citation names a notebook that exists and a figure its prose still states (no stale rows)."
    for row in pn.read_cited():
        path = ROOT / row["notebook"]
        assert path.exists(), f"tests/cited_figures.csv cites {row['notebook']}, which does not exist"
        stated = {f.text for f in pn.find_figures(pn.load(path), row["notebook"])} | \
                 {f.number for f in pn.find_figures(pn.load(path), row["notebook"])}
        assert " ".join(row["figure"].split()) in stated, \
            f"tests/cited_figures.csv cites {row['figure']!r} for {row['notebook']}, whose prose no longer states it: remove the row"


# ---------------------------------------------------------------- the finder's rules

def figures(markdown: str) -> list[str]:
    return [f.text for f in pn.find_figures_in_text(markdown)]


def test_finds_decimals_integers_with_units_percentages_ranges_and_prices():
    text = ("Accuracy 0.811 in 8.7 s, 14.1 tokens/s, 0.38 GB, 11 MB, 89 %, 60%, 120 ms, "
            "a 3x speed-up, 53-58 ms, 1,234.5 reviews, $1.50 per 1,000 images.")
    assert figures(text) == ["0.811", "8.7 s", "14.1 tokens/s", "0.38 GB", "11 MB", "89 %", "60%", "120 ms", "3x",
                             "53 ms", "58 ms", "1,234.5", "$1.50"]


def test_ignores_code_versions_urls_dates_lesson_numbers_identifiers_and_plain_integers():
    text = """Python 3.11 with torch 2.13.0 (version 1.2, v0.4, keras==3.1, python>=3.10); lesson 04, section 4.2.
```python
accuracy = 0.811  # 8.7 s
```
Run `sleep(8.7)` first; see [the docs](https://example.org/v2.5/page?x=0.3) and https://example.org/1.5.
On 2026-12-02, 1,014 reviews, 4 exercises, float32, H200, SmolLM2-135M, 0x1f, a rate of 5e-5, the 7s and 3s.
<!-- 0.99 hidden -->

    ValueError: size must be at least 2, not 0.5 (an indented code block).
"""
    assert figures(text) == []
    assert figures("- a list item\n\n    its continuation, 0.5 s\n") == ["0.5 s"], "indented in a list: prose"


def test_links_count_as_their_text_and_the_time_paragraph_is_left_to_the_timeline():
    text = "[it took 8.7 s](https://example.org)\n\n**Time**: about 50 minutes: 20 min reading\nand 3.5 s.\n\nThen 0.5."
    assert figures(text) == ["8.7 s", "0.5"]


# ---------------------------------------------------------------- the checker can fail

def _notebook(prose: str, output: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": prose},
                      {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": "print(result)",
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": [output]},
                                   {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                    "data": {"text/html": ["<td>0.725</td>"], "text/plain": ["time: 9 s"]}}]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _unbacked(tmp_path: Path, prose: str, output: str, cited: list[dict] = ()) -> list[str]:
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(_notebook(prose, output)))
    return [f.text for f in pn.unbacked(path, list(cited))]


def test_a_figure_absent_from_the_outputs_is_reported(tmp_path):
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(_notebook("It reaches 0.923.", "accuracy 0.811\n")))
    found = pn.unbacked(path, [])
    assert [(f.text, f.cell) for f in found] == [("0.923", 0)]
    assert "demo.ipynb cell 0: '0.923'" in str(found[0]), "the message names the notebook, the cell and the number"


def test_a_figure_present_at_the_same_precision_passes(tmp_path):
    assert _unbacked(tmp_path, "It reaches 0.811 in 8.7 s; embeddings 0.725; it took 9 s; 81.1% right.",
                     "accuracy 0.811, 8.7 seconds\n") == []


def test_a_figure_present_only_at_another_precision_fails(tmp_path):
    assert _unbacked(tmp_path, "It reaches 0.81.", "accuracy 0.811\n") == ["0.81"]
    assert _unbacked(tmp_path, "It reaches 0.811.", "accuracy 0.81\n") == ["0.811"]
    assert _unbacked(tmp_path, "It reaches 0.811.", "accuracy 0.8110\n") == ["0.811"]
    assert _unbacked(tmp_path, "It took 8.7 s.", "took 8.71 s\n") == ["8.7 s"]
    assert _unbacked(tmp_path, "It took 12 s.", "12 reviews\n") == ["12 s"], "an integer needs its unit in the output"


def test_a_cited_figure_passes(tmp_path):
    cited = [{"notebook": pn.display_name(tmp_path / "demo.ipynb"), "figure": "$1.50", "source": "a price list", "date": "2026-12"},
             {"notebook": pn.display_name(tmp_path / "demo.ipynb"), "figure": "0.923", "source": "a paper", "date": "2019"}]
    assert _unbacked(tmp_path, "A paper reports 0.923; labels cost $1.50.", "nothing\n", cited) == []
    other = [dict(cited[1], notebook="nbs/other.ipynb")]
    assert _unbacked(tmp_path, "A paper reports 0.923.", "nothing\n", other) == ["0.923"], "a citation is per notebook"


def test_a_malformed_citation_file_gets_a_clear_error(tmp_path):
    path = tmp_path / "cited.csv"
    path.write_text("notebook,figure,source,date\nnbs/00_setup.ipynb,0.9,,2026\n")
    with pytest.raises(ValueError, match="fill in source"): pn.read_cited(path)
    path.write_text("notebook,figure\n")
    with pytest.raises(ValueError, match="header must be"): pn.read_cited(path)


def test_the_command_prints_each_unbacked_figure(tmp_path, capsys):
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(_notebook("It reaches 0.923 and 0.811.", "accuracy 0.811\n")))
    assert pn.main([str(path)]) == 1
    printed = capsys.readouterr().out
    assert "'0.923'" in printed and "'0.811'" not in printed and "1 unbacked figure of 2" in printed
    path.write_text(json.dumps(_notebook("It reaches 0.811.", "accuracy 0.811\n")))
    assert pn.main([str(path)]) == 0


def test_it_is_fast_on_every_lesson():
    for lesson in sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb")):
        start = time.perf_counter()
        pn.unbacked(lesson)
        assert time.perf_counter() - start < 1, f"{lesson.name}: the prose check took over a second"
