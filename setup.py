"""Packaging for `course_utils`, read from nbdev's `settings.ini`.

nbdev's template `setup.py` imports `pkg_resources`, which current setuptools no longer
ships, so this one reads `settings.ini` with the standard library only. Requirements stay
loose so that installing on Colab never replaces torch, tensorflow, keras or numpy; the
exact, tested development environment is pinned in `requirements/`.
"""
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

for key in ("lib_name", "version", "description", "author", "author_email", "license", "min_python"):
    if not cfg.get(key):
        raise SystemExit(f"settings.ini is missing `{key}`: add it under [DEFAULT].")

licenses = {"apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License")}
license_name, license_classifier = licenses[cfg["license"]]
python_versions = ["3.10", "3.11", "3.12", "3.13"]
min_python = cfg["min_python"]


def split(key: str) -> list[str]:
    """Requirements listed space-separated in settings.ini."""
    return cfg.get(key, "").split()


long_description = (here / "README.md").read_text(encoding="utf-8") if (here / "README.md").exists() else ""
scripts = [s.strip() for s in cfg.get("console_scripts", "").splitlines() if s.strip()]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=long_description,
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    url=cfg.get("git_url"),
    license=license_name,
    keywords=cfg.get("keywords", "").split(),
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Education",
        f"License :: {license_classifier}",
        "Natural Language :: English",
    ] + [f"Programming Language :: Python :: {v}" for v in python_versions[python_versions.index(min_python):]],
    packages=setuptools.find_packages(include=[cfg["lib_name"], cfg["lib_name"] + ".*"]),
    include_package_data=True,
    package_data={cfg["lib_name"]: ["data/*.csv"]},  # the course's own small data sets (course_utils.datasets.COURSE_FILES)
    python_requires=f">={min_python}",
    install_requires=split("requirements"),
    extras_require={"dev": split("dev_requirements")},
    entry_points={"console_scripts": scripts, "nbdev": [f"{cfg['lib_path']}={cfg['lib_name']}._modidx:d"]},
    zip_safe=False,
)
