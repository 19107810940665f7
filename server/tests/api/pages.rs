use axum::http::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_the_demo_project() {
    // Arrange
    let app = spawn_app().await;
    let demo = app.login_demo().await;

    // Act: SSR runs the page's server function through the in-process GraphQL executor, with
    // the same cookie an HTTP client would send.
    let response = app.get_as("/", Some(&demo)).await;

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

#[tokio::test]
async fn the_home_page_asks_an_anonymous_visitor_to_sign_in_and_shows_no_projects() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/").await;

    // Assert
    assert_eq!(response.status, StatusCode::OK);
    assert!(!response.body.contains("Demo workspace"));
    assert!(response.body.contains("href=\"/login\""));
}

#[tokio::test]
async fn the_login_page_renders_a_form_that_posts_without_javascript() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/login").await;

    // Assert: a plain HTML form with method and action, usable before the wasm loads.
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.body.contains("method=\"post\""),
        "{}",
        response.body
    );
    assert!(response.body.contains("name=\"username\""));
    assert!(response.body.contains("name=\"password\""));
}
