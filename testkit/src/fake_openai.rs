//! A fake OpenAI-compatible embeddings server on loopback (axum, port 0): answers
//! `POST /v1/embeddings` with deterministic vectors (the hashing embedder's, so similarity is
//! meaningful), and can be told to fail: scripted statuses with `retry-after` /
//! `retry-after-ms`, a status for every request, 400 for inputs containing a marker, and a
//! rate limit (inputs per second, token bucket) that answers 429 with the exact wait.
//! It records calls, batch sizes, and how often each text was embedded.
//!
//! Used by the `search` tests and `examples/rag_bench.rs`.
use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use server::integrations::embeddings::{Cl100kCounter, HashingProvider, TokenCounter};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Embed normally.
    Ok,
    /// Answer this status, with optional (header, value).
    Status(u16, Option<(&'static str, String)>),
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Answer>,
    always: Option<Answer>,
    poison: Option<String>,
    calls: usize,
    ok_calls: usize,
    batch_sizes: Vec<usize>,
    max_request_tokens: usize,
    per_text: HashMap<String, usize>,
    // Rate limit: inputs per second and the bucket.
    rate: Option<f64>,
    bucket: f64,
    refilled_at: Option<Instant>,
    embedded_inputs: usize,
    limited: usize,
    delay: Duration,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeOpenAi {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    dims: usize,
}

struct AppState {
    inner: Arc<Mutex<Inner>>,
    embedder: HashingProvider,
    dims: usize,
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // A panicking handler must not wedge the other tests' assertions.
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakeOpenAi {
    /// Starts a fake returning `dims`-wide vectors.
    pub async fn start(dims: usize) -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = Arc::new(AppState {
            inner: inner.clone(),
            embedder: HashingProvider::new(dims),
            dims,
        });
        let app = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner, dims }
    }

    /// Base URL (without `/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Vector width.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Queues answers for the next requests (then back to normal).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        lock(&self.inner).script.extend(answers);
    }

    /// Answers every request this way (`None`: normal again).
    pub fn always(&self, answer: Option<Answer>) {
        lock(&self.inner).always = answer;
    }

    /// Requests with an input containing `marker` get a 400.
    pub fn poison(&self, marker: &str) {
        lock(&self.inner).poison = Some(marker.to_owned());
    }

    /// Allows `inputs_per_second` embedded inputs per second (bucket of one second).
    pub fn rate_limit(&self, inputs_per_second: f64) {
        let mut inner = lock(&self.inner);
        inner.rate = Some(inputs_per_second);
        inner.bucket = inputs_per_second;
        inner.refilled_at = Some(Instant::now());
    }

    /// Adds latency to every answer.
    pub fn latency(&self, delay: Duration) {
        lock(&self.inner).delay = delay;
    }

    /// Requests received.
    pub fn calls(&self) -> usize {
        lock(&self.inner).calls
    }

    /// Requests answered with vectors.
    pub fn ok_calls(&self) -> usize {
        lock(&self.inner).ok_calls
    }

    /// Inputs of every request, in order.
    pub fn batch_sizes(&self) -> Vec<usize> {
        lock(&self.inner).batch_sizes.clone()
    }

    /// Largest token total of one request.
    pub fn max_request_tokens(&self) -> usize {
        lock(&self.inner).max_request_tokens
    }

    /// How often `text` was embedded (successful requests only).
    pub fn times_embedded(&self, text: &str) -> usize {
        lock(&self.inner).per_text.get(text).copied().unwrap_or(0)
    }

    /// The largest number of times any text was embedded.
    pub fn max_times_any_text_embedded(&self) -> usize {
        lock(&self.inner)
            .per_text
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// Inputs embedded in total.
    pub fn embedded_inputs(&self) -> usize {
        lock(&self.inner).embedded_inputs
    }

    /// 429s sent by the rate limiter.
    pub fn rate_limited(&self) -> usize {
        lock(&self.inner).limited
    }
}

fn status_response(code: u16, header: Option<(&'static str, String)>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    if let Some((name, value)) = header
        && let Ok(value) = HeaderValue::from_str(&value)
    {
        headers.insert(name, value);
    }
    (
        status,
        headers,
        Json(json!({ "error": { "message": format!("fake says {code}"), "type": "fake" } })),
    )
        .into_response()
}

async fn embeddings(State(state): State<Arc<AppState>>, Json(body): Json<Value>) -> Response {
    let inputs: Vec<String> = body
        .get("input")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let tokens: usize = inputs.iter().map(|t| Cl100kCounter.count(t)).sum();
    let delay = {
        let mut inner = lock(&state.inner);
        inner.calls += 1;
        inner.batch_sizes.push(inputs.len());
        inner.max_request_tokens = inner.max_request_tokens.max(tokens);
        inner.delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    {
        let mut inner = lock(&state.inner);
        let answer = inner.script.pop_front().or_else(|| inner.always.clone());
        if let Some(Answer::Status(code, header)) = answer {
            return status_response(code, header);
        }
        if inputs.is_empty() || inputs.len() > 2048 || tokens > 300_000 {
            return status_response(400, None);
        }
        if let Some(marker) = &inner.poison
            && inputs.iter().any(|t| t.contains(marker.as_str()))
        {
            return status_response(400, None);
        }
        if let Some(rate) = inner.rate {
            let now = Instant::now();
            let since = inner
                .refilled_at
                .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
            inner.bucket = (inner.bucket + since * rate).min(rate);
            inner.refilled_at = Some(now);
            let need = inputs.len() as f64;
            if inner.bucket < need {
                inner.limited += 1;
                let wait_ms = ((need - inner.bucket) / rate * 1000.0).ceil() as u64;
                return status_response(429, Some(("retry-after-ms", wait_ms.to_string())));
            }
            inner.bucket -= need;
        }
        inner.ok_calls += 1;
        inner.embedded_inputs += inputs.len();
        for t in &inputs {
            *inner.per_text.entry(t.clone()).or_default() += 1;
        }
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({ "object": "embedding", "index": i, "embedding": state.embedder.embed_one(t) }))
        .collect();
    debug_assert!(
        data.iter()
            .all(|d| d["embedding"].as_array().map(Vec::len) == Some(state.dims))
    );
    Json(json!({
        "object": "list",
        "data": data,
        "model": body.get("model").cloned().unwrap_or(Value::Null),
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens }
    }))
    .into_response()
}
