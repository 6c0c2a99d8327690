"""Warm kernels: each notebook still gets a kernel process of its own, forked from a template
process that has already imported the libraries notebooks use.

A fresh ``python -m ipykernel_launcher`` spends seconds of CPU importing pandas, statsmodels,
matplotlib, seaborn and evalkit before the first cell runs, which is most of what a short report
costs. A worker instead starts one *kernel template* (:func:`template`) that
imports them once and then waits; for each notebook it forks a child that becomes an ordinary
ipykernel on the connection file jupyter_client wrote. Nothing a notebook does reaches the
template or the next notebook: every notebook runs in a new process, forked from a state no
notebook ever touched (variables, imported modules, matplotlib's rcParams, pandas options,
warnings filters). A notebook that crashes or kills its kernel takes only its own process.

One template per machine and run. A local run starts one *shared* template before its workers
(:class:`KernelTemplate` with ``shared=True``): it listens on a socket in a folder only this user
can open, and every worker connects to it (:func:`share`) instead of importing the libraries in
a template of its own. A dask worker, or a worker whose shared template cannot serve, starts its
own.

Lifetimes. A forked kernel leads its own process group (like a kernel jupyter_client starts) and
receives SIGKILL when the template ends (``prctl(PR_SET_PDEATHSIG)``); the template ends when the
process that started it closes the socket between them (that process ended, however it ended),
and kills the groups of the kernels it forked on its way out. A worker connected to a shared
template that ends (or closes its connection) has the kernels forked for it killed.

Warm kernels are used on Linux, where fork and the parent-death signal are dependable; elsewhere,
when ``EVALKIT_WARM_KERNELS=0``, or when the template cannot serve, kernels are started the usual
way by jupyter_client.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from evalkit._lifetime import kill_group, parent_death_signal

__all__ = ["PRELOAD", "PRIMERS", "ForkedKernel", "KernelTemplate", "SharedTemplate", "share",
           "stop_template", "template", "warm_kernels_enabled"]

#: Modules the template imports before it forks kernels: what every report notebook imports.
#: The readers (``load_study`` reads the study's files) and every figure module are included:
#: ``from evalkit import plots`` and a notebook's ``Session`` reach them lazily.
PRELOAD: tuple[str, ...] = (
    "numpy", "pandas", "scipy.stats", "statsmodels.api", "statsmodels.formula.api",
    "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "seaborn",
    "PIL.Image", "babel.numbers", "pyreadstat", "defusedxml.ElementTree",
    "evalkit", "evalkit.config.study", "evalkit.read", "evalkit.read._delimited",
    "evalkit.read._excel", "evalkit.read._statfiles", "evalkit.read._qualtrics",
    "evalkit.read._interviews", "evalkit.read.qda.refi", "evalkit.read.qda.spreadsheet",
    "evalkit.present.plots", "evalkit.present.plots.involvement",
    "evalkit.present.plots.joint", "evalkit.present.plots.likert",
    "evalkit.present.plots.logic_model", "evalkit.present.plots.network",
    "evalkit.present.plots.outcomes", "evalkit.present.plots.qual",
    "evalkit.present.plots.sites", "evalkit.present.session", "evalkit.present.display",
    "evalkit.present.joint", "evalkit.analyse.results", "evalkit.release.suppress",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython",
    # What a kernel imports while it starts (ipykernel's debugger brings debugpy, 0.06 to
    # 0.2 CPU s a kernel), and what reading a released table imports (pyarrow's parquet).
    "ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib",
    "IPython.extensions.storemagic", "IPython.core.oinspect", "tornado.platform.asyncio",
    "faulthandler", "psutil", "pyarrow.parquet", "pyarrow.dataset", "pyarrow.pandas_compat",
    "pandas.core.arrays.arrow.extension_types",
)
#: What the template runs after :data:`PRELOAD`, before forking: caches every kernel would
#: fill again (the message catalogues and babel's locale data, the table catalogue,
#: matplotlib's fonts).
WARM_UP: tuple[str, ...] = ("evalkit.i18n:warm_up", "evalkit.analyse.catalogue:catalogue",
                            "evalkit.present.plots._style:warm_up")
#: What the template runs when a worker tells it the run its next kernels serve
#: (:meth:`KernelTemplate.prime`), with the study file and the run folder: it reads ahead
#: what every notebook of the run reads first, each kept by its content (a kernel still reads
#: the files and parses again what changed).
PRIMERS: tuple[str, ...] = ("evalkit.present.session:prime",
                            "evalkit.present.plots.sites:prime")
#: Seconds the template may take to read a run ahead.
PRIME_SECONDS = 60
#: glibc's allocator settings of the template, and so of the kernels it forks (unless the
#: environment sets them). By default a buffer of more than 128 kB (a figure's pixels, a
#: page's HTML) is mapped fresh and given back on release, every page of it faulted in again
#: for the next; a kernel makes dozens. Kept instead below 32 MB, a kernel faults a fifth
#: fewer pages. Other systems ignore these variables.
MALLOC: dict[str, str] = {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
                          "MALLOC_TRIM_THRESHOLD_": str(64 * 1024 * 1024)}
#: The environment variable that turns warm kernels off (``0``).
ENV_SWITCH = "EVALKIT_WARM_KERNELS"
#: Seconds the template may take to import :data:`PRELOAD` and say it is ready.
READY_SECONDS = 120
#: Seconds to wait for the template to fork a kernel and give its pid.
FORK_SECONDS = 30
#: ipykernel's inline backend, set before matplotlib is imported (ipykernel would set it too,
#: but only when the kernel starts, after the template has imported matplotlib).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def warm_kernels_enabled() -> bool:
    """Whether kernels are forked from a warm template (Linux, unless turned off)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return sys.platform.startswith("linux") and hasattr(os, "fork")


# -- the worker's side -----------------------------------------------------------------------

class ForkedKernel:
    """The part of :class:`subprocess.Popen` that jupyter_client uses, for a kernel forked by
    the template (a child of the template, not of this process: its exit code is unknown, and
    its end is seen by its pid no longer leading its process group)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                state = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()[0]
                gone = state in ("Z", "X") or os.getpgid(self.pid) != self.pid
            except (OSError, IndexError):
                gone = True
            if gone:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Connection:
    """A connection to a kernel template: ask it for kernels, or to read a run ahead."""

    def __init__(self, connection: socket.socket) -> None:
        self.socket = connection
        self.lock = threading.Lock()
        self._reader = connection.makefile("rb")
        self.ready = False
        self.primed: set[tuple[str, str]] = set()  # the runs read ahead (study, run folder)

    def alive(self) -> bool:
        raise NotImplementedError

    def _broken(self) -> None:
        """What a connection that no longer answers as it should does (see :meth:`_reply`)."""
        raise NotImplementedError

    def _reply(self, seconds: float) -> dict:
        """The template's answer to the request just sent. A template that does not answer in
        time, or answers what cannot be read, is given up (:meth:`_broken`): a late answer
        would be taken for the next request's (the worker starts another template)."""
        self.socket.settimeout(seconds)
        try:
            line = self._reader.readline()
            if not line:
                raise OSError("the kernel template ended")
            return json.loads(line)
        except (OSError, ValueError):
            self._broken()
            raise

    def _wait_ready(self) -> None:
        if not self.ready:
            message = self._reply(READY_SECONDS)
            if message.get("ready") is not True:
                raise OSError(f"the kernel template could not start: {message}")
            self.ready = True

    def fork_kernel(self, argv: list[str], *, env: dict, cwd: str | None,
                    stdout: Any = None, stderr: Any = None) -> ForkedKernel:
        """Ask for a kernel running ``argv`` (ipykernel's arguments) in ``cwd`` with ``env``;
        its output goes to the files ``stdout`` and ``stderr`` (or the template's)."""
        fds = [f.fileno() for f in (stdout, stderr) if f is not None and hasattr(f, "fileno")]
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd,
                              "out": stdout is not None, "err": stderr is not None}).encode()
        with self.lock:
            self._wait_ready()
            socket.send_fds(self.socket, [request + b"\n"], fds)
            message = self._reply(FORK_SECONDS)
        if "pid" not in message:
            raise OSError(f"the kernel template could not fork a kernel: {message}")
        return ForkedKernel(int(message["pid"]))

    def prime(self, study_file: str, run_dir: str) -> bool:
        """Have the template read ahead what the notebooks of the run in ``run_dir`` read
        first (:data:`PRIMERS`), for the kernels it forks from now on (once per run, however
        many workers ask); whether it did."""
        request = json.dumps({"prime": {"study_file": study_file, "run_dir": run_dir}})
        with self.lock:
            if (study_file, run_dir) in self.primed:
                return False
            self.primed.add((study_file, run_dir))
            self._wait_ready()
            self.socket.sendall(request.encode() + b"\n")
            message = self._reply(PRIME_SECONDS)
        return message.get("primed") == []

    def _disconnect(self) -> None:
        # The reader made by ``makefile`` holds the socket open too: close both, or the
        # template never sees the end of the connection.
        with contextlib.suppress(OSError):
            self._reader.close()
        with contextlib.suppress(OSError):
            self.socket.close()


class KernelTemplate(_Connection):
    """A template process started by this process, and the socket to ask it for kernels.

    With ``shared``, the template also listens at :attr:`address` (a socket in a new folder
    only this user can open) for the connections of other processes of this machine
    (:class:`SharedTemplate`): the workers of a local run share the template the run started.
    """

    def __init__(self, *, shared: bool = False) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.address: str | None = None
        self._folder: str | None = None
        listener = self._listen() if shared else None
        env = {**os.environ, "MPLBACKEND": os.environ.get("MPLBACKEND") or INLINE_BACKEND,
               **{name: os.environ.get(name, value) for name, value in MALLOC.items()}}
        passed = [theirs.fileno(), *([listener.fileno()] if listener is not None else [])]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from evalkit.run.warm import _serve; "
                 "_serve(*map(int, sys.argv[1:]))", str(theirs.fileno()), str(os.getpid()),
                 *([str(listener.fileno())] if listener is not None else [])],
                pass_fds=passed, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        except BaseException:
            ours.close()
            self._remove_folder()
            raise
        finally:
            theirs.close()
            if listener is not None:
                listener.close()
        super().__init__(ours)

    def _listen(self) -> socket.socket | None:
        """The listening socket of a shared template (None when the system cannot make one,
        e.g. a temporary folder whose path is too long for a socket: not shared then)."""
        folder = tempfile.mkdtemp(prefix="evalkit-kernels-")  # mode 0700
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(os.path.join(folder, "template"))
            listener.listen(64)
        except OSError:
            listener.close()
            shutil.rmtree(folder, ignore_errors=True)
            return None
        self._folder, self.address = folder, os.path.join(folder, "template")
        return listener

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def _broken(self) -> None:
        kill_group(self.pid)

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def close(self) -> None:
        """End the template (and so any kernel it forked that still runs)."""
        self._disconnect()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill_group(self.process.pid)
            self.process.wait(timeout=5)
        self._remove_folder()

    def kill(self) -> None:
        """End the template at once (and so its kernels)."""
        kill_group(self.pid)
        self._disconnect()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)  # waited for: no zombie left in a long-lived process
        self._remove_folder()


class SharedTemplate(_Connection):
    """This process's connection to a template another process started with ``shared=True``
    (the template of a local run, for its workers).

    Closing the connection, or this process ending, has the template kill the kernels it
    forked for this connection; the template itself serves the other connections on.
    """

    def __init__(self, address: str) -> None:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.settimeout(FORK_SECONDS)
            connection.connect(address)
        except OSError:
            connection.close()
            raise
        super().__init__(connection)
        self.address = address
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The template's pid, once it has said it is ready (None before)."""
        return getattr(self, "_pid", None)

    def _reply(self, seconds: float) -> dict:
        message = super()._reply(seconds)
        if message.get("ready") is True and isinstance(message.get("pid"), int):
            self._pid = message["pid"]
        return message

    def alive(self) -> bool:
        return not self._closed

    def _broken(self) -> None:
        # Only this connection is given up: the template may serve others well.
        self.close()

    def close(self) -> None:
        """Close the connection (the template kills the kernels it forked for it)."""
        self._closed = True
        self._disconnect()


_TEMPLATE: _Connection | None = None
_TEMPLATE_LOCK = threading.Lock()
#: The address of the shared template this process's kernels are asked of (:func:`share`).
_SHARED: str | None = None


def share(address: str | None) -> None:
    """Ask the shared template at ``address`` for this process's kernels from now on (a
    local run's worker); None: start a template of this process's own."""
    global _SHARED
    _SHARED = address


def template(start: bool = True) -> _Connection | None:
    """This process's kernel template: the shared one when :func:`share` named it and it
    can be reached, else one of its own, started on first use (None when warm kernels are
    off or the template has ended).

    A shared template that cannot be reached, or stops answering, is not asked again: this
    process then starts its own.
    """
    global _TEMPLATE, _SHARED
    if not warm_kernels_enabled():
        return None
    with _TEMPLATE_LOCK:
        if _TEMPLATE is not None and not _TEMPLATE.alive():
            if isinstance(_TEMPLATE, SharedTemplate):
                _SHARED = None
            _TEMPLATE = None  # it ended (killed from outside): the next one is started
        if _TEMPLATE is None and start and _SHARED is not None:
            try:
                _TEMPLATE = SharedTemplate(_SHARED)
            except OSError:
                _SHARED = None
        if _TEMPLATE is None and start:
            _TEMPLATE = KernelTemplate()
        return _TEMPLATE


def stop_template() -> None:
    """End this process's kernel template, if it started one (or close its connection to
    the shared one, which is not asked again)."""
    global _TEMPLATE, _SHARED
    with _TEMPLATE_LOCK:
        current, _TEMPLATE = _TEMPLATE, None
    if current is not None:
        if isinstance(current, SharedTemplate):
            _SHARED = None
        current.close()


def kill_template() -> None:
    """Kill this process's own kernel template at once (from a signal handler). A shared
    template is left to serve the other workers: it kills this process's kernels when the
    connection ends, with this process."""
    if isinstance(_TEMPLATE, KernelTemplate):
        kill_group(_TEMPLATE.pid)


# -- the template's side ---------------------------------------------------------------------

_START_PATH = sys.path[0] if sys.path else ""


def _preload() -> list[str]:
    missing = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as error:  # a module a kernel will import itself, slowly but surely
            missing.append(f"{name}: {type(error).__name__}")
    return missing


def _warm_caches() -> list[str]:
    """Fill, once in the template, caches every kernel would otherwise fill on its own
    (:data:`WARM_UP`); nothing a notebook can set is touched. Returns what failed."""
    failed = []
    for reference in WARM_UP:
        module, _, function = reference.partition(":")
        try:
            getattr(importlib.import_module(module), function)()
        except Exception as error:  # a kernel fills that cache itself, slowly but surely
            failed.append(f"{reference}: {type(error).__name__}")
    return failed


def _prime(request: dict) -> list[str]:
    """Run :data:`PRIMERS` for the run ``request`` names; returns what failed (a kernel then
    reads the run's files itself)."""
    failed = []
    for reference in PRIMERS:
        module, _, function = reference.partition(":")
        try:
            getattr(importlib.import_module(module), function)(request["study_file"],
                                                               request["run_dir"])
        except Exception as error:
            failed.append(f"{reference}: {type(error).__name__}")
    return failed


def _become_kernel(request: dict, fds: list[int], held: list[Any], started: int) -> None:
    """In the forked child: turn into an ipykernel as ``python -m ipykernel_launcher`` would."""
    code = 1
    try:
        # The template's sockets are not the kernel's: a connection held open here would
        # hide its end from the template.
        for thing in held:
            thing.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's subprocesses are waited on
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # its own process group, as jupyter_client gives a kernel
        parent_death_signal(signal.SIGKILL)
        os.write(started, b"1")
        os.close(started)
        with open(os.devnull, "rb") as null:
            os.dup2(null.fileno(), 0)
        fds = list(fds)
        for wanted, target in (("out", 1), ("err", 2)):
            if request.get(wanted) and fds:
                fd = fds.pop(0)
                os.dup2(fd, target)
                os.close(fd)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        if sys.path and sys.path[0] == _START_PATH == "":  # as ipykernel_launcher does
            del sys.path[0]
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if "numpy" in sys.modules:  # a fresh kernel would not share the template's seed
            sys.modules["numpy"].random.seed()
        argv = list(request["argv"])
        # ipykernel watches its parent: here the template, whose end ends the kernel too.
        argv.append(f"--IPKernelApp.parent_handle={os.getppid()}")
        launcher = importlib.util.find_spec("ipykernel_launcher")
        sys.argv = [launcher.origin if launcher else "ipykernel_launcher", *argv]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class _Client:
    """What the template keeps of one connection: the request being received and the kernels
    forked for it."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.fds: list[int] = []
        self.children: set[int] = set()


def _same_user(connection: socket.socket) -> bool:
    """Whether the process at the other end of ``connection`` runs as this user (the folder
    of the socket already keeps others out; this is said again here)."""
    try:
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                            struct.calcsize("3i"))
    except (OSError, AttributeError):
        return False
    return struct.unpack("3i", credentials)[1] == os.getuid()


def _serve(fd: int, parent: int, listener: int = -1) -> None:
    """The template's loop: fork a kernel for each request, until the process that started it
    goes away; with a ``listener``, for every connection made to it too (a shared template).
    """
    owner = socket.socket(fileno=fd)
    parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the process ended before the parent-death signal was asked
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listening = socket.socket(fileno=listener) if listener >= 0 else None
    address = listening.getsockname() if listening is not None else None
    missing = _preload() + _warm_caches()
    ready = json.dumps({"ready": True, "missing": missing, "pid": os.getpid()}).encode()
    clients = {owner.fileno(): _Client(owner)}
    primed: dict[tuple[str, str], list[str]] = {}
    selector = selectors.DefaultSelector()

    def reap(*_: Any) -> None:
        # Waited on, so that their CPU time is counted to the run, as a kernel's started by
        # jupyter_client is.
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass

    def end(*_: Any) -> None:
        for client in clients.values():
            for pid in client.children:
                kill_group(pid)
        if address:
            with contextlib.suppress(OSError):
                os.unlink(address)
                os.rmdir(os.path.dirname(address))
        os._exit(0)

    def drop(client: _Client) -> None:
        if client.connection is owner:
            end()
        for pid in client.children:  # a worker gone: its kernels go too
            kill_group(pid)
        for descriptor in client.fds:
            os.close(descriptor)
        selector.unregister(client.connection)
        del clients[client.connection.fileno()]
        client.connection.close()

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, end)
    owner.sendall(ready + b"\n")
    selector.register(owner, selectors.EVENT_READ)
    if listening is not None:
        selector.register(listening, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is listening:
                with contextlib.suppress(OSError):
                    connection, _ = listening.accept()
                    if not _same_user(connection):
                        connection.close()
                        continue
                    connection.sendall(ready + b"\n")
                    clients[connection.fileno()] = _Client(connection)
                    selector.register(connection, selectors.EVENT_READ)
                continue
            client = clients[key.fileobj.fileno()]
            held = [*(c.connection for c in clients.values()),
                    *([listening] if listening is not None else []), selector]
            try:
                _serve_client(client, primed, held)
            except (OSError, ValueError, KeyError):  # ended, or a request that cannot be read
                drop(client)


def _serve_client(client: _Client, primed: dict, held: list[Any]) -> None:
    """Read what ``client`` sent and answer each whole request in it (``held``: what a kernel
    forked for it closes); raises OSError when its connection has ended."""
    data, received, _, _ = socket.recv_fds(client.connection, 65536, 4)
    client.fds += received
    if not data:
        raise OSError("connection ended")
    client.buffer += data  # a request may come in several parts
    while b"\n" in client.buffer:
        line, client.buffer = client.buffer.split(b"\n", 1)
        request = json.loads(line)
        if "prime" in request:
            run = (request["prime"]["study_file"], request["prime"]["run_dir"])
            if run not in primed:  # once per run, whichever worker asks first
                primed[run] = _prime(request["prime"])
            client.connection.sendall(json.dumps({"primed": primed[run]}).encode() + b"\n")
            continue
        started_r, started_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(started_r)
            _become_kernel(request, client.fds, held, started_w)
        os.close(started_w)
        os.read(started_r, 1)  # the kernel leads its group now (or has already ended)
        os.close(started_r)
        for descriptor in client.fds:
            os.close(descriptor)
        client.fds = []
        client.children = {p for p in client.children if _leads_group(p)} | {pid}
        client.connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False
