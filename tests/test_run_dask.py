"""The dask executor: the same jobs on a ``dask.distributed`` cluster (one LocalCluster of two
workers for this module)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed")

from evalkit.run import run_study  # noqa: E402
from evalkit.run.executors import DaskExecutor, get_executor  # noqa: E402

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    from evalkit.datasets import make_demo_study

    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)


@pytest.fixture(scope="module")
def dask_run(cluster, study_file, tmp_path_factory):
    return run_study(study_file, out=tmp_path_factory.mktemp("reports"), notebooks=NOTEBOOKS,
                     only="hello,site_profile,fail_exception", lang="fr", executor="dask",
                     scheduler=cluster.scheduler_address, quiet=True,
                     stage_overrides={"validate": None})


def test_jobs_run_on_the_cluster_workers(dask_run, cluster):
    statuses = {r["key"]: r["status"] for r in dask_run.notebooks}
    assert statuses == {"hello": "ok", "site_profile.A": "ok", "site_profile.B": "ok",
                        "fail_exception": "failed"}
    assert dask_run.exit_code == 1
    assert dask_run.notebooks[-1]["failure"]["cell_first_line"] == \
        'raise ValueError("planted failure")'
    assert dask_run.manifest["options"]["executor"] == "dask"
    # the cluster's scheduler handed out the jobs
    assert any(prefix.startswith("evalkit") for prefix in cluster.scheduler.task_prefixes)


def test_dask_tables_hold_the_same_values_as_a_local_run(dask_run):
    rng = random.Random(20261122)
    expected = "draw,value\n" + "".join(f"{i},{rng.random():.12g}\n" for i in range(2000))
    assert (dask_run.run_dir / "tables" / "hello_fr.csv").read_text() == expected
    site = random.Random("20261122-B")
    rows = "".join(f"{i},{site.random():.12g}\n" for i in range(2000))
    assert (dask_run.run_dir / "tables" / "site_B_fr.csv").read_text() == "i,value\n" + rows
    assert (dask_run.run_dir / "html" / "hello.fr.html").is_file()


def test_without_a_scheduler_a_local_cluster_of_jobs_workers_is_started(cluster, monkeypatch):
    made = {}

    class Borrowed:
        """Stands in for LocalCluster: records its arguments and lends the module's cluster."""

        def __init__(self, **kwargs):
            made.update(kwargs)
            self.scheduler_address = cluster.scheduler_address

        def close(self):
            made["closed"] = True

    import dask.distributed as dd

    real_client = dd.Client
    monkeypatch.setattr(dd, "LocalCluster", Borrowed)
    monkeypatch.setattr(dd, "Client", lambda target, **kw: real_client(target.scheduler_address))
    executor = get_executor("dask", jobs=3)
    assert isinstance(executor, DaskExecutor)
    executor.start()
    executor.close()
    assert made == {"n_workers": 3, "threads_per_worker": 1, "processes": True,
                    "dashboard_address": None, "closed": True}


def test_missing_dask_names_the_extra(monkeypatch, study_file, tmp_path):
    import importlib.util

    from evalkit.errors import ConfigError

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real_find_spec(name, *a))
    with pytest.raises(ConfigError, match="needs the dask extra") as info:
        run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="hello", executor="dask")
    assert "evalkit[dask]" in info.value.render("en")
    assert not tmp_path.joinpath("demo-estrie").exists()  # refused before anything was written


def test_workers_start_kernels_ahead_and_the_run_ends_them(dask_run, cluster):
    # Each worker started its next job's kernel while a job ran; the run ended the last one
    # on every worker (a cluster's workers outlive the run: no kernel is left with them).
    def held() -> tuple:
        import os

        from evalkit.run import execute

        alive = []
        for pid in execute._KERNEL_PIDS:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except OSError:
                pass
        return execute._AHEAD_ON, execute._AHEAD is None, alive

    with distributed.Client(cluster.scheduler_address) as client:
        states = client.run(held)
    assert states and all(on for on, _, _ in states.values())
    assert all(none_held and not alive for _, none_held, alive in states.values())
