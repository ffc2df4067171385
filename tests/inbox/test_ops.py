"""Operations: /healthz, /metrics, and the cross-process source lock."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from models.db import session_scope
from models.locks import try_lock
from models.tables import SourceHealth
from tests.support.web import AUTH, filled_inbox


def test_healthz_reports_store_scheduler_and_sources(engine: Engine) -> None:
    filled_inbox(engine)
    client = TestClient(
        create_app(engine, scheduler_state=lambda: {"running": True, "jobs": {}}, auth_config=AUTH)
    )
    body = client.get("/healthz").json()
    assert (body["status"], body["store"], body["pending"]) == ("ok", "ok", 0)
    stopped = TestClient(
        create_app(engine, scheduler_state=lambda: {"running": False}, auth_config=AUTH)
    )
    assert stopped.get("/healthz").status_code == 503


def test_healthz_says_when_the_store_is_unreachable(tmp_path) -> None:
    from models.db import make_engine

    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = TestClient(create_app(broken, auth_config=AUTH)).get("/healthz")
    assert response.status_code == 503
    assert response.json()["store"].startswith("unreachable")


def test_metrics_in_prometheus_format(engine: Engine) -> None:
    filled_inbox(engine)
    text = TestClient(create_app(engine, auth_config=AUTH)).get("/metrics").text
    assert 'aduan_complaints_filed_total{inbox="LPJU"} 2.0' in text  # mentions 1 and 4
    assert "aduan_triage_size 1.0" in text
    assert 'aduan_mentions{state="filed"} 3.0' in text
    assert "# TYPE aduan_source_state gauge" in text


def test_a_source_lock_is_held_across_connections(engine: Engine) -> None:
    with try_lock(engine, "harvest:x") as first:
        assert first
        with try_lock(engine, "harvest:x") as second:
            assert not second
        with try_lock(engine, "harvest:y") as other:
            assert other
    with try_lock(engine, "harvest:x") as again:
        assert again


def test_hold_lock_waits_for_the_holder(engine: Engine) -> None:
    import threading
    import time

    from models.locks import hold_lock

    order: list[str] = []

    def second() -> None:
        with hold_lock(engine, "migrate"):
            order.append("second")

    with hold_lock(engine, "migrate"):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first done")
    thread.join(timeout=10)
    assert order == ["first done", "second"]


def test_health_and_metrics_say_when_a_source_quarantines_records(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(
            SourceHealth(
                source="x-mentions", platform="twitter", last_run_quarantined=2, total_quarantined=5
            )
        )
        s.add(
            SourceHealth(
                source="fb-page", platform="facebook", last_run_quarantined=0, total_quarantined=1
            )
        )
    client = TestClient(
        create_app(engine, scheduler_state=lambda: {"running": True, "jobs": {}}, auth_config=AUTH)
    )
    response = client.get("/healthz")
    body = response.json()
    # records set aside need a person, not a restart: a warning, still 200
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["sources"]["x-mentions"]["quarantined_last_run"] == 2
    assert body["warnings"] == [
        "source x-mentions quarantined 2 records in its last run (5 since it started): "
        "aduan quarantine list"
    ]
    text = client.get("/metrics").text
    assert 'aduan_source_quarantined_total{source="x-mentions"} 5.0' in text
    assert 'aduan_source_quarantined_total{source="fb-page"} 1.0' in text
