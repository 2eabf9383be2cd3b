"""The bundled Helsinki feed, compiled once per test session into a temporary cache."""

import pytest

from feeds.network import BUNDLED_FEED, Network


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("cache"))
