//! The Chatwoot REST client (reqwest): contacts, conversations (`status=all`) and a
//! conversation's messages, with the `api_access_token` header, timeouts, and retries with
//! exponential backoff + jitter on 429/5xx/timeouts that honour `Retry-After`; and posting a
//! message (one try: the outbound sender owns its retries).
use std::{
    fmt,
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use rand::Rng;
use reqwest::{StatusCode, Url, header::HeaderMap};
use serde_json::Value;

use crate::integrations::chatwoot::{
    ChatwootError,
    payload::{ContactsPage, ConversationsPage, MessagesPage},
    reach::{GuardedResolver, Reach},
};

/// How the client retries a failed request before giving up (the job queue then backs off
/// further).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound of the exponential delay.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out inline: the error goes to the job,
    /// which is rescheduled for then.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based) after `error`, or `None` to give up.
    pub fn delay(&self, retry: u32, error: &ChatwootError) -> Option<Duration> {
        if !error.is_retryable() || retry >= self.max_retries {
            return None;
        }
        match error.retry_after() {
            Some(after) if after > self.max_retry_after => None,
            Some(after) => Some(after),
            None => Some(backoff(self.base_delay, self.max_delay, retry)),
        }
    }
}

/// `base * 2^n`, capped at `max`, with +-20% jitter so clients that failed together do not
/// retry together.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(n.min(30)));
    let capped = exp.min(max);
    let jitter: f64 = rand::rng().random_range(0.8..=1.2);
    capped.mul_f64(jitter)
}

/// Network settings of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Which addresses Chatwoot may be reached at.
    pub reach: Reach,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            reach: Reach::default(),
        }
    }
}

/// Where to start reading a conversation's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesCursor {
    /// The latest 20.
    Latest,
    /// The 20 newest with id < this, oldest first.
    Before(i64),
    /// Up to 100 with id > this, ascending.
    After(i64),
}

/// A client for one Chatwoot account.
#[derive(Clone)]
pub struct ChatwootClient {
    http: reqwest::Client,
    account_base: Url,
    account_id: i64,
    token: String,
    retry: RetryPolicy,
    requests: Arc<AtomicU64>,
}

impl fmt::Debug for ChatwootClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatwootClient")
            .field("account_base", &self.account_base.as_str())
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Contacts per page of `GET /contacts`.
pub const CONTACTS_PER_PAGE: usize = 15;
/// Conversations per page of `GET /conversations`.
pub const CONVERSATIONS_PER_PAGE: usize = 25;
/// Most messages one `after=` request returns.
pub const MESSAGES_AFTER_LIMIT: usize = 100;

impl ChatwootClient {
    /// A client for `account_id` at `base_url` (e.g. `https://chatwoot.example.com`).
    pub fn new(
        base_url: &str,
        account_id: i64,
        token: &str,
        options: &ClientOptions,
    ) -> Result<Self, ChatwootError> {
        let base = Url::parse(base_url)
            .map_err(|e| ChatwootError::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ChatwootError::Config(format!(
                "base URL {base_url:?} is not http(s)"
            )));
        }
        // An address literal never reaches the resolver: it is checked here.
        let literal = match base.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if literal.is_some_and(|ip| !options.reach.permits(ip)) {
            return Err(ChatwootError::Config(format!(
                "base URL {base_url:?} is not a public address"
            )));
        }
        let account_base = Url::parse(&format!(
            "{}/api/v1/accounts/{account_id}/",
            base.as_str().trim_end_matches('/')
        ))
        .map_err(|e| ChatwootError::Config(format!("base URL {base_url:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("revintel/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver::new(options.reach.clone())))
            // A redirect could point anywhere, an internal address included.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ChatwootError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            account_base,
            account_id,
            token: token.to_owned(),
            retry: options.retry.clone(),
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The Chatwoot account this client reads.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// One page (1-based) of the contact list; `sort` e.g. `-last_activity_at`.
    pub async fn contacts(
        &self,
        page: u32,
        sort: Option<&str>,
    ) -> Result<ContactsPage, ChatwootError> {
        let mut query = vec![("page", page.to_string())];
        if let Some(sort) = sort {
            query.push(("sort", sort.to_owned()));
        }
        let body = self.get_json("contacts", &query).await?;
        ContactsPage::from_json(&body)
    }

    /// One page (1-based) of all conversations, newest activity first.
    pub async fn conversations(&self, page: u32) -> Result<ConversationsPage, ChatwootError> {
        // Without status=all Chatwoot returns only open conversations.
        let query = [
            ("status", "all".to_owned()),
            ("assignee_type", "all".to_owned()),
            ("page", page.to_string()),
        ];
        let body = self.get_json("conversations", &query).await?;
        ConversationsPage::from_json(&body)
    }

    /// Messages of the conversation with display id `display_id`.
    pub async fn messages(
        &self,
        display_id: i64,
        cursor: MessagesCursor,
    ) -> Result<MessagesPage, ChatwootError> {
        let query: Vec<(&str, String)> = match cursor {
            MessagesCursor::Latest => Vec::new(),
            MessagesCursor::Before(id) => vec![("before", id.to_string())],
            MessagesCursor::After(id) => vec![("after", id.to_string())],
        };
        let body = self
            .get_json(&format!("conversations/{display_id}/messages"), &query)
            .await?;
        MessagesPage::from_json(&body)
    }

    async fn get_json(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ChatwootError> {
        let mut url = self
            .account_base
            .join(path)
            .map_err(|e| ChatwootError::Config(format!("path {path:?}: {e}")))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        let mut retry = 0;
        loop {
            match self.get_once(&url).await {
                Ok(body) => return Ok(body),
                Err(error) => match self.retry.delay(retry, &error) {
                    Some(wait) => {
                        tracing::debug!(path = url.path(), %error, ?wait, "retrying Chatwoot request");
                        tokio::time::sleep(wait).await;
                        retry += 1;
                    }
                    None => return Err(error),
                },
            }
        }
    }

    async fn get_once(&self, url: &Url) -> Result<Value, ChatwootError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .http
            .get(url.clone())
            .header("api_access_token", &self.token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ChatwootError::Decode(format!("{}: {e}", url.path())));
        }
        Err(http_error(status, retry_after, url))
    }

    /// Posts a message into the conversation with display id `display_id` (`body` as Chatwoot's
    /// `POST .../messages` takes it) and returns the created message. Sent exactly once, never
    /// retried here: a POST that failed ambiguously (5xx, timeout) may have created the message,
    /// so only a caller that can check for it first (the outbound sender) may try again. A 2xx
    /// whose body is not JSON still means the message exists: it answers `Value::Null`.
    pub async fn create_message(
        &self,
        display_id: i64,
        body: &Value,
    ) -> Result<Value, ChatwootError> {
        let path = format!("conversations/{display_id}/messages");
        let url = self
            .account_base
            .join(&path)
            .map_err(|e| ChatwootError::Config(format!("path {path:?}: {e}")))?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .http
            .post(url.clone())
            .header("api_access_token", &self.token)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
        }
        Err(http_error(status, retry_after, &url))
    }
}

/// The error of a non-2xx answer to a request for `url`. The answer's body is never kept: it
/// is the remote's text, and errors are stored and shown.
fn http_error(status: StatusCode, retry_after: Option<Duration>, url: &Url) -> ChatwootError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ChatwootError::Unauthorized {
            status: status.as_u16(),
        },
        StatusCode::NOT_FOUND => ChatwootError::NotFound {
            path: url.path().to_owned(),
        },
        StatusCode::TOO_MANY_REQUESTS => ChatwootError::RateLimited { retry_after },
        s if s.is_server_error() => ChatwootError::Server {
            status: s.as_u16(),
            retry_after,
        },
        s => ChatwootError::Rejected { status: s.as_u16() },
    }
}

fn transport_error(e: reqwest::Error) -> ChatwootError {
    if e.is_timeout() {
        ChatwootError::Timeout
    } else if e.is_decode() {
        ChatwootError::Decode(e.to_string())
    } else {
        // The URL (with no secrets in it) helps; the error chain says why.
        ChatwootError::Transport(e.to_string())
    }
}

/// `Retry-After` as seconds or an HTTP date; a date in the past means "now".
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_within_twenty_percent() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for n in 0..8 {
            let d = backoff(base, max, n);
            let nominal = (base * 2u32.pow(n)).min(max);
            assert!(
                d >= nominal.mul_f64(0.79) && d <= nominal.mul_f64(1.21),
                "{n}: {d:?}"
            );
        }
    }

    #[test]
    fn the_policy_honours_retry_after_and_gives_up_on_fatal_errors() {
        let policy = RetryPolicy::default();
        let limited = ChatwootError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(policy.delay(0, &limited), Some(Duration::from_secs(2)));
        let too_long = ChatwootError::RateLimited {
            retry_after: Some(Duration::from_secs(3_600)),
        };
        assert_eq!(policy.delay(0, &too_long), None);
        assert_eq!(
            policy.delay(0, &ChatwootError::Unauthorized { status: 401 }),
            None
        );
        assert_eq!(policy.delay(policy.max_retries, &limited), None);
    }

    #[test]
    fn a_base_url_with_a_path_prefix_keeps_it() {
        let client = ChatwootClient::new(
            "https://example.com/chatwoot/",
            3,
            "t",
            &ClientOptions::default(),
        )
        .expect("valid settings");
        assert_eq!(
            client.account_base.as_str(),
            "https://example.com/chatwoot/api/v1/accounts/3/"
        );
        assert!(ChatwootClient::new("ftp://x", 3, "t", &ClientOptions::default()).is_err());
        assert!(!format!("{client:?}").contains("\"t\""));
    }
}
