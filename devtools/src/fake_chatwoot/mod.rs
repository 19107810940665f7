//! DEVELOPMENT AND TEST FIXTURE: a fake Chatwoot server on axum.
//!
//! It serves `GET /api/v1/accounts/{id}/contacts` (15 per page, `meta.count` and
//! `meta.current_page`), `GET .../conversations` (25 per page under `data.meta` /
//! `data.payload`, `status` defaulting to `open` like Chatwoot), `GET
//! .../conversations/{display_id}/messages` (`before` / `after` message-id paging) and `POST
//! .../conversations/{display_id}/messages` (keeping the posted `content_attributes`, as
//! Chatwoot does), checks the `api_access_token` header (401) and
//! the account (404), and can inject 429s with `Retry-After`, 5xx bursts, a hard failure after N
//! requests and per-request latency.
pub mod generate;
pub mod webhooks;
pub mod world;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
pub use generate::{Scenario, add_account, generate};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
pub use world::{NewMessage, Sender, Totals, World};

/// Contacts per page of `GET /contacts` (Chatwoot's `RESULTS_PER_PAGE`).
pub const CONTACTS_PER_PAGE: usize = 15;
/// Conversations per page of `GET /conversations`.
pub const CONVERSATIONS_PER_PAGE: usize = 25;
/// Messages returned by `before=` or with no cursor.
pub const MESSAGES_BEFORE_LIMIT: usize = 20;
/// Messages returned by `after=`.
pub const MESSAGES_AFTER_LIMIT: usize = 100;

/// Failures and delays to inject; all off by default.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer this many next requests with 429.
    pub rate_limited: u32,
    /// `Retry-After` header value sent with the 429s (e.g. `"1"`); none when `None`.
    pub retry_after: Option<String>,
    /// Answer this many next requests with `server_error_status`.
    pub server_errors: u32,
    /// Status for injected server errors (503 when 0).
    pub server_error_status: u16,
    /// After this many successfully served API requests, fail every request with 500 until
    /// cleared (a Chatwoot that dies mid-sync).
    pub fail_after: Option<u64>,
    /// Added to every request.
    pub latency: Duration,
}

struct Shared {
    world: Mutex<World>,
    token: String,
    faults: Mutex<Faults>,
    requests: AtomicU64,
    served: AtomicU64,
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        // A panicking test thread must not wedge the fake for the others.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Chatwoot. Stops when dropped.
pub struct FakeChatwoot {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeChatwoot {
    /// Serves `world` on `127.0.0.1:0`, accepting `token` as `api_access_token`.
    pub async fn start(world: World, token: impl Into<String>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::serve(listener, world, token)
    }

    /// Serves `world` on an already bound listener.
    pub fn serve(
        listener: TcpListener,
        world: World,
        token: impl Into<String>,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            token: token.into(),
            faults: Mutex::new(Faults::default()),
            requests: AtomicU64::new(0),
            served: AtomicU64::new(0),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "fake chatwoot stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: what a project source's `base_url` should be.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs `f` on the world (to read it or to mutate it between syncs).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.shared.world())
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults() = faults;
    }

    /// Turns every injected fault off.
    pub fn clear_faults(&self) {
        self.set_faults(Faults::default());
    }

    /// Answers the next `n` requests with 429 and `Retry-After: <retry_after>` (if given).
    pub fn inject_rate_limit(&self, n: u32, retry_after: Option<&str>) {
        let mut faults = self.shared.faults();
        faults.rate_limited = n;
        faults.retry_after = retry_after.map(str::to_owned);
    }

    /// Answers the next `n` requests with `status` (a 5xx).
    pub fn inject_server_errors(&self, n: u32, status: u16) {
        let mut faults = self.shared.faults();
        faults.server_errors = n;
        faults.server_error_status = status;
    }

    /// Fails every request with 500 once `n` requests have been served (counting from the
    /// start of the fake), until [`FakeChatwoot::clear_faults`].
    pub fn fail_after(&self, n: u64) {
        self.shared.faults().fail_after = Some(n);
    }

    /// API requests received so far (including rejected ones).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// API requests answered successfully so far.
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// Stops serving and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeChatwoot {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/accounts/{account_id}/contacts", get(list_contacts))
        .route(
            "/api/v1/accounts/{account_id}/conversations",
            get(list_conversations),
        )
        .route(
            "/api/v1/accounts/{account_id}/conversations/{display_id}/messages",
            get(list_messages).post(create_message),
        )
        .route("/health", get(|| async { "ok" }))
        .with_state(shared)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Faults, then auth, then the account: the order a Rails app behind Rack::Attack answers in.
async fn gate(shared: &Shared, headers: &HeaderMap, account_id: i64) -> Result<(), Response> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let latency = {
        let mut faults = shared.faults();
        if let Some(limit) = faults.fail_after
            && shared.served.load(Ordering::SeqCst) >= limit
        {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "fake chatwoot: injected hard failure",
            ));
        }
        if faults.rate_limited > 0 {
            faults.rate_limited -= 1;
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            if let Some(value) = faults
                .retry_after
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Err(response);
        }
        if faults.server_errors > 0 {
            faults.server_errors -= 1;
            let status = StatusCode::from_u16(faults.server_error_status)
                .ok()
                .filter(|s| s.is_server_error())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return Err(error(status, "fake chatwoot: injected server error"));
        }
        faults.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let token_ok = headers
        .get("api_access_token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == shared.token);
    if !token_ok {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid Access Token"));
    }
    if shared.world().account(account_id).is_none() {
        return Err(error(StatusCode::NOT_FOUND, "Resource could not be found"));
    }
    Ok(())
}

fn served(shared: &Shared, body: Value) -> Response {
    shared.served.fetch_add(1, Ordering::SeqCst);
    Json(body).into_response()
}

fn page_param(params: &HashMap<String, String>) -> usize {
    params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

async fn list_contacts(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<i64>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers, account_id).await {
        return response;
    }
    let page = page_param(&params);
    let body = {
        let world = shared.world();
        let Some(account) = world.account(account_id) else {
            return error(StatusCode::NOT_FOUND, "Resource could not be found");
        };
        let mut contacts: Vec<&world::Contact> = account
            .contacts
            .values()
            .filter(|c| c.is_resolved())
            .collect();
        let sort = params
            .get("sort")
            .map(String::as_str)
            .unwrap_or("-last_activity_at");
        let (desc, key) = match sort.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, sort),
        };
        match key {
            "name" => contacts.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
            "email" => contacts.sort_by(|a, b| a.email.cmp(&b.email).then(a.id.cmp(&b.id))),
            "phone_number" => {
                contacts.sort_by(|a, b| a.phone_number.cmp(&b.phone_number).then(a.id.cmp(&b.id)))
            }
            "created_at" => contacts.sort_by_key(|c| (c.created_at, c.id)),
            // last_activity_at: NULLS LAST in both directions, like Chatwoot's scope.
            _ => contacts.sort_by(|a, b| match (a.last_activity_at, b.last_activity_at) {
                (Some(x), Some(y)) => {
                    let ord = if desc { y.cmp(&x) } else { x.cmp(&y) };
                    ord.then(a.id.cmp(&b.id))
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.id.cmp(&b.id),
            }),
        }
        if desc && matches!(key, "name" | "email" | "phone_number" | "created_at") {
            contacts.reverse();
        }
        let count = contacts.len();
        let payload: Vec<Value> = contacts
            .into_iter()
            .skip((page - 1) * CONTACTS_PER_PAGE)
            .take(CONTACTS_PER_PAGE)
            .map(|c| account.contact_json(c, true))
            .collect();
        // Chatwoot echoes `params[:page]`: a string when given, the integer 1 otherwise.
        let current_page = match params.get("page") {
            Some(p) => json!(p),
            None => json!(1),
        };
        json!({ "meta": { "count": count, "current_page": current_page }, "payload": payload })
    };
    served(&shared, body)
}

async fn list_conversations(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<i64>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers, account_id).await {
        return response;
    }
    let page = page_param(&params);
    let body = {
        let world = shared.world();
        let Some(account) = world.account(account_id) else {
            return error(StatusCode::NOT_FOUND, "Resource could not be found");
        };
        // Chatwoot's finder: status defaults to `open`; `all` disables the filter.
        let status = params.get("status").map(String::as_str).unwrap_or("open");
        let inbox = params.get("inbox_id").and_then(|v| v.parse::<i64>().ok());
        let mut list: Vec<&world::Conversation> = account
            .conversations
            .values()
            .filter(|c| status == "all" || c.status == status)
            .filter(|c| inbox.is_none_or(|i| c.inbox_id == i))
            .collect();
        let all_count = list.len();
        let unassigned_count = list.iter().filter(|c| c.assignee_id.is_none()).count();
        match params.get("assignee_type").map(String::as_str) {
            Some("assigned") => list.retain(|c| c.assignee_id.is_some()),
            Some("unassigned") => list.retain(|c| c.assignee_id.is_none()),
            // The token's user is not an agent of any conversation here.
            Some("me") => list.clear(),
            _ => {}
        }
        list.sort_by(|a, b| {
            b.last_activity_at
                .cmp(&a.last_activity_at)
                .then(b.display_id.cmp(&a.display_id))
        });
        let payload: Vec<Value> = list
            .into_iter()
            .skip((page - 1) * CONVERSATIONS_PER_PAGE)
            .take(CONVERSATIONS_PER_PAGE)
            .map(|c| account.conversation_json(c))
            .collect();
        json!({
            "data": {
                "meta": {
                    "mine_count": 0,
                    "assigned_count": all_count - unassigned_count,
                    "unassigned_count": unassigned_count,
                    "all_count": all_count,
                },
                "payload": payload,
            }
        })
    };
    served(&shared, body)
}

async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Path((account_id, display_id)): Path<(i64, i64)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers, account_id).await {
        return response;
    }
    let body = {
        let world = shared.world();
        let Some(account) = world.account(account_id) else {
            return error(StatusCode::NOT_FOUND, "Resource could not be found");
        };
        let Some(conversation) = account.conversations.get(&display_id) else {
            return error(StatusCode::NOT_FOUND, "Resource could not be found");
        };
        let all: &[world::Message] = account
            .messages
            .get(&display_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let after = params.get("after").and_then(|v| v.parse::<i64>().ok());
        let before = params.get("before").and_then(|v| v.parse::<i64>().ok());
        let mut by_time: Vec<&world::Message> = all.iter().collect();
        by_time.sort_by_key(|m| (m.created_at, m.id));
        let selected: Vec<&world::Message> = match (after, before) {
            (Some(a), Some(b)) => by_time
                .into_iter()
                .filter(|m| m.id >= a && m.id < b)
                .take(1_000)
                .collect(),
            (Some(a), None) => by_time
                .into_iter()
                .filter(|m| m.id > a)
                .take(MESSAGES_AFTER_LIMIT)
                .collect(),
            (None, Some(b)) => newest(by_time.into_iter().filter(|m| m.id < b).collect()),
            (None, None) => newest(by_time),
        };
        json!({
            "meta": account.messages_meta_json(conversation),
            "payload": selected.into_iter().map(|m| account.message_json(m)).collect::<Vec<_>>(),
        })
    };
    served(&shared, body)
}

/// The 20 newest of `ascending`, oldest first (Chatwoot reverses a DESC LIMIT 20).
fn newest(ascending: Vec<&world::Message>) -> Vec<&world::Message> {
    let skip = ascending.len().saturating_sub(MESSAGES_BEFORE_LIMIT);
    ascending.into_iter().skip(skip).collect()
}

async fn create_message(
    State(shared): State<Arc<Shared>>,
    Path((account_id, display_id)): Path<(i64, i64)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(response) = gate(&shared, &headers, account_id).await {
        return response;
    }
    let Some(Json(body)) = body else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid body");
    };
    let message_type = match body.get("message_type").and_then(Value::as_str) {
        Some("incoming") => 0,
        None | Some("outgoing") => 1,
        Some(_) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid message_type"),
    };
    let response = {
        let mut world = shared.world();
        let agent = world
            .account(account_id)
            .and_then(|a| a.agents.first().map(|a| a.id));
        let contact = world
            .account(account_id)
            .and_then(|a| a.conversations.get(&display_id))
            .map(|c| c.contact_id);
        let Some(contact) = contact else {
            return error(StatusCode::NOT_FOUND, "Resource could not be found");
        };
        let now = chrono::Utc::now().timestamp();
        let sender = if message_type == 0 {
            Some(Sender::Contact(contact))
        } else {
            agent.map(Sender::Agent)
        };
        let id = world.add_message(
            account_id,
            display_id,
            NewMessage {
                content: body
                    .get("content")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                message_type,
                private: body
                    .get("private")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                sender,
                at: now,
            },
        );
        // Chatwoot keeps `content_attributes` (an object, or JSON text of one) on the message;
        // `echo_id` is only relayed over websockets, so the fake does not keep it either.
        let attributes = match body.get("content_attributes") {
            Some(Value::Object(map)) => Some(Value::Object(map.clone())),
            Some(Value::String(text)) => serde_json::from_str::<Value>(text)
                .ok()
                .filter(Value::is_object),
            _ => None,
        };
        if let (Some(id), Some(attributes)) = (id, attributes) {
            world.set_content_attributes(account_id, id, attributes);
        }
        id.and_then(|id| {
            let account = world.account(account_id)?;
            let message = world.message(account_id, id)?;
            Some(account.message_json(message))
        })
    };
    match response {
        Some(body) => served(&shared, body),
        None => error(StatusCode::NOT_FOUND, "Resource could not be found"),
    }
}
