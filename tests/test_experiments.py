"""The experiment registry and the CLI generated from it."""
import pytest

from symdyn.cli import build_parser, main
from symdyn.experiments import EXPERIMENTS


def test_every_registered_experiment_has_a_generated_subparser_with_its_own_options():
    parser = build_parser()
    for name, exp in EXPERIMENTS.items():
        args = parser.parse_args(["reproduce", name])
        for opt in exp.options:
            assert getattr(args, opt.dest) == opt.default, (name, opt.flag)
        assert args.seed == 0
        assert hasattr(args, "out") == (exp.output is not None)
        assert hasattr(args, "readme") == (exp.readme_key is not None)


def test_an_option_of_another_experiment_is_refused(capsys):
    assert main(["reproduce", "figures", "--trials", "3"]) == 2
    assert "unrecognized arguments: --trials 3" in capsys.readouterr().err
    assert main(["reproduce", "nope"]) == 2
    assert "unknown experiment 'nope'" in capsys.readouterr().err


def test_classify_verb_reads_files_and_prints_the_label(tmp_path, capsys):
    import json

    import numpy as np

    X = np.array([[1.0, 0, 0]] * 3 + [[-1.0, 0, 0]] * 2)
    np.save(tmp_path / "X.npy", X)
    (tmp_path / "V.json").write_text(json.dumps(np.diag([1.0, 0.5, 0.2]).tolist()))
    assert main(["classify", str(tmp_path / "X.npy"), "--V", str(tmp_path / "V.json"), "--beta", "2"]) == 0
    out = capsys.readouterr().out
    assert "label: bipartite" in out and "stability: asymptotically stable" in out
    assert main(["classify", str(tmp_path / "missing.npy"), "--V", str(tmp_path / "V.json"), "--beta", "2"]) == 2
    assert "X: no such file" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text('{"a": 1}')
    assert main(["classify", str(tmp_path / "X.npy"), "--V", str(tmp_path / "bad.json"), "--beta", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--V: cannot read a matrix of numbers" in err


@pytest.mark.parametrize("argv", [["bench", "--repeats", "0"], ["classify"]])
def test_bench_and_classify_usage_errors_are_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
