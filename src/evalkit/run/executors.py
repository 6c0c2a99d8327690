"""Executors: where notebook jobs run. ``local`` is a pool of worker processes on this machine;
``dask`` submits the same jobs to a ``dask.distributed`` cluster.

Each job runs in its own kernel; a worker runs one job at a time, so ``jobs`` bounds the number
of kernels alive at once.
"""

from __future__ import annotations

import contextlib
import os
import queue as queue_module
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from evalkit._lifetime import die_with_parent, kill_group
from evalkit.errors import ConfigError, ExecutionError
from evalkit.run import execute, warm
from evalkit.run.execute import (
    discard_kernel_ahead,
    kill_kernels,
    run_job,
    run_job_ahead,
    start_kernels_ahead,
    warm_up,
)
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


#: Seconds a worker told to stop (SIGTERM) has to kill its kernel and exit before it is killed.
STOP_SECONDS = 3


def _worker_main(jobs: Any, messages: Any, parent: int | None = None,
                 kernels: str | None = None) -> None:
    """A pool worker: take jobs until told to stop; report events and results on one queue.
    Its kernels are forked from the run's shared template at ``kernels`` (an address) when
    given and reachable, else from a template of its own."""
    # Ctrl-C reaches the whole process group: the parent decides, and stops workers with
    # SIGTERM, upon which a worker kills its kernel before exiting. The same happens when the
    # parent ends without stopping it (killed with kill -9): a worker never outlives its run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, kill_kernels)
    die_with_parent(parent if parent is not None else os.getppid(), kill_kernels)
    # The run hears of each kernel, so that it can kill the kernel itself if this worker
    # cannot do it (killed, or stuck).
    execute._KERNEL_WATCHERS.append(lambda event: messages.put(("kernel", os.getpid(), event)))
    warm.share(kernels)
    warm.template()  # the notebooks' libraries imported while this worker imports its own
    warm_up()
    start_kernels_ahead()  # each notebook's kernel starts while the one before runs

    def events(event: tuple) -> None:
        messages.put(("event", event))

    while True:
        item = jobs.get()
        if item is None:
            discard_kernel_ahead()
            warm.stop_template()
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

    Workers are started by :meth:`start` and import the execution libraries at once, while the
    run prepares its data; :meth:`run` hands them the jobs; :meth:`close` stops them. A worker
    that dies (killed from outside) fails the job it held and is replaced; an interrupt stops
    every worker, and each worker kills its kernel first.

    The kernels of every worker are forked from one template started here, before the
    workers (:class:`evalkit.run.warm.KernelTemplate`, shared): the notebooks' libraries are
    imported once per run, not once per worker.
    """

    name = "local"

    def __init__(self, *, jobs: int | None = None, scheduler: str | None = None) -> None:
        self.jobs = jobs or default_jobs()
        self._workers: dict[int, Any] = {}
        self._context = self._todo = self._messages = None
        self._lost = 0
        self._kernels: dict[int, set[int]] = {}  # worker pid -> pids of its live kernels
        self._template: warm.KernelTemplate | None = None

    def warm(self) -> None:
        """Start the run's kernel template, which imports the notebooks' libraries while the
        run checks its data (the workers start later, with :meth:`start`)."""
        if warm.warm_kernels_enabled() and self._template is None:
            try:
                self._template = warm.KernelTemplate(shared=True)
            except OSError:  # each worker starts its own
                self._template = None

    def start(self, expected: int | None = None) -> None:
        """Start the worker processes (no more than the ``expected`` number of jobs)."""
        import multiprocessing

        if self._workers:
            return
        self._context = multiprocessing.get_context("spawn")
        self._todo, self._messages = self._context.Queue(), self._context.Queue()
        self.warm()  # when not started yet: it imports while the workers start
        for _ in range(min(self.jobs, expected or self.jobs)):
            self._start_worker()

    def _start_worker(self) -> None:
        address = self._template.address if self._template is not None else None
        process = self._context.Process(target=_worker_main,
                                        args=(self._todo, self._messages, os.getpid(), address),
                                        daemon=True, name="evalkit-run-worker")
        process.start()
        self._workers[process.pid] = process

    def run(self, jobs: Sequence[Job], *, on_event: OnEvent | None = None,
            on_result: OnResult | None = None) -> list[JobResult]:
        """Run ``jobs``; results come back in the order of ``jobs``."""
        if not jobs:
            return []
        self.start(len(jobs))
        for item in enumerate(jobs):
            self._todo.put(item)
        results: dict[int, JobResult] = {}
        held: dict[int, int] = {}  # worker pid -> index of the job it holds
        self._lost, checked = 0, time.monotonic()
        try:
            while len(results) < len(jobs):
                if time.monotonic() - checked > 0.5:
                    self._replace_dead(held, jobs, results, on_result)
                    checked = time.monotonic()
                try:
                    message = self._messages.get(timeout=0.5)
                except queue_module.Empty:
                    continue
                if message[0] == "event":
                    if on_event:
                        on_event(message[1])
                elif message[0] == "kernel":
                    self._note_kernel(message)
                elif message[0] == "taken":
                    held[message[2]] = message[1]
                    self._lost = 0
                else:
                    _, index, result = message
                    held = {pid: i for pid, i in held.items() if i != index}
                    results[index] = result
                    if on_result:
                        on_result(result)
        except BaseException:
            with contextlib.suppress(Exception):  # the reason the run stops comes first
                self.close(force=True)
            raise
        return [results[i] for i in range(len(jobs))]

    def _replace_dead(self, held, jobs, results, on_result) -> None:
        for pid, process in list(self._workers.items()):
            if process.is_alive():
                continue
            del self._workers[pid]
            for kernel in self._kernels.pop(pid, set()):  # its kernel must not outlive it
                kill_group(kernel)
            index = held.pop(pid, None)
            if index is None:
                # A worker that dies before taking any job cannot start at all (typically a
                # script that starts a run without the `if __name__ == "__main__":` guard).
                self._lost += 1
                if self._lost > self.jobs + 2:
                    raise ExecutionError.from_catalogue("runner.workers_failed",
                                                        code=process.exitcode)
            elif index not in results:
                results[index] = _crashed(jobs[index], f"the worker process died "
                                                       f"(exit code {process.exitcode})")
                if on_result:
                    on_result(results[index])
            if len(results) < len(jobs):
                self._start_worker()

    def _note_kernel(self, message: tuple) -> None:
        _, worker, (what, pid) = message
        kernels = self._kernels.setdefault(worker, set())
        if what == "kernel":
            kernels.add(pid)
        else:
            kernels.discard(pid)

    def _drain(self) -> None:
        """Read what the workers said and was not read yet (the kernels they started)."""
        if self._messages is None:
            return
        while True:
            try:
                message = self._messages.get_nowait()
            except (queue_module.Empty, OSError, ValueError, EOFError):
                return
            if message[0] == "kernel":
                self._note_kernel(message)

    def close(self, *, force: bool = False) -> None:
        """Stop the workers: politely once the jobs are done; when ``force`` (an interrupt),
        with SIGTERM (a worker kills its kernel and exits), then SIGKILL after
        :data:`STOP_SECONDS`, and the kernels' process groups are killed from here too."""
        workers, self._workers = self._workers, {}
        if not force:
            for _ in workers:
                self._todo.put(None)
            deadline = time.monotonic() + 10
            for process in workers.values():
                process.join(timeout=max(0.1, deadline - time.monotonic()))
        for process in workers.values():
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + (STOP_SECONDS if force else 10)
        for process in workers.values():
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        self._drain()
        for pid in {k for kernels in self._kernels.values() for k in kernels}:
            kill_group(pid)  # a worker killed before it could stop its kernel
        self._kernels.clear()
        template, self._template = self._template, None
        if template is not None:  # and with it any kernel it forked that still runs
            with contextlib.suppress(Exception):
                if force:
                    template.kill()
                else:
                    template.close()
        if force:
            for channel in (self._todo, self._messages):
                if channel is not None:
                    # jobs never taken stay in the pipe: exiting must not wait to flush them
                    channel.cancel_join_thread()
                    channel.close()
            self._todo = self._messages = None


class DaskExecutor:
    """The same jobs on a ``dask.distributed`` cluster: the one at ``scheduler``, or a
    ``LocalCluster`` of ``jobs`` single-threaded worker processes when no address is given.

    Workers must see the same file system as this process (the study folder, the run folder
    being assembled, the key) and have the same evalkit and kernelspec installed.
    """

    name = "dask"

    def __init__(self, *, jobs: int | None = None, scheduler: str | None = None) -> None:
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise ConfigError.from_catalogue("runner.dask_missing", where="--executor")
        self.jobs = jobs or default_jobs()
        self.scheduler = scheduler
        self._client = self._cluster = None

    def start(self, expected: int | None = None) -> None:
        """Connect to the scheduler (or start a local cluster of at most ``expected``
        workers)."""
        if self._client is not None:
            return
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError.from_catalogue("runner.dask_missing", where="--executor") from None
        if self.scheduler:
            self._client = Client(self.scheduler, timeout="30s")
        else:
            self._cluster = LocalCluster(n_workers=min(self.jobs, expected or self.jobs),
                                         threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)

    def run(self, jobs: Sequence[Job], *, on_event: OnEvent | None = None,
            on_result: OnResult | None = None) -> list[JobResult]:
        """Run ``jobs``; results come back in the order of ``jobs``."""
        if not jobs:
            return []
        self.start(len(jobs))
        from dask.distributed import as_completed


        token = uuid.uuid4().hex[:8]
        futures: dict = {}
        results: dict[int, JobResult] = {}
        try:
            futures = {self._client.submit(run_job_ahead, job,
                                           key=f"evalkit-{job.key}-{token}", pure=False): i
                       for i, job in enumerate(jobs)}
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
            self._client.cancel(list(futures))
            self.close()
            raise
        self._discard_ahead()
        return [results[i] for i in range(len(jobs))]

    def _discard_ahead(self) -> None:
        """End the kernel each worker started for a next job (a cluster's workers outlive
        the run; a lost worker's kernels ended with it)."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.run(discard_kernel_ahead)

    def close(self, *, force: bool = False) -> None:
        """End the workers' kernels started ahead and disconnect (and stop the local cluster,
        if this executor started one)."""
        self._discard_ahead()
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


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
