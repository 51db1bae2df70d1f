"""Refresh tests/colab/ from Google's published lists of Colab's runtimes (`make colab-refresh`).

Downloads the four files of github.com/googlecolab/backend-info (the default branch) where the internet can be
reached, writes them into tests/colab/ and records where and when in source.json. Where GitHub cannot be reached
it says so plainly and keeps the copies in the repository (the tests need nothing else). Commit what changed,
then run `make colab-check`.
"""
import datetime
import json
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests" / "colab"
REPOSITORY = "googlecolab/backend-info"
FILES = ("pip-freeze.txt", "pip-freeze.gpu.txt", "os-info.txt", "os-info-gpu.txt")


def fetch(url: str, timeout: float = 20) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response: return response.read()


def main() -> int:
    try:
        commit = json.loads(fetch(f"https://api.github.com/repos/{REPOSITORY}/commits?per_page=1"))[0]
        files = {name: fetch(f"https://raw.githubusercontent.com/{REPOSITORY}/{commit['sha']}/{name}") for name in FILES}
    except (OSError, ValueError, KeyError, IndexError) as error:
        taken = json.loads((FOLDER / "source.json").read_text(encoding="utf-8"))
        print(f"colab-refresh: could not reach GitHub ({error}); kept the lists in tests/colab/ "
              f"(commit {taken['commit']} of {taken.get('commit_date', '?')}, taken {taken['taken']}).")
        return 0
    for name, content in files.items(): (FOLDER / name).write_bytes(content)
    source = {"repository": REPOSITORY, "commit": commit["sha"][:7],
              "commit_date": commit["commit"]["committer"]["date"][:10], "taken": datetime.date.today().isoformat()}
    (FOLDER / "source.json").write_text(json.dumps(source) + "\n", encoding="utf-8")
    print(f"colab-refresh: tests/colab/ now holds {REPOSITORY} at {source['commit']} ({source['commit_date']}); "
          "review `git diff tests/colab`, update tests/colab/README.md's versions, then `make colab-check`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
