//! DEVELOPMENT AND TEST FIXTURE: a fake Telegram Bot API. It accepts `sendMessage` for one bot
//! token, answers in the Bot API's shapes (`{"ok":true,"result":{...}}`, or `ok:false` with
//! `error_code`/`description`), and lets tests read what was "sent" at `GET /__fake/messages`.
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One message the fake received.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentMessage {
    /// Target chat.
    pub chat_id: i64,
    /// Text.
    pub text: String,
}

#[derive(Clone)]
struct FakeState {
    token: String,
    sent: Arc<Mutex<Vec<SentMessage>>>,
    failing: Arc<Mutex<bool>>,
}

/// A running fake Telegram.
#[derive(Clone)]
pub struct FakeTelegram {
    /// Where it listens.
    pub addr: SocketAddr,
    state: FakeState,
}

impl FakeTelegram {
    /// Starts the fake for bot `token` on `addr` (use port 0 in tests).
    pub async fn start(addr: SocketAddr, token: &str) -> std::io::Result<Self> {
        let state = FakeState {
            token: token.to_owned(),
            sent: Arc::default(),
            failing: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = router(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state })
    }

    /// Base URL to configure as the Bot API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Messages received so far, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.state
            .sent
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// The 6-digit PIN in the newest message, if any.
    pub fn last_pin(&self) -> Option<String> {
        self.sent().iter().rev().find_map(|m| extract_pin(&m.text))
    }

    /// Makes every `sendMessage` fail with a 500 (true) or succeed again (false).
    pub fn set_failing(&self, failing: bool) {
        if let Ok(mut f) = self.state.failing.lock() {
            *f = failing;
        }
    }
}

/// The first run of exactly six digits after "PIN:" in `text`.
pub fn extract_pin(text: &str) -> Option<String> {
    let after = text.split("PIN:").nth(1)?;
    let pin: String = after
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (pin.len() == 6).then_some(pin)
}

/// The fake's routes (exposed for embedding in other test servers).
fn router(state: FakeState) -> Router {
    Router::new()
        .route("/{bot}/sendMessage", post(send_message))
        .route("/__fake/messages", get(messages))
        .with_state(state)
}

async fn send_message(
    State(state): State<FakeState>,
    Path(bot): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if bot != format!("bot{}", state.token) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })),
        );
    }
    if state.failing.lock().map(|f| *f).unwrap_or(false) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "ok": false, "error_code": 500, "description": "Internal Server Error" })),
        );
    }
    let (Some(chat_id), Some(text)) = (
        body.get("chat_id").and_then(Value::as_i64),
        body.get("text").and_then(Value::as_str),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "ok": false, "error_code": 400, "description": "Bad Request: chat_id and text are required" }),
            ),
        );
    };
    let message_id = {
        let Ok(mut sent) = state.sent.lock() else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "ok": false, "error_code": 500 })),
            );
        };
        sent.push(SentMessage {
            chat_id,
            text: text.to_owned(),
        });
        sent.len()
    };
    (
        StatusCode::OK,
        Json(json!({
            "ok": true,
            "result": { "message_id": message_id, "chat": { "id": chat_id, "type": "private" }, "text": text }
        })),
    )
}

async fn messages(State(state): State<FakeState>) -> Json<Vec<SentMessage>> {
    Json(state.sent.lock().map(|m| m.clone()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_found_after_its_label() {
        assert_eq!(
            extract_pin("Sign-up request.\nPIN: 012345\nexpires"),
            Some("012345".to_owned())
        );
        assert_eq!(extract_pin("no pin here"), None);
    }
}
