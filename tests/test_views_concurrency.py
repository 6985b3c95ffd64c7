"""Views are counted in SQL: concurrent reads never lose an update."""

import threading
from concurrent.futures import ThreadPoolExecutor

READS = 100


def test_concurrent_reads_add_exactly_one_view_each(app, api):
    paste = api.submit("popular")
    paste_id = paste["paste_id_repr"]
    # Every thread waits here so the reads really overlap.
    start = threading.Barrier(16)

    def read(n: int) -> int:
        client = app.test_client()
        if n < 16:
            start.wait(timeout=30)
        if n % 4 == 3:
            response = client.get(f"/paste/{paste_id}/raw")
            return response.status_code
        response = client.post("/api/paste/details", json={"paste_id": paste_id})
        return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(read, range(READS)))

    assert statuses == [200] * READS
    final = api.details(paste_id).json["views"]
    assert final == READS + 1  # the last read counts itself
