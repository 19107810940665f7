use axum::http::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_the_demo_project() {
    // Arrange
    let app = spawn_app().await;

    // Act: SSR runs the page's server function through the in-process GraphQL executor.
    let response = app.get("/").await;

    // Assert
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.body.contains("Demo workspace"),
        "{}",
        response.body
    );
    assert!(response.body.contains("/pkg/revintel"));
}

#[tokio::test]
async fn an_unknown_page_answers_404() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/definitely/not/here").await;

    // Assert
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(response.body.contains("Page not found"));
}
