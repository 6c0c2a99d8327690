"""The public API: every advertised name resolves, and importing evalkit stays light."""

import subprocess
import sys

import evalkit


def test_every_public_name_resolves():
    for name in evalkit.__all__:
        assert getattr(evalkit, name) is not None, name
    assert evalkit.read_qdpx is not None
    assert evalkit.scrub_texts is not None


def test_import_has_no_heavy_side_effects():
    code = ("import sys, evalkit; heavy = [m for m in ('pandas', 'scipy', 'statsmodels', "
            "'matplotlib') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
