"""The article list stays flat as articles pile up: each filter's page is read off an
index in list order (no sort of the matching rows), and a page's tags and categories
load in a fixed number of queries, however many articles it shows."""

import pytest

from pastecms.extensions import db
from tests.conftest import statements


def page_queries(seen):
    """The statements that read a page of articles."""
    return [(sql, params) for sql, params in seen if "sort_time DESC" in sql and "LIMIT" in sql]


@pytest.fixture
def library(cms_admin):
    tech = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    for n in range(12):
        cms_admin.article(
            f"A{n}",
            status="published" if n % 3 else "draft",
            tags=[f"t{n % 4}", "common", f"u{n}"],
            categoryId=tech["id"] if n % 2 else None,
        )
    return tech


QUERIES = [
    "",
    "status=published",
    "status=draft",
    "tag=common",
    "tag=common&status=published",
    "category=tech",
    "category=tech&status=draft",
]


def plan(app, sql, params) -> str:
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            return "\n".join(str(row[-1]) for row in rows)
        # With sorting priced out, a plan that still sorts has no index giving the order.
        connection.exec_driver_sql("SET enable_sort = off")
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + sql, params).all()
        return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("query", QUERIES)
def test_each_filter_reads_its_page_off_an_index(app, cms_admin, library, query):
    with statements(app) as seen:
        response = cms_admin.get(f"/v1/articles?{query}")
    assert response.status_code == 200
    (page,) = page_queries(seen)
    explained = plan(app, *page)
    assert "TEMP B-TREE" not in explained, explained  # SQLite sorting the rows
    assert "Sort" not in explained, explained  # PostgreSQL sorting the rows
    assert "INDEX" in explained.upper(), explained


@pytest.mark.parametrize("query", ["", "tag=common", "category=tech"])
def test_a_page_costs_the_same_queries_for_one_article_or_many(cms_admin, app, library, query):
    counts = []
    for per_page in (1, 12):
        with statements(app) as seen:
            response = cms_admin.get(f"/v1/articles?perPage={per_page}&{query}")
        assert len(response.json["articles"]) > (per_page > 1)
        counts.append(len(seen))
    assert counts[0] == counts[1]
    assert counts[1] <= 6  # the key, the filter's row, the total, the page, its tags


def test_a_list_counts_no_rows(cms_admin, app, library):
    with statements(app) as seen:
        cms_admin.get("/v1/articles?status=published&tag=common")
    assert not any("count(" in sql.lower() for sql, _ in seen)
