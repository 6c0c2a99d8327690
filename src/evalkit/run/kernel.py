"""The kernel notebooks run on: the ``evalkit`` kernelspec of this environment, and no other.

jupyter_client searches the user's folders first, where a ``python3`` (or even an ``evalkit``)
kernelspec may point to another Python; a run looks only in ``sys.prefix``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

from evalkit.run import warm

__all__ = ["KERNEL_NAME", "ensure_kernel", "install_kernel", "kernel_manager_class", "kernels_dir"]

#: The kernel name notebooks run on (see ``evalkit kernel install``).
KERNEL_NAME = "evalkit"
#: Seconds to wait for the kernel's reply to one ``kernel_info`` request before asking again.
REPLY_SECONDS = 1.0
#: Seconds to wait for that request's status on IOPub before asking again (IOPub not yet
#: connected: what the kernel published before it was is lost).
IOPUB_SECONDS = 0.2


def kernels_dir(prefix: str | None = None) -> Path:
    """The folder of this environment's kernelspecs: ``<sys.prefix>/share/jupyter/kernels``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels"


def install_kernel(*, prefix: str | None = None, quiet: bool = False) -> str:
    """Install (or refresh) the ``evalkit`` kernelspec under ``prefix`` (default ``sys.prefix``).

    The kernelspec is ipykernel's (``python -Xfrozen_modules=off -m ipykernel_launcher``, as
    ``ipykernel.kernelspec.install`` writes it), staged in a temporary folder that is removed
    whatever happens (``install`` leaves an empty folder behind in the temporary directory at
    each call)."""
    # heavy: imported when a kernelspec is written
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    display = f"Python 3 (evalkit, {sys.version_info.major}.{sys.version_info.minor})"
    # CPython's frozen modules hide breakpoints from the kernel's debugger.
    python = ["-Xfrozen_modules=off"] if platform.python_implementation() == "CPython" else None
    with tempfile.TemporaryDirectory(prefix="evalkit-kernelspec-") as staging:
        spec = write_kernel_spec(Path(staging) / KERNEL_NAME,
                                 overrides={"display_name": display}, python_arguments=python)
        path = KernelSpecManager().install_kernel_spec(spec, kernel_name=KERNEL_NAME,
                                                       prefix=prefix or sys.prefix)
    if not quiet:
        print(path)
    return path


def _spec_is_current(spec_file: Path) -> bool:
    try:
        argv = json.loads(spec_file.read_text(encoding="utf-8")).get("argv") or []
    except (OSError, ValueError):
        return False
    return bool(argv) and os.path.abspath(argv[0]) == os.path.abspath(sys.executable)


def ensure_kernel(prefix: str | None = None) -> Path:
    """Install or refresh the ``evalkit`` kernelspec of ``prefix`` (default ``sys.prefix``)
    when it is missing or points to another interpreter; return its folder."""

    folder = kernels_dir(prefix) / KERNEL_NAME
    if not _spec_is_current(folder / "kernel.json"):
        try:
            install_kernel(prefix=prefix, quiet=True)
        except OSError:
            # Another process of the same run may be writing it at this moment.
            if not _spec_is_current(folder / "kernel.json"):
                raise
    return folder


def kernel_manager_class() -> type:
    """An ``AsyncKernelManager`` whose kernelspecs come from ``sys.prefix`` only."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default

    class PrefixKernelManager(AsyncKernelManager):
        """Finds kernelspecs in this environment only (never in the user's folders)."""

        @default("kernel_spec_manager")
        def _prefix_only(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(kernels_dir())],
                                     ensure_native_kernel=False)

        @default("client_factory")
        def _ready_client(self) -> type:
            return ready_client_class()

        async def _async_pre_start_kernel(self, **kw):
            # A kernel forked from this worker's warm template (see evalkit.run.warm) when
            # the kernelspec is this environment's ipykernel; the usual start otherwise.
            if self.provisioner is None and warm.warm_kernels_enabled():
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = _warm_provisioner_class()(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return PrefixKernelManager


def _ipykernel_arguments(cmd: list[str]) -> list[str] | None:
    """The arguments after ``python [-X option] -m ipykernel_launcher`` when ``cmd`` starts this
    interpreter's ipykernel; None for any other kernel command (a fork of the template could
    not honour other interpreter options)."""
    if not cmd or os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    start = 1
    while start < len(cmd) and cmd[start].startswith("-X"):
        start += 1
    if cmd[start:start + 2] != ["-m", "ipykernel_launcher"]:
        return None
    return list(cmd[start + 2:])


@functools.cache
def _warm_provisioner_class() -> type:
    from jupyter_client.provisioning import LocalProvisioner

    class WarmProvisioner(LocalProvisioner):
        """Launches the kernel as a fork of the worker's warm template; falls back to
        ``LocalProvisioner`` (a new interpreter) when the template cannot serve."""

        async def launch_kernel(self, cmd, **kwargs):
            arguments = _ipykernel_arguments(cmd)
            serving = warm.template() if arguments is not None else None
            if serving is None:
                return await super().launch_kernel(cmd, **kwargs)
            try:
                self.process = serving.fork_kernel(
                    arguments, env=dict(kwargs.get("env") or os.environ), cwd=kwargs.get("cwd"),
                    stdout=kwargs.get("stdout"), stderr=kwargs.get("stderr"))
            except (OSError, ValueError):
                warm.stop_template()  # it is broken: this kernel starts the usual way
                return await super().launch_kernel(cmd, **kwargs)
            self.pid = self.pgid = self.process.pid
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    return WarmProvisioner


@functools.cache
def ready_client_class() -> type:
    """An ``AsyncKernelClient`` that is ready as soon as the kernel has answered and its IOPub
    channel is connected.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been silent for
    0.2 s, a wait every notebook paid (some 0.2 to 0.4 s of a site profile's wall time).
    Here the kernel is ready when it has replied to a ``kernel_info`` request on the shell
    channel and that request's status has come on IOPub (so IOPub carries the kernel's
    messages); messages still on their way belong to that request, and nbclient reads only
    those of the cell it runs.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (math.inf if timeout is None else timeout)
            asked: set[str] = set()
            while True:
                asked.add(self.kernel_info())
                reply = await _next(self.shell_channel, REPLY_SECONDS, Empty)
                if reply is not None and reply["msg_type"] == "kernel_info_reply" \
                        and await _heard(self.iopub_channel, asked, Empty):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    return ReadyKernelClient


async def _next(channel, seconds: float, empty: type) -> dict | None:
    try:
        return await channel.get_msg(timeout=seconds)
    except empty:
        return None


async def _heard(iopub, asked: set[str], empty: type) -> bool:
    """Whether a message answering one of the requests ``asked`` comes on IOPub within
    :data:`IOPUB_SECONDS` (other messages read meanwhile are dropped, as the wait for
    readiness always did)."""
    deadline = time.monotonic() + IOPUB_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        message = await _next(iopub, left, empty)
        if message is None:
            return False
        if message.get("parent_header", {}).get("msg_id") in asked:
            return True
    return False
