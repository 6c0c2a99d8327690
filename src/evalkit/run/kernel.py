"""The kernel notebooks run on: the ``evalkit`` kernelspec of this environment, and no other.

jupyter_client searches the user's folders first, where a ``python3`` (or even an ``evalkit``)
kernelspec may point to another Python; a run looks only in ``sys.prefix``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import uuid
from pathlib import Path

from evalkit.run import warm

__all__ = ["KERNEL_NAME", "ensure_kernel", "install_kernel", "kernel_manager_class", "kernels_dir"]

#: The kernel name notebooks run on (see ``evalkit kernel install``).
KERNEL_NAME = "evalkit"


def kernels_dir(prefix: str | None = None) -> Path:
    """The folder of this environment's kernelspecs: ``<sys.prefix>/share/jupyter/kernels``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels"


def install_kernel(*, prefix: str | None = None, quiet: bool = False) -> str:
    """Install (or refresh) the ``evalkit`` kernelspec under ``prefix`` (default ``sys.prefix``)."""
    from ipykernel.kernelspec import install  # heavy: imported when a kernelspec is written

    path = install(
        kernel_name=KERNEL_NAME,
        display_name=f"Python 3 (evalkit, {sys.version_info.major}.{sys.version_info.minor})",
        prefix=prefix or sys.prefix,
    )
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
