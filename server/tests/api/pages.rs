use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};

use testkit::app::spawn_app;

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

fn login_form_post(accept: &str, password: &str) -> Request<Body> {
    Request::post("/api/identity/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, accept)
        .header(header::REFERER, "http://127.0.0.1:3000/login")
        .body(Body::from(format!("username=demo&password={password}")))
        .expect("valid request")
}

#[tokio::test]
async fn a_refused_sign_in_called_by_the_browser_client_answers_401_with_the_reason() {
    // Arrange
    let app = spawn_app().await;

    // Act: the hydrated client calls server functions with a non-HTML Accept header.
    let response = app
        .send(login_form_post(
            "application/x-www-form-urlencoded",
            "not-the-password",
        ))
        .await;

    // Assert: the caller's mistake is a 4xx with the reason, not a server fault.
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("Invalid username or password"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn a_refused_sign_in_posted_by_a_plain_form_redirects_back_to_the_form() {
    // Arrange
    let app = spawn_app().await;

    // Act: without JavaScript the browser posts the form and accepts HTML.
    let response = app
        .send(login_form_post(
            "text/html,application/xhtml+xml",
            "not-the-password",
        ))
        .await;

    // Assert: the redirect back to the form survives the failure status, and carries the
    // error for the form to show.
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        location.starts_with("http://127.0.0.1:3000/login?") && location.contains("__err="),
        "{location}"
    );
}
