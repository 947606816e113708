"""Engines (mitool.engines): the same results on a Dask or Ray cluster as in this process.

Each command that runs many tasks (screen, pairwise, estimate's replicates and permutations,
benchmark, trace) is run once with jobs=1 and once on a local cluster started here, and the
results must be equal, bit for bit: each task carries its own seed. Then the errors: each a
one-line MitoolError (exit 2 on the command line)."""

from __future__ import annotations

import json
import re
import sys
from operator import getitem  # importable on every worker

import numpy as np
import pytest
from test_screen import informative_table
from test_trace import _synthetic, run_files  # noqa: F401 (a fixture)

import mitool
from mitool.engines import ENGINES, check_engine, engine
from mitool.errors import MitoolError
from mitool.parallel import SHARED_BYTES, parallel_map, shared_arrays


@pytest.fixture(scope="module")
def dask_address():
    """A Dask cluster of two worker processes (each task pickled, as on a real cluster)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def ray_started():
    """Ray on this machine, two CPUs; mitool's engine uses the connection already open."""
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'mitool[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(params=["dask", pytest.param("ray", marks=pytest.mark.slow)])  # Ray: 6 s start
def where(request):
    """``{"backend": ..., "address": ...}`` for each engine (Ray: the open connection)."""
    if request.param == "dask":
        return {"backend": "dask", "address": request.getfixturevalue("dask_address")}
    request.getfixturevalue("ray_started")
    return {"backend": "ray", "address": None}


def _without_seconds(payload: dict) -> dict:
    payload.pop("seconds", None)
    return payload


# --- the same results ---------------------------------------------------------------------------


def test_screen_on_an_engine_equals_jobs_1(where):
    cols = informative_table(300, 6)
    y = cols.pop("y")
    for options in (
        {"estimator": "ksg", "norm": "none"},  # the compiled pass (threads here)
        {"estimator": "ksg", "norm": "rank", "resamples": 4, "permutations": 5, "fdr": 0.2},
        {"estimator": "auto", "permutations": 3},  # through estimate
    ):
        local = mitool.screen(cols, y, jobs=1, **options).to_dict()
        remote = mitool.screen(cols, y, **where, **options).to_dict()
        assert _without_seconds(remote) == _without_seconds(local)


def test_pairwise_on_an_engine_equals_jobs_1(where):
    cols = informative_table(200, 4)
    options = {"estimator": "ksg", "norm": "rank", "permutations": 3}
    local = mitool.pairwise(cols, jobs=1, **options).to_dict()
    remote = mitool.pairwise(cols, **where, **options).to_dict()
    assert _without_seconds(remote) == _without_seconds(local)


def test_estimate_interval_and_p_value_on_an_engine_equal_jobs_1(where):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 2))
    t = x[:, :1] + rng.standard_normal((400, 1))
    options = {"estimator": "ksg", "resamples": 8, "permutations": 9, "seed": 5}
    local = mitool.estimate(x, t, jobs=1, **options)
    remote = mitool.estimate(x, t, **where, **options)
    assert remote.interval == local.interval and remote.p_value == local.p_value
    assert _without_seconds(remote.to_dict()) == _without_seconds(local.to_dict())


def test_benchmark_on_an_engine_equals_jobs_1(where):
    from mitool.benchmark import Row, run

    rows = [Row("additive", (), 1, 200), Row("correlated", ("sg",), 2, 200)]
    kw = {"trials": 3, "seed": 2}
    local = run(rows, ["ksg/none", "ksg/global-linf"], jobs=1, **kw)
    remote = run(rows, ["ksg/none", "ksg/global-linf"], **where, **kw)
    for a, b in zip(local, remote, strict=True):
        assert np.array_equal(a.truths, b.truths)
        assert all(np.array_equal(a.estimates[p], b.estimates[p]) for p in a.estimates)


def test_trace_on_an_engine_equals_jobs_1(where, run_files, tmp_path):  # noqa: F811
    from mitool.trace import read_run, trace

    run = read_run(run_files[0], layers=["layer_1"], epochs=[0, 5])
    kw = {"pairs": "ksg/none", "resamples": 4, "seed": 1}
    local = trace(run, jobs=1, out=str(tmp_path / "local.jsonl"), **kw)
    remote = trace(run, out=str(tmp_path / "remote.jsonl"), **where, **kw)
    fields = ("value", "ci_low", "ci_high")
    assert [[r[f] for f in fields] for r in remote.records] == [
        [r[f] for f in fields] for r in local.records
    ]


def test_the_cli_takes_backend_and_address(dask_address, tmp_path, capsys):
    from mitool.cli import main

    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", x + rng.standard_normal(300))
    argv = ["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "-e", "ksg", "-B", "6"]
    argv += ["-P", "5", "--json"]
    assert main([*argv, "--jobs", "1"]) == 0
    local = _without_seconds(json.loads(capsys.readouterr().out))
    for option in ("--address", "--scheduler"):  # --scheduler: Dask's older name
        assert main([*argv, "--backend", "dask", option, dask_address]) == 0
        assert _without_seconds(json.loads(capsys.readouterr().out)) == local
    table = tmp_path / "table.npy"
    np.save(table, np.column_stack([x, x + rng.standard_normal(300), rng.standard_normal(300)]))
    screen = ["screen", str(table), "-y", "0", "-e", "ksg", "-P", "3", "--json"]
    assert main([*screen, "--jobs", "1"]) == 0
    local = _without_seconds(json.loads(capsys.readouterr().out))
    assert main([*screen, "--backend", "dask", "--address", dask_address]) == 0
    assert _without_seconds(json.loads(capsys.readouterr().out)) == local


# --- the table goes to the workers once -----------------------------------------------------------


def test_shared_arrays_are_those_that_several_tasks_take():
    table = np.zeros((100, SHARED_BYTES // 800 + 1))
    alone, small = np.zeros(SHARED_BYTES), np.zeros(3)
    tasks = [(table, [0], small), (table, [1], small), (alone, [2], small)]
    assert [id(a) for a in shared_arrays(tasks)] == [id(table)]


@pytest.mark.slow
def test_ray_puts_the_table_once(ray_started, monkeypatch):
    import ray

    table = np.arange(40_000.0).reshape(2000, 20)
    put = []
    real_put = ray.put
    monkeypatch.setattr(ray, "put", lambda value: put.append(value) or real_put(value))
    with engine("ray") as name:
        columns = parallel_map(
            getitem, [(table, (slice(None), j)) for j in range(20)], backend=name
        )
    assert all(np.array_equal(c, table[:, j]) for j, c in enumerate(columns))
    assert len(put) == 1 and put[0] is table  # the tasks carried a reference and a column index


def test_dask_scatters_the_table_once(dask_address, monkeypatch):
    import distributed

    table = np.arange(40_000.0).reshape(2000, 20)
    scattered = []
    real_scatter = distributed.Client.scatter

    def scatter(self, data, *args, **kwargs):
        scattered.append(data)
        return real_scatter(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", scatter)
    with engine("dask", dask_address) as name:
        columns = parallel_map(
            getitem, [(table, (slice(None), j)) for j in range(20)], backend=name
        )
    assert all(np.array_equal(c, table[:, j]) for j, c in enumerate(columns))
    assert len(scattered) == 1 and scattered[0][0] is table


# --- errors ---------------------------------------------------------------------------------------


def test_engine_names_and_addresses_are_checked():
    assert ENGINES == ("processes", "dask", "ray")
    assert check_engine(None) is None and check_engine("processes") is None
    assert check_engine("threading") == "threading"  # a joblib backend, in Python
    with pytest.raises(MitoolError, match="unknown backend 'spark'; choose one of: processes"):
        check_engine("spark")
    with pytest.raises(MitoolError, match="needs --backend dask or ray"):
        check_engine("processes", "tcp://host:8786")
    with pytest.raises(MitoolError, match="unknown backend"):
        check_engine("threading", "tcp://host:8786")


@pytest.mark.parametrize(
    ("backend", "module", "pip"),
    [("dask", "distributed", "mitool[dask]"), ("ray", "ray", "mitool[ray]")],
)
def test_a_missing_engine_names_its_pip_line(monkeypatch, backend, module, pip):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with (
        pytest.raises(MitoolError, match=rf"--backend {backend} needs .*{re.escape(pip)}"),
        engine(backend, "localhost:1"),
    ):
        pass


def test_dask_errors():
    pytest.importorskip("distributed")
    with pytest.raises(MitoolError, match="needs --address"), engine("dask"):  # no client open
        pass
    with (
        pytest.raises(MitoolError, match="cannot reach the Dask scheduler at nonsense"),
        engine("dask", "nonsense"),
    ):
        pass


@pytest.mark.slow
def test_ray_errors(ray_started, monkeypatch):
    import ray

    with pytest.raises(MitoolError, match="already connected"), engine("ray", "localhost:6379"):
        pass
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    with pytest.raises(MitoolError, match="needs --address"), engine("ray"):
        pass
    with (
        pytest.raises(MitoolError, match="cannot connect to Ray at 127.0.0.1:1"),
        engine("ray", "127.0.0.1:1"),
    ):  # nothing listens: refused at once, no retries
        pass


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "spark"], "unknown backend 'spark'"),
        (["--address", "tcp://host:8786"], "needs --backend dask or ray"),
        (["--backend", "dask", "--address", "a:1", "--scheduler", "b:1"], "older name"),
        (["--backend", "dask", "--address", "nonsense"], "cannot reach the Dask scheduler"),
    ],
)
def test_cli_engine_errors_are_one_line(tmp_path, capsys, args, message):
    from mitool.cli import main

    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((300, 2)))
    x = str(tmp_path / "x.npy")
    for command in (
        ["estimate", x, "--x-cols", "0", "--t-cols", "1", "-B", "4"],
        ["screen", x, "-y", "0"],
        ["pairwise", x],
        ["benchmark", "--samples", "50", "--trials", "2", "--pairs", "ksg/none"],
    ):
        assert main([*command, *args]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("mitool: error:") and message in err and len(err.splitlines()) == 1


def test_backend_still_takes_a_search_path_with_a_warning():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200)
    t = x + rng.standard_normal(200)
    with pytest.warns(DeprecationWarning, match="search='brute'"):
        old = mitool.estimate(x, t, estimator="ksg", resamples=4, backend="brute", jobs=1)
    new = mitool.estimate(x, t, estimator="ksg", resamples=4, search="brute", jobs=1)
    assert (old.value, old.interval) == (new.value, new.interval)
