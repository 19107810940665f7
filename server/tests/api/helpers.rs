//! `spawn_app()`: a fresh, migrated database and the full router, exercised with `oneshot`.
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use server::{
    AppState, build_router,
    config::{AppEnv, Config},
    db,
    domain::demo,
};
use tower::ServiceExt;

/// A running app over its own database.
pub struct TestApp {
    /// The full router.
    pub router: Router,
    /// A pool on the test's database.
    pub db: DatabaseConnection,
}

/// The server that tests create their databases on (its maintenance database).
fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("DATABASE_URL has a database path");
    format!("{base}/{name}")
}

/// A fresh database, migrated and seeded with the demo workspace, served in `env`.
pub async fn spawn_app_in(env: AppEnv) -> TestApp {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url())
        .await
        .expect("test database server reachable");
    admin
        .execute_unprepared(&format!("create database {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();

    let config = Config {
        app_env: env,
        database_url: with_database(&admin_url(), &name),
        db_max_connections: 5,
        ..Config::default()
    };
    let pool = db::connect(&config)
        .await
        .expect("connect to test database");
    db::migrate(&pool, &config).await.expect("migrations apply");
    demo::seed(&pool).await.expect("demo seed loads");
    let router = build_router(AppState::new(config, pool.clone()));
    TestApp { router, db: pool }
}

/// [`spawn_app_in`] for the test environment.
pub async fn spawn_app() -> TestApp {
    spawn_app_in(AppEnv::Test).await
}

/// A response's status and body text.
pub struct TextResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Body as UTF-8 (lossy).
    pub body: String,
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
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body readable")
            .to_bytes();
        TextResponse {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// POSTs a raw JSON body to `/graphql`.
    pub async fn post_graphql_raw(&self, body: String) -> TextResponse {
        // Real clients send Content-Length; the body limit rejects on it before reading.
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("valid request");
        self.send(request).await
    }

    /// POSTs `query` with `variables` and parses the JSON answer.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
        let response = self.post_graphql_raw(body).await;
        assert_eq!(response.status, StatusCode::OK, "body: {}", response.body);
        serde_json::from_str(&response.body).expect("GraphQL answers JSON")
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> TextResponse {
        self.send(
            Request::get(path)
                .body(Body::empty())
                .expect("valid request"),
        )
        .await
    }
}
