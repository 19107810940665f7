//! The Telegram Bot API, as far as we use it: sending a message to the owner's chat and
//! reading the updates Telegram posts to our webhook. Base URL and token come from
//! configuration so tests point it at a local fake.
use std::time::Duration;

use serde::Deserialize;

/// Why a Telegram call failed.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// Could not reach Telegram (or it timed out).
    #[error("telegram unreachable: {0}")]
    Transport(String),
    /// Telegram answered with an error.
    #[error("telegram refused: {code} {description}")]
    Api {
        /// Telegram's `error_code` (HTTP-like).
        code: i64,
        /// Telegram's `description`.
        description: String,
    },
}

/// A bot client.
#[derive(Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    base_url: String,
    bot_token: String,
}

#[derive(Deserialize)]
struct ApiReply {
    ok: bool,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
}

impl TelegramClient {
    /// A client for the bot `bot_token` at `base_url` (normally https://api.telegram.org).
    pub fn new(base_url: &str, bot_token: &str) -> Result<Self, TelegramError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TelegramError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            bot_token: bot_token.to_owned(),
        })
    }

    /// Sends `text` to `chat_id`.
    pub async fn send_message(&self, chat_id: i64, text: &str) -> Result<(), TelegramError> {
        let url = format!("{}/bot{}/sendMessage", self.base_url, self.bot_token);
        let response = self
            .http
            .post(url)
            .json(&serde_json::json!({ "chat_id": chat_id, "text": text }))
            .send()
            .await
            .map_err(|e| TelegramError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let reply: ApiReply = response
            .json()
            .await
            .map_err(|e| TelegramError::Transport(e.without_url().to_string()))?;
        if reply.ok {
            Ok(())
        } else {
            Err(TelegramError::Api {
                code: reply.error_code.unwrap_or(i64::from(status.as_u16())),
                description: reply.description.unwrap_or_default(),
            })
        }
    }
}

/// An update Telegram posts to the webhook (the fields we read).
#[derive(Debug, Deserialize)]
pub struct Update {
    /// Telegram's update id.
    pub update_id: i64,
    /// A new message, if the update is one.
    #[serde(default)]
    pub message: Option<Message>,
}

/// A chat message.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// The chat it was sent in.
    pub chat: Chat,
    /// Its text, if it has any.
    #[serde(default)]
    pub text: Option<String>,
}

/// A chat.
#[derive(Debug, Deserialize)]
pub struct Chat {
    /// Chat id (the owner's private chat with the bot).
    pub id: i64,
}
