import os
import sys
import time

import pytest

from course_utils import env


def test_in_colab_follows_colab_marker(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert env.in_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20260801")
    assert env.in_colab() is True


def test_device_on_this_machine_is_cpu_and_says_how_to_get_a_gpu_on_colab(capsys, monkeypatch):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "x")
    assert env.device() == "cpu"
    assert "Change runtime type" in capsys.readouterr().out
    assert env.device(verbose=False) == "cpu"
    assert capsys.readouterr().out == ""


def test_offline_mode_sets_and_clears_variables(monkeypatch):
    for v in env._OFFLINE_VARIABLES: monkeypatch.delenv(v, raising=False)
    assert env.offline_mode() is True
    assert all(os.environ[v] == "1" for v in env._OFFLINE_VARIABLES)
    assert env.offline_mode(False) is False
    assert not any(v in os.environ for v in env._OFFLINE_VARIABLES)
    with pytest.raises(TypeError, match="True or False"):
        env.offline_mode("yes")


def test_offline_mode_tells_an_imported_hub(monkeypatch):
    import huggingface_hub.constants as constants
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    env.offline_mode(True)
    assert constants.HF_HUB_OFFLINE is True


def test_is_online_false_in_offline_mode(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert env.is_online() is False


def test_is_online_answers_within_its_timeout_when_network_blocked(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    start = time.perf_counter()
    assert env.is_online("example.org", timeout=0.5, refresh=True) is False
    assert time.perf_counter() - start < 1.0
    assert env._online_cache[("example.org", 443)] is False


def test_is_online_true_for_a_listening_local_port(monkeypatch):
    import socket
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    try: assert env.is_online("127.0.0.1", server.getsockname()[1], refresh=True) is True
    finally: server.close()


@pytest.mark.parametrize("args", [dict(host=""), dict(timeout=0), dict(timeout=60)])
def test_is_online_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        env.is_online(**args)


def test_seed_everything_repeats_numpy_and_torch():
    import numpy as np
    import torch
    assert env.seed_everything(3)[:3] == ("python", "numpy", "torch")
    a, ta = np.random.rand(2), torch.rand(2)
    env.seed_everything(3)
    assert (a == np.random.rand(2)).all() and torch.equal(ta, torch.rand(2))


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "1", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        env.seed_everything(seed)


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "c"))
    assert env.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_importing_course_utils_is_lean_and_fast():
    import subprocess
    code = ("import sys, time; t = time.perf_counter(); import course_utils, course_utils.env, course_utils.assets, "
            "course_utils.exercises; print(time.perf_counter() - t); "
            "print(sorted(m for m in ('torch', 'tensorflow', 'transformers', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[1] == "[]", f"importing course_utils imported {out[1]}"
    assert float(out[0]) < 0.5
