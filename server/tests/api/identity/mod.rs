//! Identity over HTTP: sign-in and sessions, CSRF, sign-up with a PIN, Telegram; the API
//! tokens, attempt limits, cross-site posts and source binding live in the files beside this.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use testkit::{
    app::{As, OWNER_CHAT, PASSWORD, Session, session_from, spawn_app},
    chatwoot::fake_chatwoot_with,
};

const ME: &str = "{ me { username activeProject { name } csrfToken } }";
const CREATE_PROJECT: &str =
    "mutation($input: CreateProjectInput!) { createProject(input: $input) { id name } }";
const REQUEST_SIGNUP: &str = "mutation($input: RequestSignupInput!) { requestSignup(input: $input) { id username expiresAt } }";
const CONFIRM_SIGNUP: &str =
    "mutation($input: ConfirmSignupInput!) { confirmSignup(input: $input) { username } }";
const CREATE_TOKEN: &str = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name prefix } } }";

mod origin;
mod sources;
mod throttling;
mod tokens;

#[tokio::test]
async fn login_sets_an_http_only_same_site_cookie_and_returns_a_csrf_token() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .login_response(As::Anonymous, "demo", "demo-password")
        .await;

    // Assert
    let cookie = response
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("revintel_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(value.len() >= 43, "at least 256 bits, base64url");
    assert!(
        response.json()["data"]["login"]["csrfToken"]
            .as_str()
            .unwrap()
            .len()
            >= 43
    );
    assert_eq!(app.count("select count(*) from sessions").await, 1);
    assert_eq!(
        app.count("select count(*) from audit_events where action = 'auth.login'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_failed_login_reads_the_same_for_unknown_users_and_wrong_passwords() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let unknown = app
        .login_response(As::Anonymous, "nobody-here", "whatever-password")
        .await
        .json();
    let wrong = app
        .login_response(As::Anonymous, "demo", "not-the-password")
        .await
        .json();

    // Assert
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(
        unknown["errors"][0]["extensions"],
        wrong["errors"][0]["extensions"]
    );
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_new_session_id_is_issued_at_login_and_the_presented_one_dies() {
    // Arrange
    let app = spawn_app().await;
    let before = app.login_demo().await;

    // Act: log in again while presenting the first session.
    let response = app
        .login_response(As::Session(&before), "demo", "demo-password")
        .await;
    let after = session_from(&response).expect("logged in");

    // Assert
    assert_ne!(before.cookie, after.cookie);
    let old = app.gql(As::Session(&before), ME, json!({})).await;
    assert!(old["data"]["me"].is_null(), "{old}");
    let new = app.gql(As::Session(&after), ME, json!({})).await;
    assert_eq!(new["data"]["me"]["username"], "demo");
}

#[tokio::test]
async fn a_planted_session_cookie_is_never_adopted() {
    // Arrange
    let app = spawn_app().await;
    let planted = testkit::app::Session {
        cookie: "revintel_session=attacker-chosen-value".to_owned(),
        csrf: "x".to_owned(),
    };

    // Act
    let response = app
        .login_response(As::SessionWithoutCsrf(&planted), "demo", "demo-password")
        .await;

    // Assert
    let issued = session_from(&response).expect("logged in");
    assert_ne!(issued.cookie, planted.cookie);
}

#[tokio::test]
async fn logout_deletes_the_session_row_and_clears_the_cookie() {
    // Arrange
    let app = spawn_app().await;
    let session = app.login_demo().await;

    // Act
    let response = app
        .post_graphql_as(
            As::Session(&session),
            json!({ "query": "mutation { logout }" }).to_string(),
        )
        .await;

    // Assert
    assert_eq!(response.json()["data"]["logout"], true);
    assert!(
        response
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(app.count("select count(*) from sessions").await, 0);
    let me = app.gql(As::Session(&session), ME, json!({})).await;
    assert!(me["data"]["me"].is_null());
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions() {
    // Arrange
    let app = spawn_app().await;
    let idle = app.login_demo().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "update sessions set last_seen_at = now() - interval '9 hours'",
    )
    .await
    .unwrap();
    let idle_me = app.gql(As::Session(&idle), ME, json!({})).await;
    let old = app.login_demo().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "update sessions set created_at = now() - interval '8 days', last_seen_at = now()",
    )
    .await
    .unwrap();

    // Act
    let old_me = app.gql(As::Session(&old), ME, json!({})).await;

    // Assert
    assert!(idle_me["data"]["me"].is_null());
    assert!(old_me["data"]["me"].is_null());
    assert_eq!(app.count("select count(*) from sessions").await, 0);
}

#[tokio::test]
async fn a_cookie_mutation_without_or_with_a_wrong_csrf_token_is_refused_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let session = app.login_demo().await;
    let projects_before = app.count("select count(*) from projects").await;

    // Act
    let missing = app
        .gql(
            As::SessionWithoutCsrf(&session),
            CREATE_PROJECT,
            json!({ "input": { "name": "Sneaky" } }),
        )
        .await;
    let wrong = app
        .gql(
            As::SessionWithWrongCsrf(&session),
            CREATE_PROJECT,
            json!({ "input": { "name": "Sneaky" } }),
        )
        .await;
    let right = app
        .gql(
            As::Session(&session),
            CREATE_PROJECT,
            json!({ "input": { "name": "Legit" } }),
        )
        .await;

    // Assert
    for refused in [&missing, &wrong] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{refused}"
        );
        assert!(refused["data"].is_null());
    }
    assert_eq!(right["data"]["createProject"]["name"], "Legit");
    assert_eq!(
        app.count("select count(*) from projects").await,
        projects_before + 1
    );
}

#[tokio::test]
async fn a_cookie_query_needs_no_csrf_token() {
    // Arrange
    let app = spawn_app().await;
    let session = app.login_demo().await;

    // Act
    let me = app
        .gql(As::SessionWithoutCsrf(&session), ME, json!({}))
        .await;

    // Assert
    assert_eq!(me["data"]["me"]["username"], "demo");
}

async fn request_signup(app: &testkit::app::TestApp, username: &str) -> String {
    let body = app
        .graphql(
            REQUEST_SIGNUP,
            json!({ "input": { "username": username, "password": PASSWORD } }),
        )
        .await;
    body["data"]["requestSignup"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("signup requested: {body}"))
        .to_owned()
}

#[tokio::test]
async fn signup_sends_a_pin_to_the_owner_and_the_right_pin_creates_a_user_who_can_log_in() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    let request_id = request_signup(&app, "newcomer").await;
    let sent = app.telegram.sent();
    let pin = app.telegram.last_pin().expect("a PIN was sent");

    // Act
    let confirmed = app
        .graphql(
            CONFIRM_SIGNUP,
            json!({ "input": { "requestId": request_id, "pin": pin } }),
        )
        .await;

    // Assert
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].chat_id, OWNER_CHAT);
    assert!(sent[0].text.contains("newcomer"));
    assert_eq!(confirmed["data"]["confirmSignup"]["username"], "newcomer");
    let pin_hash: i64 = app
        .count(&format!("select count(*) from signup_requests where id = '{request_id}' and pin_hash <> '{pin}' and length(pin_salt) > 0"))
        .await;
    assert_eq!(pin_hash, 1, "the PIN is stored hashed with a salt");
    app.login("newcomer", PASSWORD).await;
    assert_eq!(
        app.count("select count(*) from audit_events where action = 'auth.signup_approved'")
            .await,
        1
    );
}

#[tokio::test]
async fn five_wrong_pins_lock_the_request_even_against_the_right_pin() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    let request_id = request_signup(&app, "guesser").await;
    let pin = app.telegram.last_pin().unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        app.graphql(
            CONFIRM_SIGNUP,
            json!({ "input": { "requestId": request_id, "pin": wrong } }),
        )
        .await;
    }

    // Act
    let body = app
        .graphql(
            CONFIRM_SIGNUP,
            json!({ "input": { "requestId": request_id, "pin": pin } }),
        )
        .await;

    // Assert
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("locked"),
        "{body}"
    );
    assert_eq!(
        app.count("select count(*) from app_users where username = 'guesser'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_expired_pin_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    let request_id = request_signup(&app, "latecomer").await;
    let pin = app.telegram.last_pin().unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "update signup_requests set expires_at = now() - interval '1 second'",
    )
    .await
    .unwrap();

    // Act
    let body = app
        .graphql(
            CONFIRM_SIGNUP,
            json!({ "input": { "requestId": request_id, "pin": pin } }),
        )
        .await;

    // Assert
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    assert_eq!(
        app.count("select count(*) from app_users where username = 'latecomer'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_used_pin_cannot_be_used_again() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    let request_id = request_signup(&app, "once").await;
    let pin = app.telegram.last_pin().unwrap();
    app.graphql(
        CONFIRM_SIGNUP,
        json!({ "input": { "requestId": request_id, "pin": pin } }),
    )
    .await;

    // Act
    let again = app
        .graphql(
            CONFIRM_SIGNUP,
            json!({ "input": { "requestId": request_id, "pin": pin } }),
        )
        .await;

    // Assert
    assert!(
        again["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{again}"
    );
    assert_eq!(
        app.count("select count(*) from app_users where username = 'once'")
            .await,
        1
    );
}

#[tokio::test]
async fn signup_without_a_bound_owner_is_refused_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app
        .graphql(
            REQUEST_SIGNUP,
            json!({ "input": { "username": "early", "password": PASSWORD } }),
        )
        .await;

    // Assert
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Telegram")
    );
    assert_eq!(app.count("select count(*) from signup_requests").await, 0);
}

#[tokio::test]
async fn signup_is_rolled_back_when_the_pin_cannot_be_delivered() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;
    app.telegram.set_failing(true);

    // Act
    let body = app
        .graphql(
            REQUEST_SIGNUP,
            json!({ "input": { "username": "unlucky", "password": PASSWORD } }),
        )
        .await;

    // Assert
    assert!(body["errors"].is_array());
    assert_eq!(app.count("select count(*) from signup_requests").await, 0);
}

#[tokio::test]
async fn signup_input_is_validated_with_field_errors() {
    // Arrange
    let app = spawn_app().await;
    app.bind_owner_chat().await;

    // Act
    let body = app
        .graphql(
            REQUEST_SIGNUP,
            json!({ "input": { "username": "x", "password": "short" } }),
        )
        .await;

    // Assert
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["username", "password"]);
    assert_eq!(app.count("select count(*) from signup_requests").await, 0);
}

#[tokio::test]
async fn the_owner_binds_telegram_by_sending_the_admin_code_to_the_bot() {
    // Arrange
    let app = spawn_app().await;
    let admin = app.login_demo().await;
    let code = app
        .gql(
            As::Session(&admin),
            "mutation { createTelegramBindCode { code botCommand } }",
            json!({}),
        )
        .await;
    let command = code["data"]["createTelegramBindCode"]["botCommand"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = json!({ "update_id": 1, "message": { "message_id": 5, "chat": { "id": 777, "type": "private" }, "text": command } });

    // Act
    let response = app
        .send(
            axum::http::Request::post("/webhooks/telegram")
                .header("content-type", "application/json")
                .header("x-telegram-bot-api-secret-token", "telegram-webhook-secret")
                .body(axum::body::Body::from(update.to_string()))
                .unwrap(),
        )
        .await;
    let status = app
        .gql(
            As::Session(&admin),
            "{ telegramStatus { botConfigured ownerBound } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(status["data"]["telegramStatus"]["ownerBound"], true);
    assert_eq!(app.count("select count(*) from app_settings where key = 'telegram.owner_chat_id' and value = '777'").await, 1);
}

#[tokio::test]
async fn a_telegram_update_with_a_wrong_secret_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let update = json!({ "update_id": 1, "message": { "chat": { "id": 1 }, "text": "/start x" } });

    // Act
    let response = app
        .send(
            axum::http::Request::post("/webhooks/telegram")
                .header("content-type", "application/json")
                .header("x-telegram-bot-api-secret-token", "guess")
                .body(axum::body::Body::from(update.to_string()))
                .unwrap(),
        )
        .await;

    // Assert
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("select count(*) from app_settings").await, 0);
}
