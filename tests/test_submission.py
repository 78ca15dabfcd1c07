"""scripts/make_submission.py: contents, size limit, and the self-verification game."""
import importlib.util
import sys
import tarfile
from pathlib import Path

import pytest

from agent.spelling_table import write_spelling_files

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("make_submission", ROOT / "scripts" / "make_submission.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ms = _load_script()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_spelling_files(tmp_path_factory.mktemp("spelling"))


def _args(out, table, tree, **kw):
    argv = ["--out", str(out), "--table", str(table)] + (["--tree", str(tree)] if tree else [])
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    return ms.make_parser().parse_args(argv)


def test_build_and_verify(files, tmp_path, capsys):
    pytest.importorskip("kaggle_environments")
    table, tree = files
    out = tmp_path / "submission.tar.gz"
    res = ms.main(_args(out, table, tree))
    names = tarfile.open(out).getnames()
    assert "main.py" in names and "lib/agent/core.py" in names and "lib/planner/walk.py" in names
    assert "lib/tables/llm.py" in names and "data/tree.npz" in names and "data/table/P.npy" in names
    assert "lib/agent/main.py" not in names and not any(n.startswith("model/") for n in names)
    v = res["verify"]
    assert v["statuses"] == ["DONE"] * 4 and v["foreign_modules"] == []
    assert v["rewards"][0] > 0                        # the stand-in table is solved by our answerer
    assert v["probe_answer"] in ("yes", "no") and v["probe_source"] == "default"   # no model shipped
    assert "verified:" in capsys.readouterr().out
    assert not list(ROOT.glob("*.tar.gz.tmp"))


def test_refuses_oversize(files, tmp_path):
    table, tree = files
    with pytest.raises(ms.SubmissionError, match="above the"):
        ms.main(_args(tmp_path / "s.tar.gz", table, tree, max_gb=1e-6, no_verify=True))
    assert not (tmp_path / "s.tar.gz").exists()


def test_refuses_mismatched_tree(files, tmp_path):
    from agent.spelling_table import public_keywords
    table, _ = files
    _, other_tree = write_spelling_files(tmp_path / "other", entries=public_keywords()[:50])
    with pytest.raises(ValueError, match="refit"):
        ms.main(_args(tmp_path / "s.tar.gz", table, other_tree, no_verify=True))


def test_verification_catches_a_broken_agent(files, tmp_path):
    """A tarball whose main.py errors on every move must fail verification."""
    pytest.importorskip("kaggle_environments")
    bad = tmp_path / "bad.tar.gz"
    main = tmp_path / "main.py"
    main.write_text("def agent(obs, cfg):\n    raise ValueError('boom')\n")
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(main, arcname="main.py")
    with pytest.raises(ms.SubmissionError, match="ERROR"):
        ms.verify(bad, {"keyword": "Agave", "alts": [], "category": "things"})


def test_cli_exit_code_on_refusal(files, tmp_path):
    import subprocess
    table, tree = files
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_submission.py"), "--out", str(tmp_path / "s.tar.gz"),
                          "--table", str(table), "--max-gb", "1e-6", "--no-verify"], capture_output=True, text=True)
    assert res.returncode != 0 and "above the" in res.stderr
