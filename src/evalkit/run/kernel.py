"""The kernel notebooks run on: the ``evalkit`` kernelspec of this environment, and no other.

jupyter_client searches the user's folders first, where a ``python3`` (or even an ``evalkit``)
kernelspec may point to another Python; a run looks only in ``sys.prefix``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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

    return PrefixKernelManager
