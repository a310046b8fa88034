"""The installable package: the `newsqa` command routes to the module entry points, and
pyproject's ranges agree with the pinned lock that `make` installs."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from index import cli

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{name}: {line} is not pinned with =="
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def _declared(*groups: str) -> dict[str, Requirement]:
    reqs = list(PROJECT["dependencies"]) if "" in groups else []
    for g in groups:
        if g:
            reqs += PROJECT["optional-dependencies"][g]
    return {canonicalize_name(r.name): r for r in map(Requirement, reqs)}


@pytest.mark.parametrize("lock, groups", [("requirements.txt", ("", "build-model", "milvus")),
                                          ("requirements-dev.txt", ("dev", "browser"))])
def test_every_pin_is_declared_and_inside_its_range(lock, groups):
    pins, declared = _pins(lock), _declared(*groups)
    assert set(pins) == set(declared), f"{lock} and pyproject differ: {set(pins) ^ set(declared)}"
    for name, version in pins.items():
        assert declared[name].specifier.contains(version), f"{name}=={version} is outside {declared[name]}"


def test_help_lists_every_subcommand(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("build", "add", "ask", "eval", "serve", "bench"):
        assert re.search(rf"^\s+{name}\s", out, re.M), f"{name} missing from:\n{out}"


def test_subcommand_options_come_from_the_module(capsys):
    assert cli.main(["ask", "--help"]) == 0
    out = capsys.readouterr().out
    assert "python -m index ask" in out and "--doc-id" in out


def test_bad_input_exits_non_zero_with_a_message(capsys):
    assert cli.main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err
    assert cli.main(["ask"]) == 2  # argparse of `python -m index`: the question is missing
    assert "question" in capsys.readouterr().err
    assert cli.main(["serve", "--port", "1"]) == 2
    assert "NEWSQA_PORT" in capsys.readouterr().err
    assert cli.main([]) == 2


def test_eval_absent_needs_the_local_index(tmp_path, capsys, monkeypatch):
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "a", "q": "리벨리온은 어디에 있나?", "keys": ["도쿄"]}\n', encoding="utf-8")
    monkeypatch.setenv("NEWSQA_BACKEND", "milvus")
    assert cli.main(["eval", "--qa", str(qa), "--absent", "--data-dir", str(tmp_path / "data")]) == 1
    assert "NEWSQA_BACKEND=faiss" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before anything was opened or built


def test_no_sys_path_manipulation():
    needle = "sys." + "path"
    files = [p for top in ("index", "service", "bench", "tests") for p in (ROOT / top).rglob("*.py")]
    assert len(files) > 20
    offenders = [str(p.relative_to(ROOT)) for p in files if needle in p.read_text(encoding="utf-8")]
    assert offenders == []
