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


def _settled(res: dict) -> str:
    """The result without its timings (the only part that may differ between runs)."""
    import json

    res = {k: v for k, v in res.items() if k not in ("seconds", "written_to")}
    if "methods" in res:
        res["methods"] = {m: {k: v for k, v in r.items() if k != "seconds"} for m, r in res["methods"].items()}
    return json.dumps(res, sort_keys=True, default=str)


def test_experiments_give_identical_results_for_one_and_two_workers():
    import warnings

    from symdyn.experiments import attention_multistability, ssl_branches, ssl_m1

    runs = [(ssl_m1.run, dict(trials=700, steps=1500, all_trials=300)),  # 2 + 1 chunks of trials
            (ssl_branches.run, dict(m=2, n=3, instances=2, inits=20, steps=1500)),
            (attention_multistability.run, dict(systems=2, inits=6, n=5, t_max=100.0))]
    for run, kw in runs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # short horizons: some runs do not converge
            one, two = (run(**kw, seed=3, out=None, progress=False, workers=w) for w in (1, 2))
        assert _settled(one) == _settled(two), run.__module__
