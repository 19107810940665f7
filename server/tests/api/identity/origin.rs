//! Posts from other sites and the production session cookie.
use super::*;

/// A login posted by a page of `origin` to the app at `host`.
fn login_from(origin: &str, host: &str, path: &str) -> axum::http::Request<axum::body::Body> {
    let (content_type, body) = if path == "/graphql" {
        (
            "application/json",
            json!({
                "query": "mutation($input: LoginInput!) { login(input: $input) { csrfToken } }",
                "variables": { "input": { "username": "demo", "password": "demo-password" } }
            })
            .to_string(),
        )
    } else {
        (
            "application/x-www-form-urlencoded",
            "username=demo&password=demo-password".to_owned(),
        )
    };
    axum::http::Request::post(path)
        .header(header::ORIGIN, origin)
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_login_posted_from_another_site_is_refused_and_starts_no_session() {
    // Arrange
    let app = spawn_app().await;

    // Act: a page on evil.example posts the credentials it wants the victim signed in with.
    let api = app
        .send(login_from(
            "https://evil.example",
            "crm.example.com",
            "/graphql",
        ))
        .await;
    let form = app
        .send(login_from(
            "https://evil.example",
            "crm.example.com",
            "/api/identity/login",
        ))
        .await;
    let own_page = app
        .send(login_from(
            "https://crm.example.com",
            "crm.example.com",
            "/graphql",
        ))
        .await;

    // Assert
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(api.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(own_page.status, StatusCode::OK);
    assert_eq!(
        app.count("select count(*) from sessions").await,
        1,
        "only our own page's"
    );
}

#[tokio::test]
async fn production_sets_a_secure_host_prefixed_session_cookie() {
    // Arrange
    let app = testkit::app::spawn_app_in(server::config::AppEnv::Production).await;

    // Act
    let response = app
        .login_response(As::Anonymous, "demo", "demo-password")
        .await;

    // Assert
    let cookie = response
        .headers
        .get(header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default();
    assert!(cookie.starts_with("__Host-revintel_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    let session = session_from(&response).expect("a session");
    let me = app.gql(As::Session(&session), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "demo");
}
