"""The bundled Helsinki feed with its bundled OpenStreetMap extract (as `trajet serve` opens
them by default), compiled once per test session into a temporary cache, and a test client
that serves the app as `trajet serve` does (metered from first byte to last)."""

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from trajet.api.metering import MeteredAppRunner
from trajet.feeds.load import BUNDLED_FEED, BUNDLED_OSM
from trajet.service.network import Network


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    return Network.open([BUNDLED_FEED], cache_dir=tmp_path_factory.mktemp("cache"), osm=BUNDLED_OSM)


class MeteredTestServer(TestServer):
    """pytest-aiohttp's test server, on the runner `trajet serve` uses."""

    async def _make_runner(self, **kwargs) -> MeteredAppRunner:
        return MeteredAppRunner(self.app, **kwargs)


@pytest.fixture
def aiohttp_client(aiohttp_client):
    """pytest-aiohttp's client fixture, serving an Application through MeteredTestServer."""

    async def client(app, **kwargs):
        if isinstance(app, web.Application):
            app = MeteredTestServer(app)
        return await aiohttp_client(app, **kwargs)

    return client
