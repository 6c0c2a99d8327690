"""What the figure tests share: the demo study, validated once, and a check that no test leaves
a pyplot figure open (figures from evalkit.present.plots are never registered with pyplot)."""

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from evalkit.validate.study import validate_study

DEMO = Path(__file__).resolve().parents[2] / "data_samples" / "demo"


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    yield
    assert plt.get_fignums() == []


@pytest.fixture(scope="module")
def demo():
    return validate_study(DEMO)
