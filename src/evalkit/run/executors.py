"""Executors: where notebook jobs run. ``local`` is a pool of worker processes on this machine;
``dask`` submits the same jobs to a ``dask.distributed`` cluster.

Each job runs in its own kernel; a worker runs one job at a time, so ``jobs`` bounds the number
of kernels alive at once.
"""

from __future__ import annotations

import os
import queue as queue_module
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from evalkit.errors import ConfigError
from evalkit.run.jobs import Job, JobResult

__all__ = ["EXECUTORS", "DaskExecutor", "LocalExecutor", "default_jobs", "get_executor",
           "register_executor"]

OnEvent = Callable[[tuple], None]
OnResult = Callable[[JobResult], None]


def default_jobs() -> int:
    """``min(2, number of CPUs)``: notebooks are memory-hungry, and kernels compete for cores."""
    return max(1, min(2, os.cpu_count() or 1))


def _crashed(job: Job, message: str) -> JobResult:
    return JobResult(job.key, status="failed", attempts=1,
                     failure={"kind": "error", "cell_index": None, "cell_first_line": "",
                              "message": message[:500]})


def _worker_main(jobs: Any, messages: Any) -> None:
    """A pool worker: take jobs until told to stop; report events and results on one queue."""
    from evalkit.run.execute import kill_kernels, run_job

    # Ctrl-C reaches the whole process group: the parent decides, and stops workers with
    # SIGTERM, upon which a worker kills its kernel before exiting.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, kill_kernels)

    def events(event: tuple) -> None:
        messages.put(("event", event))

    while True:
        item = jobs.get()
        if item is None:
            return
        index, job = item
        messages.put(("taken", index, os.getpid()))
        try:
            result = run_job(job, events)
        except Exception as error:  # a bug of the machinery: report it as this job's failure
            result = _crashed(job, f"{type(error).__name__}: {error}")
        messages.put(("done", index, result))


class LocalExecutor:
    """A pool of ``jobs`` worker processes on this machine (started with ``spawn``).

    A worker that dies (killed from outside) fails the job it held and is replaced; an interrupt
    stops every worker, and each worker kills its kernel first.
    """

    name = "local"

    def __init__(self, *, jobs: int | None = None, scheduler: str | None = None) -> None:
        self.jobs = jobs or default_jobs()

    def run(self, jobs: Sequence[Job], *, on_event: OnEvent | None = None,
            on_result: OnResult | None = None) -> list[JobResult]:
        """Run ``jobs``; results come back in the order of ``jobs``."""
        import multiprocessing

        if not jobs:
            return []
        context = multiprocessing.get_context("spawn")
        todo, messages = context.Queue(), context.Queue()
        for item in enumerate(jobs):
            todo.put(item)
        workers = {}

        def start_worker() -> None:
            process = context.Process(target=_worker_main, args=(todo, messages), daemon=True,
                                      name="evalkit-run-worker")
            process.start()
            workers[process.pid] = process

        for _ in range(min(self.jobs, len(jobs))):
            start_worker()
        results: dict[int, JobResult] = {}
        held: dict[int, int] = {}  # worker pid -> index of the job it holds
        try:
            while len(results) < len(jobs):
                try:
                    message = messages.get(timeout=0.5)
                except queue_module.Empty:
                    self._replace_dead(workers, held, jobs, results, on_result, start_worker)
                    continue
                if message[0] == "event":
                    if on_event:
                        on_event(message[1])
                elif message[0] == "taken":
                    held[message[2]] = message[1]
                else:
                    _, index, result = message
                    held = {pid: i for pid, i in held.items() if i != index}
                    results[index] = result
                    if on_result:
                        on_result(result)
            for _ in workers:
                todo.put(None)
            for process in workers.values():
                process.join(timeout=10)
        finally:
            self._stop(workers)
        return [results[i] for i in range(len(jobs))]

    @staticmethod
    def _replace_dead(workers, held, jobs, results, on_result, start_worker) -> None:
        for pid, process in list(workers.items()):
            if process.is_alive():
                continue
            del workers[pid]
            index = held.pop(pid, None)
            if index is not None and index not in results:
                results[index] = _crashed(jobs[index], f"the worker process died "
                                                       f"(exit code {process.exitcode})")
                if on_result:
                    on_result(results[index])
            if len(results) < len(jobs):
                start_worker()

    @staticmethod
    def _stop(workers: dict) -> None:
        for process in workers.values():
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + 10
        for process in workers.values():
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


class DaskExecutor:
    """The same jobs on a ``dask.distributed`` cluster: the one at ``scheduler``, or a
    ``LocalCluster`` of ``jobs`` single-threaded worker processes when no address is given.

    Workers must see the same file system as this process (the study folder, the run folder
    being assembled, the key) and have the same evalkit and kernelspec installed.
    """

    name = "dask"

    def __init__(self, *, jobs: int | None = None, scheduler: str | None = None) -> None:
        self.jobs = jobs or default_jobs()
        self.scheduler = scheduler

    def run(self, jobs: Sequence[Job], *, on_event: OnEvent | None = None,
            on_result: OnResult | None = None) -> list[JobResult]:
        """Run ``jobs``; results come back in the order of ``jobs``."""
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise ConfigError.from_catalogue("runner.dask_missing", where="--executor") from None
        from evalkit.run.execute import run_job

        if not jobs:
            return []
        cluster = None
        if self.scheduler:
            client = Client(self.scheduler, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=min(self.jobs, len(jobs)), threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        token = uuid.uuid4().hex[:8]
        futures: dict = {}
        try:
            futures = {client.submit(run_job, job, key=f"evalkit-{job.key}-{token}",
                                     pure=False): i for i, job in enumerate(jobs)}
            results: dict[int, JobResult] = {}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # the worker died or the job could not be sent
                    result = _crashed(jobs[index], f"{type(error).__name__}: {error}")
                results[index] = result
                if on_event:
                    on_event(("end", result.key, result.status))
                if on_result:
                    on_result(result)
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return [results[i] for i in range(len(jobs))]


#: The executors ``--executor`` can name.
EXECUTORS: dict[str, type] = {"local": LocalExecutor, "dask": DaskExecutor}


def register_executor(name: str, executor: type) -> None:
    """Make ``executor`` (a class with ``run(jobs, on_event=, on_result=)``) available as
    ``--executor name``."""
    EXECUTORS[name] = executor


def get_executor(name: str, *, jobs: int | None = None, scheduler: str | None = None) -> Any:
    """The executor registered as ``name``, set up for ``jobs`` workers and ``scheduler``."""
    if name not in EXECUTORS:
        raise ConfigError.from_catalogue("runner.unknown_executor", where="--executor",
                                         name=name, known=", ".join(EXECUTORS))
    return EXECUTORS[name](jobs=jobs, scheduler=scheduler)
