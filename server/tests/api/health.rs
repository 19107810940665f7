use axum::http::StatusCode;

use testkit::app::spawn_app;

#[tokio::test]
async fn health_reports_ok_when_the_database_answers() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/health").await;

    // Assert
    assert_eq!(response.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "up");
}

#[tokio::test]
async fn health_reports_503_when_the_database_is_gone() {
    // Arrange
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();

    // Act
    let response = app.get("/health").await;

    // Assert
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.body.contains("\"database\":\"down\""));
}
