//! Attempt limits: reserved before the hash, per (client, account) and per client.
use super::*;

/// A login for `username` sent from the client address `client`.
fn login_from_client(
    client: &str,
    username: &str,
    password: &str,
) -> axum::http::Request<axum::body::Body> {
    let body = json!({
        "query": "mutation($input: LoginInput!) { login(input: $input) { csrfToken } }",
        "variables": { "input": { "username": username, "password": password } }
    })
    .to_string();
    let mut request = axum::http::Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let addr: std::net::SocketAddr = format!("{client}:50000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    request
}

fn code(response: &testkit::app::TextResponse) -> String {
    response.json()["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
        .to_owned()
}

#[tokio::test]
async fn forty_wrong_passwords_sent_at_once_are_not_all_verified() {
    // Arrange
    let app = spawn_app().await;

    // Act: one guesser fires 40 attempts for one account together.
    let attempts = (0..40).map(|n| {
        app.send(login_from_client(
            "198.51.100.7",
            "demo",
            &format!("guess-{n:04}"),
        ))
    });
    let responses = futures::future::join_all(attempts).await;

    // Assert: only the free attempts reached the password check; the rest were told to wait.
    let codes: Vec<String> = responses.iter().map(code).collect();
    let verified = codes.iter().filter(|c| *c == "UNAUTHENTICATED").count();
    let waiting = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    assert!(
        verified <= 5,
        "{verified} attempts were verified: {codes:?}"
    );
    assert_eq!(verified + waiting, 40, "{codes:?}");
}

#[tokio::test]
async fn a_guesser_on_another_address_cannot_lock_the_real_user_out() {
    // Arrange: someone guesses demo's password from their own address until told to wait.
    let app = spawn_app().await;
    for n in 0..8 {
        app.send(login_from_client(
            "198.51.100.7",
            "demo",
            &format!("guess-{n}"),
        ))
        .await;
    }
    let guesser = app
        .send(login_from_client("198.51.100.7", "demo", "demo-password"))
        .await;

    // Act: the real user signs in from the office.
    let real = app
        .send(login_from_client("203.0.113.5", "demo", "demo-password"))
        .await;

    // Assert
    assert_eq!(code(&guesser), "RATE_LIMITED");
    assert_eq!(code(&real), "OK", "{}", real.body);
    assert!(real.headers.get(header::SET_COOKIE).is_some());
}

#[tokio::test]
async fn a_name_taken_answer_is_rate_limited_like_any_sign_up_request() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    let probe = |name: &'static str| {
        app.graphql(
            REQUEST_SIGNUP,
            json!({ "input": { "username": name, "password": PASSWORD } }),
        )
    };
    for _ in 0..10 {
        probe("demo").await;
    }

    // Act: an 11th probe within the hour, for a name that exists.
    let eleventh = probe("demo").await;

    // Assert: it no longer says whether the name is taken.
    assert_eq!(
        eleventh["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{eleventh}"
    );
    assert!(!eleventh.to_string().contains("already taken"));
}

#[tokio::test]
async fn repeated_failures_make_the_next_attempt_wait_even_with_the_right_password() {
    // Arrange
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login_response(As::Anonymous, "demo", "wrong-password")
            .await;
    }

    // Act
    let response = app
        .login_response(As::Anonymous, "demo", "demo-password")
        .await;

    // Assert
    assert_eq!(
        response.json()["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    assert!(response.headers.get(header::SET_COOKIE).is_none());
}
