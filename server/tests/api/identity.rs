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

#[tokio::test]
async fn a_token_works_without_cookies_or_csrf_and_is_never_readable_again() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("tokenuser", "Token project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "ci", "scopes": ["WRITE"] } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let me = app
        .gql(
            As::Token(&token),
            "{ me { username authMethod activeProject { name } } }",
            json!({}),
        )
        .await;
    let mutation = app
        .gql(
            As::Token(&token),
            "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id } }",
            json!({ "i": { "name": "Via token" } }),
        )
        .await;
    let listing = app
        .post_graphql_as(
            As::Session(&session),
            json!({ "query": "{ apiTokens { id name prefix createdAt lastUsedAt revokedAt scopes } }" })
                .to_string(),
        )
        .await;

    // Assert
    assert!(token.starts_with("rvi_"));
    assert_eq!(me["data"]["me"]["authMethod"], "TOKEN");
    assert_eq!(me["data"]["me"]["activeProject"]["name"], "Token project");
    assert!(mutation["errors"].is_null(), "{mutation}");
    assert_eq!(
        listing.json()["data"]["apiTokens"][0]["scopes"],
        json!(["READ", "WRITE"])
    );
    assert!(listing.json()["data"]["apiTokens"][0]["lastUsedAt"].is_string());
    assert!(!listing.body.contains(&token));
    assert!(!listing.body.contains(&token[10..]));
    assert_eq!(
        app.count(&format!(
            "select count(*) from api_tokens where token_hash = '{token}'"
        ))
        .await,
        0,
        "stored hashed"
    );
    let sdl = server::graphql::sdl();
    let api_token_type = sdl
        .split("type ApiToken {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(!api_token_type.contains("secret") && !api_token_type.contains("token:"));
}

/// A session user with a project and a token of `scopes` in it: (session, token secret).
async fn token_with(app: &testkit::app::TestApp, scopes: Value) -> (Session, String) {
    let (session, _) = app.user_with_project("leaky", "Leaky project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "integration", "scopes": scopes } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("token: {created}"))
        .to_owned();
    (session, token)
}

#[tokio::test]
async fn a_token_is_read_only_unless_created_with_the_write_scope() {
    // Arrange
    let app = spawn_app().await;
    let (_, token) = token_with(&app, Value::Null).await;
    let accounts_before = app.count("select count(*) from crm_accounts").await;

    // Act
    let read = app
        .gql(
            As::Token(&token),
            "{ crmAccounts(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    let write = app
        .gql(
            As::Token(&token),
            "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id } }",
            json!({ "i": { "name": "Should not exist" } }),
        )
        .await;

    // Assert
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(write["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        write["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("read-only")
    );
    assert_eq!(
        app.count("select count(*) from crm_accounts").await,
        accounts_before
    );
}

#[tokio::test]
async fn a_leaked_write_token_cannot_mint_credentials_projects_sources_or_bind_codes() {
    // Arrange: the attacker holds a write token.
    let app = spawn_app().await;
    let (_, token) = token_with(&app, json!(["READ", "WRITE"])).await;
    let tables = "select (select count(*) from api_tokens) + (select count(*) from projects) \
                  + (select count(*) from project_sources) + (select count(*) from app_settings)";
    let before = app.count(tables).await;

    // Act
    let attempts = [
        app.gql(
            As::Token(&token),
            CREATE_TOKEN,
            json!({ "input": { "name": "forever" } }),
        )
        .await,
        app.gql(
            As::Token(&token),
            CREATE_PROJECT,
            json!({ "input": { "name": "Mine now" } }),
        )
        .await,
        app.gql(
            As::Token(&token),
            BIND,
            bind_input_at("https://chat.example.com", 777),
        )
        .await,
        app.gql(
            As::Token(&token),
            "mutation { createTelegramBindCode { code } }",
            json!({}),
        )
        .await,
    ];

    // Assert
    for attempt in &attempts {
        assert_eq!(
            attempt["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{attempt}"
        );
    }
    assert_eq!(app.count(tables).await, before);
}

#[tokio::test]
async fn a_token_lists_only_its_own_project() {
    // Arrange: the token's owner is a member of two projects.
    let app = spawn_app().await;
    let (session, token) = token_with(&app, Value::Null).await;
    app.gql(
        As::Session(&session),
        CREATE_PROJECT,
        json!({ "input": { "name": "Second project" } }),
    )
    .await;

    // Act
    let by_session = app
        .gql(
            As::Session(&session),
            "{ projects { totalCount } }",
            json!({}),
        )
        .await;
    let by_token = app
        .gql(
            As::Token(&token),
            "{ projects { totalCount edges { node { name } } } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(by_session["data"]["projects"]["totalCount"], 2);
    assert_eq!(by_token["data"]["projects"]["totalCount"], 1, "{by_token}");
    assert_eq!(
        by_token["data"]["projects"]["edges"][0]["node"]["name"],
        "Leaky project"
    );
}

#[tokio::test]
async fn a_revoked_token_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("revoker", "Revoke project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "old" } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = created["data"]["createApiToken"]["apiToken"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let revoked = app
        .gql(
            As::Session(&session),
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": id }),
        )
        .await;
    let after = app
        .gql(As::Token(&token), "{ apiTokens { id } }", json!({}))
        .await;

    // Assert
    assert!(revoked["data"]["revokeApiToken"]["revokedAt"].is_string());
    assert_eq!(after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        app.count(
            "select count(*) from audit_events where action in ('token.created', 'token.revoked')"
        )
        .await,
        2
    );
}

const BIND: &str = "mutation($input: BindChatwootSourceInput!) { bindChatwootSource(input: $input) { id accountId webhookPath hasApiAccessToken hasWebhookSecret } }";

fn bind_input_at(base_url: &str, account_id: i64) -> serde_json::Value {
    json!({ "input": {
        "baseUrl": base_url,
        "accountId": account_id,
        "apiAccessToken": "cw-secret-token",
        "webhookSecret": "cw-webhook-secret"
    } })
}

#[tokio::test]
async fn a_chatwoot_account_binds_once_and_its_secrets_are_write_only() {
    // Arrange
    let app = spawn_app().await;
    let chatwoot = fake_chatwoot_with(&[7, 8]).await;
    let bind_input = |id| bind_input_at(&chatwoot.base_url(), id);
    let (a, _) = app.user_with_project("alice", "Alice project").await;
    let (b, _) = app.user_with_project("bob", "Bob project").await;

    // Act
    let first = app
        .post_graphql_as(
            As::Session(&a),
            json!({ "query": BIND, "variables": bind_input(7) }).to_string(),
        )
        .await;
    let same_project_again = app.gql(As::Session(&a), BIND, bind_input(8)).await;
    let other_project_same_account = app.gql(As::Session(&b), BIND, bind_input(7)).await;

    // Assert
    let source = &first.json()["data"]["bindChatwootSource"];
    assert_eq!(source["accountId"], 7);
    assert_eq!(source["hasApiAccessToken"], true);
    assert!(!first.body.contains("cw-secret-token") && !first.body.contains("cw-webhook-secret"));
    assert_eq!(
        same_project_again["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    assert!(
        same_project_again["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already has")
    );
    assert_eq!(
        other_project_same_account["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    assert!(
        other_project_same_account["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already bound")
    );
    assert!(
        !other_project_same_account
            .to_string()
            .contains("Alice project")
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 1);
}

#[tokio::test]
async fn bad_source_input_gets_field_errors_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("carol", "Carol project").await;

    // Act
    let body = app
        .gql(
            As::Session(&a),
            BIND,
            json!({ "input": { "baseUrl": "ftp://nope", "accountId": -1, "apiAccessToken": " " } }),
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
    assert_eq!(
        fields,
        vec!["baseUrl", "accountId", "apiAccessToken", "webhookSecret"]
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}

#[tokio::test]
async fn critical_actions_leave_audit_events_with_evidence_listed_by_filter() {
    // Arrange
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("dave", "Dave project").await;
    let chatwoot = fake_chatwoot_with(&[11]).await;
    app.gql(
        As::Session(&a),
        BIND,
        bind_input_at(&chatwoot.base_url(), 11),
    )
    .await;
    app.gql(
        As::Session(&a),
        CREATE_TOKEN,
        json!({ "input": { "name": "t" } }),
    )
    .await;

    // Act
    let all = app
        .gql(
            As::Session(&a),
            "{ auditEvents(first: 50) { totalCount edges { node { action actor evidence { kind id } } } } }",
            json!({}),
        )
        .await;
    let only_sources = app
        .gql(
            As::Session(&a),
            "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount edges { node { action } } } }",
            json!({ "f": { "action": "source.bound" } }),
        )
        .await;

    // Assert
    let actions: Vec<&str> = all["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["token.created", "source.bound", "project.created"],
        "{all}"
    );
    for edge in all["data"]["auditEvents"]["edges"].as_array().unwrap() {
        assert!(!edge["node"]["evidence"].as_array().unwrap().is_empty());
        assert!(edge["node"]["actor"].as_str().unwrap().starts_with("user:"));
    }
    assert_eq!(only_sources["data"]["auditEvents"]["totalCount"], 1);
}

#[tokio::test]
async fn binding_needs_a_token_that_chatwoot_accepts_for_that_account() {
    // Arrange: an account that exists, a wrong token, and an account the token cannot read.
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("squatter", "Squatter project").await;
    let chatwoot = fake_chatwoot_with(&[21]).await;
    let mut wrong_token = bind_input_at(&chatwoot.base_url(), 21);
    wrong_token["input"]["apiAccessToken"] = json!("a-guessed-token");

    // Act
    let guessed = app.gql(As::Session(&a), BIND, wrong_token).await;
    let other_account = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url(), 22),
        )
        .await;
    let nobody_there = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at("http://127.0.0.1:9", 21),
        )
        .await;

    // Assert
    for refused in [&guessed, &other_account] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"],
            "apiAccessToken"
        );
    }
    assert_eq!(
        nobody_there["errors"][0]["extensions"]["fields"][0]["field"],
        "baseUrl"
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}

#[tokio::test]
async fn production_refuses_to_bind_a_chatwoot_at_an_internal_address_and_says_nothing_of_it() {
    // Arrange: a real service on loopback (the fake Chatwoot) that would answer.
    let app = testkit::app::spawn_app_in(server::config::AppEnv::Production).await;
    let chatwoot = fake_chatwoot_with(&[31]).await;
    let (a, _) = app.user_with_project("prober", "Prober project").await;

    // Act
    let by_address = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url(), 31),
        )
        .await;
    let by_name = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url().replace("127.0.0.1", "localhost"), 31),
        )
        .await;

    // Assert: refused before any request reached it; nothing stored.
    for refused in [&by_address, &by_name] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"],
            "baseUrl"
        );
    }
    assert_eq!(chatwoot.requests(), 0);
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}
