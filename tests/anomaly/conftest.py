"""Every detector, tiny, trained once per test session on one constant image."""

import numpy as np
import pytest

from anomaly_cases import NAMES, constant_image, epochs_of, make_detector


@pytest.fixture(scope="session")
def constant_detectors():
    """Every detector fitted on 32 copies of one constant image (batches of 16)."""
    normal = np.stack([constant_image()] * 32)
    return {name: make_detector(name).fit(normal, epochs=epochs_of(name), batch_size=16)
            for name in NAMES}
