"""One production topology (deploy.launch: nginx, 2 replicas, PostgreSQL, Redis)
for the module; its own database is dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prod.topology import ProdTopology


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdTopology]:
    topo = ProdTopology(tmp_path_factory.mktemp("prod"))
    try:
        topo.start()
        yield topo
    finally:
        topo.stop()
        topo.drop_database()
