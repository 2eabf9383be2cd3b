"""The bundled Helsinki feed, compiled once per test session into a temporary cache."""

import pytest

from trajet.feeds.load import BUNDLED_FEED
from trajet.service.network import Network


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("cache"))
