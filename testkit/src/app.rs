//! `spawn_app()`: a fresh, migrated database with the demo workspace, a fake Telegram, and the
//! full router exercised with `oneshot`; plus ways to call the API as anonymous, a session, or a
//! token, and a small Chatwoot mirror to search and list.
use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use devtools::fake_telegram::FakeTelegram;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use server::{
    AppState, build_router,
    config::{AppEnv, Config},
    db,
    domain::identity::demo,
};
use tower::ServiceExt;

use crate::database::FreshDatabase;

/// Bot token the fake Telegram accepts.
pub const BOT_TOKEN: &str = "test-bot-token";
/// Chat id the tests bind as the owner's.
pub const OWNER_CHAT: i64 = 424242;
/// Password every test user gets.
pub const PASSWORD: &str = "a-long-enough-password";

/// A running app over its own database.
pub struct TestApp {
    /// The full router.
    pub router: Router,
    /// A pool on the test's database.
    pub db: DatabaseConnection,
    /// The fake Telegram the app sends PINs to.
    pub telegram: FakeTelegram,
    /// The test's own database.
    database: FreshDatabase,
}

impl Drop for TestApp {
    /// Drops the test's database when the test passed (a failed test keeps it to inspect).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.database.drop_blocking();
        }
    }
}

/// A logged-in browser: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    /// `name=value` for the Cookie header.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// Who a request is sent as.
#[derive(Clone, Copy)]
pub enum As<'a> {
    /// No credentials.
    Anonymous,
    /// A session, with its CSRF token.
    Session(&'a Session),
    /// A session's cookie but no CSRF header.
    SessionWithoutCsrf(&'a Session),
    /// A session's cookie and a wrong CSRF header.
    SessionWithWrongCsrf(&'a Session),
    /// An API token.
    Token(&'a str),
}

/// A fresh database, migrated and seeded with the demo workspace, served in `env`.
pub async fn spawn_app_in(env: AppEnv) -> TestApp {
    let database = FreshDatabase::create("test").await;

    let telegram = FakeTelegram::start(([127, 0, 0, 1], 0).into(), BOT_TOKEN)
        .await
        .expect("fake telegram starts");
    let config = Config {
        app_env: env,
        database_url: database.url.clone(),
        db_max_connections: 5,
        telegram_bot_token: Some(BOT_TOKEN.to_owned()),
        telegram_api_base: telegram.base_url(),
        telegram_webhook_secret: Some("telegram-webhook-secret".to_owned()),
        ..Config::default()
    };
    let pool = db::connect_for_requests(&config)
        .await
        .expect("connect to test database");
    db::migrate(&pool, &config).await.expect("migrations apply");
    let state = AppState::new(config, pool.clone()).expect("state builds");
    demo::seed(&pool, &state.identity.hasher)
        .await
        .expect("demo seed loads");
    let router = build_router(state);
    TestApp {
        router,
        db: pool,
        telegram,
        database,
    }
}

/// [`spawn_app_in`] for the test environment.
pub async fn spawn_app() -> TestApp {
    spawn_app_in(AppEnv::Test).await
}

/// A response's status, headers and body text.
pub struct TextResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as UTF-8 (lossy).
    pub body: String,
}

impl TextResponse {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

impl TestApp {
    /// Sends one request through the router.
    pub async fn send(&self, request: Request<Body>) -> TextResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body readable")
            .to_bytes();
        TextResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// POSTs a raw JSON body to `/graphql` as `who`.
    pub async fn post_graphql_as(&self, who: As<'_>, body: String) -> TextResponse {
        // Real clients send Content-Length; the body limit rejects on it before reading.
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        request = match who {
            As::Anonymous => request,
            As::Session(s) => request
                .header(header::COOKIE, &s.cookie)
                .header("x-csrf-token", &s.csrf),
            As::SessionWithoutCsrf(s) => request.header(header::COOKIE, &s.cookie),
            As::SessionWithWrongCsrf(s) => request
                .header(header::COOKIE, &s.cookie)
                .header("x-csrf-token", "forged"),
            As::Token(t) => request.header(header::AUTHORIZATION, format!("Bearer {t}")),
        };
        self.send(request.body(Body::from(body)).expect("valid request"))
            .await
    }

    /// POSTs a raw JSON body to `/graphql` anonymously.
    pub async fn post_graphql_raw(&self, body: String) -> TextResponse {
        self.post_graphql_as(As::Anonymous, body).await
    }

    /// Runs `query` with `variables` as `who` and returns the parsed answer.
    pub async fn gql(&self, who: As<'_>, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let response = self.post_graphql_as(who, body).await;
        assert_eq!(response.status, StatusCode::OK, "body: {}", response.body);
        response.json()
    }

    /// Runs `query` anonymously.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.gql(As::Anonymous, query, variables).await
    }

    /// GETs `path` with optional cookie.
    pub async fn get_as(&self, path: &str, session: Option<&Session>) -> TextResponse {
        let mut request = Request::get(path);
        if let Some(s) = session {
            request = request.header(header::COOKIE, &s.cookie);
        }
        self.send(request.body(Body::empty()).expect("valid request"))
            .await
    }

    /// GETs `path` anonymously.
    pub async fn get(&self, path: &str) -> TextResponse {
        self.get_as(path, None).await
    }

    /// Logs in and returns the raw response (for cookie assertions).
    pub async fn login_response(
        &self,
        who: As<'_>,
        username: &str,
        password: &str,
    ) -> TextResponse {
        let body = json!({
            "query": "mutation($input: LoginInput!) { login(input: $input) { user { username } csrfToken } }",
            "variables": { "input": { "username": username, "password": password } }
        })
        .to_string();
        self.post_graphql_as(who, body).await
    }

    /// Logs in and returns the session.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let response = self.login_response(As::Anonymous, username, password).await;
        session_from(&response).unwrap_or_else(|| panic!("login failed: {}", response.body))
    }

    /// The demo user's session.
    pub async fn login_demo(&self) -> Session {
        self.login(demo::DEMO_USERNAME, demo::DEMO_PASSWORD).await
    }

    /// Creates a user directly in the database.
    pub async fn create_user(&self, username: &str) {
        let hasher = server::auth::password::PasswordHasher::new(2);
        server::domain::identity::create_user(&self.db, &hasher, username, PASSWORD, false)
            .await
            .expect("user created");
    }

    /// A new user who is a plain member of `project` (there is no invitation flow to use).
    pub async fn create_member(&self, project: &str, username: &str) {
        self.create_user(username).await;
        self.db
            .execute_unprepared(&format!(
                "insert into project_members (project_id, user_id, account_scope_id, role) \
                 select p.id, u.id, p.account_scope_id, 'member' from projects p, app_users u \
                 where p.id = '{project}' and u.username = '{username}'"
            ))
            .await
            .unwrap_or_else(|e| panic!("membership: {e}"));
    }

    /// A new user who owns a new project (active in their session); returns the session and
    /// the project id.
    pub async fn user_with_project(&self, username: &str, project: &str) -> (Session, String) {
        self.create_user(username).await;
        let session = self.login(username, PASSWORD).await;
        let created = self
            .gql(
                As::Session(&session),
                "mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }",
                json!({ "input": { "name": project } }),
            )
            .await;
        let id = created["data"]["createProject"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("project created: {created}"))
            .to_owned();
        let switched = self
            .gql(
                As::Session(&session),
                "mutation($id: ID!) { switchProject(projectId: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(switched["errors"].is_null(), "{switched}");
        (session, id)
    }

    /// Binds the fake owner chat for signup PINs.
    pub async fn bind_owner_chat(&self) {
        server::domain::identity::telegram_owner::set_owner_chat(
            &self.db,
            OWNER_CHAT,
            "system:test",
        )
        .await
        .expect("owner bound");
    }

    /// Counts rows of `sql` (a `select count(*) ...`).
    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql.to_owned(),
            ))
            .await
            .expect("count runs")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("count is an integer")
    }
}

/// The session a login response established (cookie + CSRF), if it did.
pub fn session_from(response: &TextResponse) -> Option<Session> {
    let set_cookie = response.headers.get(header::SET_COOKIE)?.to_str().ok()?;
    let cookie = set_cookie.split(';').next()?.to_owned();
    let csrf = response.json()["data"]["login"]["csrfToken"]
        .as_str()?
        .to_owned();
    Some(Session { cookie, csrf })
}

/// Global ids of a small Chatwoot mirror written straight into a project (test data).
pub struct MirrorIds {
    /// The contact.
    pub contact: String,
    /// An open conversation with three messages (one a private note).
    pub open_conversation: String,
    /// A resolved conversation with no messages.
    pub resolved_conversation: String,
    /// The first message of the open conversation.
    pub message: String,
}

impl TestApp {
    /// Writes one contact, two conversations and three messages for Chatwoot `account_id` into
    /// `project_id`, with `tag` in every text so tests can look for leaks.
    pub async fn seed_mirror(&self, project_id: &str, account_id: i64, tag: &str) -> MirrorIds {
        let contact = format!("cwc:{project_id}:{account_id}:1");
        let open = format!("cw:{project_id}:{account_id}:10");
        let resolved = format!("cw:{project_id}:{account_id}:11");
        let sql = format!(
            r#"
            with p as (select id, account_scope_id from projects where id = '{project_id}')
            insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, name, email, data, updated_at)
            select '{contact}', p.id, p.account_scope_id, {account_id}, 1, '{tag} Customer', '{tag}@example.com', '{{}}'::jsonb, now() from p;
            with p as (select id, account_scope_id from projects where id = '{project_id}')
            insert into cw_conversations (id, project_id, account_scope_id, account_id, conversation_id, contact_global_id, inbox_id, status, data, updated_at)
            select '{open}', p.id, p.account_scope_id, {account_id}, 10, '{contact}', 1, 'open', '{{"labels": ["{tag}-label"]}}'::jsonb, now() from p
            union all
            select '{resolved}', p.id, p.account_scope_id, {account_id}, 11, '{contact}', 2, 'resolved', '{{}}'::jsonb, now() - interval '1 day' from p;
            with p as (select id, account_scope_id from projects where id = '{project_id}')
            insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, conversation_id, conversation_global_id, contact_global_id, sender_type, private, message_type, content, data, created_at)
            select 'cwmsg:{project_id}:{account_id}:' || n, p.id, p.account_scope_id, {account_id}, n, 10, '{open}', '{contact}',
                   case when n = 101 then 'Contact' else 'User' end, n = 103,
                   case when n = 101 then 'incoming' else 'outgoing' end,
                   '{tag} message ' || n, '{{"sender": {{"name": "{tag} sender"}}, "attachments": []}}'::jsonb,
                   now() - make_interval(mins => 110 - (n - 100))
            from p, generate_series(101, 103) n;
            "#
        );
        self.db
            .execute_unprepared(&sql)
            .await
            .expect("mirror rows insert");
        // Searchable: chunks with vectors, and one chunk the worker gave up on.
        let scope = server::kernel::Scope::for_project(
            &self.db,
            uuid::Uuid::parse_str(project_id).expect("project id"),
        )
        .await
        .expect("scope");
        server::domain::search::reindex_project(
            &self.db,
            &scope,
            &server::domain::search::Chunker::default(),
            100,
        )
        .await
        .expect("index mirror");
        server::domain::search::process_one_batch(
            &self.db,
            server::domain::search::provider().as_ref(),
            "seed",
            100,
        )
        .await
        .expect("embed mirror");
        self.db
            .execute_unprepared(&format!(
                "update rag_chunks set embedding_status = 'failed', embedding_attempts = 5, \
                   embedding_error = '{tag} provider refused' \
                 where message_global_id = 'cwmsg:{project_id}:{account_id}:103'"
            ))
            .await
            .expect("fail a chunk");
        MirrorIds {
            contact,
            open_conversation: open,
            resolved_conversation: resolved,
            message: format!("cwmsg:{project_id}:{account_id}:101"),
        }
    }
}
