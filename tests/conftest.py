import os

# Quiet TensorFlow's C++ start-up logs; set before anything imports TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


# Folders whose test files share per-process caches (export_cases' exports, the
# anomaly conftest's session fixtures). Under pytest-xdist (`make test`) each of them
# runs on one worker, so the caches are filled once; every other file is sent whole
# to a worker (as --dist loadfile), so its module fixtures are made once too.
SHARED_CACHE_FOLDERS = ("tests/export/", "tests/anomaly/")


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called only under it
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    class SharedCacheScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return next((folder for folder in SHARED_CACHE_FOLDERS
                         if nodeid.startswith(folder)), super()._split_scope(nodeid))

    return SharedCacheScheduling(config, log)
