from fastapi.testclient import TestClient


def test_health_reports_service_and_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_unknown_path_is_404(client: TestClient) -> None:
    assert client.get("/nowhere").status_code == 404
