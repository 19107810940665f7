//! OpenAI-compatible embeddings over HTTP (`POST {base}/v1/embeddings`): OpenAI itself,
//! Ollama, vLLM, TEI, LocalAI. One call of [`OpenAiProvider::embed`] is split into requests that
//! stay inside the API's limits (at most 2,048 inputs, 300k tokens per request, 8,192 per
//! input); failed requests are retried inline a few times with exponential backoff + jitter,
//! honouring `retry-after-ms` / `retry-after`. A wait longer than `max_retry_after` is not
//! slept through: the error goes back to the embed worker, which reschedules the chunks.
use std::{fmt, sync::Arc, time::Duration};

use rand::Rng;
use reqwest::{StatusCode, header::HeaderMap};
use serde::{Deserialize, Serialize};

use crate::integrations::embeddings::{
    Cl100kCounter, EmbeddingError, EmbeddingProvider, TokenCounter,
};

/// The API's limit on inputs per request.
pub const MAX_INPUTS: usize = 2_048;
/// The API's limit on tokens per request (all inputs together).
pub const MAX_REQUEST_TOKENS: usize = 300_000;
/// The API's limit on tokens per input.
pub const MAX_INPUT_TOKENS: usize = 8_192;

/// Settings of an OpenAI-compatible provider.
#[derive(Clone)]
pub struct OpenAiOptions {
    /// Base URL, with or without the trailing `/v1` (e.g. `https://api.openai.com`).
    pub base_url: String,
    /// Bearer key (absent for local servers that need none). Never printed.
    pub api_key: Option<String>,
    /// Model name sent in each request.
    pub model: String,
    /// Requested width (`dimensions` in the request); `None` = the model's native width.
    pub dimensions: Option<usize>,
    /// Inputs per request (at most [`MAX_INPUTS`]).
    pub max_batch_inputs: usize,
    /// Tokens per request.
    pub max_request_tokens: usize,
    /// Tokens per input.
    pub max_input_tokens: usize,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Inline retries of a failed request.
    pub max_retries: u32,
    /// First backoff delay (doubles each retry).
    pub base_delay: Duration,
    /// Cap of the backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` waited out inline.
    pub max_retry_after: Duration,
}

impl Default for OpenAiOptions {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com".to_owned(),
            api_key: None,
            model: "text-embedding-3-small".to_owned(),
            dimensions: None,
            max_batch_inputs: 256,
            max_request_tokens: MAX_REQUEST_TOKENS,
            max_input_tokens: MAX_INPUT_TOKENS,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for OpenAiOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiOptions")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("max_batch_inputs", &self.max_batch_inputs)
            .finish_non_exhaustive()
    }
}

/// Native widths of well-known models, used when `dimensions` is not configured.
fn native_dimensions(model: &str) -> Option<usize> {
    match model {
        "text-embedding-3-small" | "text-embedding-ada-002" => Some(1536),
        "text-embedding-3-large" => Some(3072),
        "nomic-embed-text" | "nomic-embed-text:latest" => Some(768),
        "all-minilm" | "all-minilm:latest" | "sentence-transformers/all-MiniLM-L6-v2" => Some(384),
        "mxbai-embed-large" | "mxbai-embed-large:latest" => Some(1024),
        _ => None,
    }
}

/// The OpenAI-compatible provider.
#[derive(Clone)]
pub struct OpenAiProvider {
    http: reqwest::Client,
    url: String,
    options: Arc<OpenAiOptions>,
    dimensions: usize,
    model_id: String,
}

impl fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("url", &self.url)
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
    encoding_format: &'static str,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    index: usize,
    embedding: Vec<f32>,
}

impl OpenAiProvider {
    /// A provider for `options`; fails when the settings cannot work (no model, a width the
    /// column cannot hold, an unknown model without `dimensions`).
    pub fn new(options: OpenAiOptions) -> Result<Self, EmbeddingError> {
        if options.model.trim().is_empty() {
            return Err(EmbeddingError::Config("no model configured".to_owned()));
        }
        let dimensions = options
            .dimensions
            .or_else(|| native_dimensions(&options.model))
            .ok_or_else(|| {
                EmbeddingError::Config(format!(
                    "the width of model {:?} is unknown: set REVINTEL_EMBEDDING_DIMENSIONS",
                    options.model
                ))
            })?;
        if dimensions == 0 || dimensions > super::COLUMN_DIMENSIONS {
            return Err(EmbeddingError::Config(format!(
                "model {:?} gives {dimensions}-wide vectors; the column holds at most {} \
                 (set REVINTEL_EMBEDDING_DIMENSIONS if the model supports shortening)",
                options.model,
                super::COLUMN_DIMENSIONS
            )));
        }
        let base = options.base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(EmbeddingError::Config(format!(
                "embedding base URL must start with http:// or https:// (got {base:?})"
            )));
        }
        let url = if base.ends_with("/v1") {
            format!("{base}/embeddings")
        } else {
            format!("{base}/v1/embeddings")
        };
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| EmbeddingError::Config(format!("HTTP client: {e}")))?;
        let model_id = match options.dimensions {
            Some(d) => format!("{}@{d}", options.model),
            None => options.model.clone(),
        };
        let options = OpenAiOptions {
            max_batch_inputs: options.max_batch_inputs.clamp(1, MAX_INPUTS),
            max_request_tokens: options.max_request_tokens.clamp(1, MAX_REQUEST_TOKENS),
            max_input_tokens: options.max_input_tokens.clamp(1, MAX_INPUT_TOKENS),
            ..options
        };
        Ok(Self {
            http,
            url,
            options: Arc::new(options),
            dimensions,
            model_id,
        })
    }

    /// Groups `texts` (by index) into requests within the input and token limits.
    pub fn plan_requests(&self, token_counts: &[usize]) -> Vec<std::ops::Range<usize>> {
        let mut ranges = Vec::new();
        let mut start = 0;
        let mut tokens = 0;
        for (i, &n) in token_counts.iter().enumerate() {
            let n = n.min(self.options.max_input_tokens);
            let full = i - start >= self.options.max_batch_inputs
                || (i > start && tokens + n > self.options.max_request_tokens);
            if full {
                ranges.push(start..i);
                start = i;
                tokens = 0;
            }
            tokens += n;
        }
        if start < token_counts.len() {
            ranges.push(start..token_counts.len());
        }
        ranges
    }

    /// `text` cut to the per-input token limit (search queries can be arbitrarily long;
    /// chunks are already cut by the chunker).
    fn fit(&self, text: &str, tokens: usize) -> String {
        let max = self.options.max_input_tokens;
        if tokens <= max {
            return text.to_owned();
        }
        if let Some(bpe) = Cl100kCounter::bpe() {
            let ids = bpe.encode_ordinary(text);
            if let Ok(cut) = bpe.decode(&ids[..max.min(ids.len())]) {
                return cut;
            }
        }
        // Fallback: cut by characters in proportion, rounding down.
        let keep = text.chars().count() * max / tokens.max(1);
        text.chars().take(keep).collect()
    }

    async fn send(&self, input: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let body = Request {
            model: &self.options.model,
            input,
            dimensions: self.options.dimensions,
            encoding_format: "float",
        };
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.options.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let text = response.text().await.unwrap_or_default();
            return Err(self.status_error(status, retry_after, &text));
        }
        let bytes = response.bytes().await.map_err(transport_error)?;
        let parsed: Response = serde_json::from_slice(&bytes)
            .map_err(|e| EmbeddingError::Decode(format!("response body: {e}")))?;
        if parsed.data.len() != input.len() {
            return Err(EmbeddingError::Decode(format!(
                "{} vectors for {} inputs",
                parsed.data.len(),
                input.len()
            )));
        }
        let mut out: Vec<Option<Vec<f32>>> = vec![None; input.len()];
        for datum in parsed.data {
            if datum.embedding.len() != self.dimensions {
                return Err(EmbeddingError::Decode(format!(
                    "a {}-wide vector where {} was configured",
                    datum.embedding.len(),
                    self.dimensions
                )));
            }
            match out.get_mut(datum.index) {
                Some(slot @ None) => *slot = Some(datum.embedding),
                _ => {
                    return Err(EmbeddingError::Decode(format!(
                        "index {} duplicated or out of range",
                        datum.index
                    )));
                }
            }
        }
        out.into_iter()
            .map(|v| v.ok_or_else(|| EmbeddingError::Decode("a missing index".to_owned())))
            .collect()
    }

    fn status_error(
        &self,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &str,
    ) -> EmbeddingError {
        let mut detail: String = body.chars().take(300).collect();
        if let Some(key) = self.options.api_key.as_deref().filter(|k| !k.is_empty()) {
            detail = detail.replace(key, "<redacted>");
        }
        let code = status.as_u16();
        match code {
            429 => EmbeddingError::RateLimited { retry_after },
            408 | 409 | 425 | 500..=599 => EmbeddingError::Server {
                status: code,
                retry_after,
            },
            400 | 413 | 422 => EmbeddingError::InvalidInput {
                status: code,
                detail,
            },
            _ => EmbeddingError::Rejected {
                status: code,
                detail,
            },
        }
    }

    /// One request, retried inline on retryable errors.
    async fn send_with_retries(&self, input: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut retry = 0;
        loop {
            match self.send(input).await {
                Ok(vectors) => return Ok(vectors),
                Err(error) => {
                    if !error.is_retryable() || retry >= self.options.max_retries {
                        return Err(error);
                    }
                    let wait = match error.retry_after() {
                        Some(after) if after > self.options.max_retry_after => return Err(error),
                        Some(after) => after,
                        None => backoff(self.options.base_delay, self.options.max_delay, retry),
                    };
                    tracing::debug!(%error, ?wait, retry, "retrying embedding request");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
            }
        }
    }
}

/// `base * 2^n` capped at `max`, with +-20% jitter so clients that failed together do not
/// retry together.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(n.min(30)));
    let jitter: f64 = rand::rng().random_range(0.8..=1.2);
    exp.min(max).mul_f64(jitter)
}

/// `retry-after-ms` (OpenAI's, milliseconds) or `retry-after` (seconds or an HTTP date).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .map(str::to_owned)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Some(Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(&value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn transport_error(e: reqwest::Error) -> EmbeddingError {
    if e.is_timeout() {
        EmbeddingError::Timeout
    } else if e.is_decode() {
        EmbeddingError::Decode(e.to_string())
    } else {
        EmbeddingError::Transport(e.to_string())
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for OpenAiProvider {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let counter = Cl100kCounter;
        let counts: Vec<usize> = texts.iter().map(|t| counter.count(t)).collect();
        let mut out = Vec::with_capacity(texts.len());
        for range in self.plan_requests(&counts) {
            let input: Vec<String> = texts[range.clone()]
                .iter()
                .zip(&counts[range])
                .map(|(t, &n)| self.fit(t, n))
                .collect();
            out.extend(self.send_with_retries(&input).await?);
        }
        Ok(out)
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn max_batch_inputs(&self) -> usize {
        self.options.max_batch_inputs
    }

    fn max_input_tokens(&self) -> usize {
        self.options.max_input_tokens
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn provider(max_inputs: usize, max_tokens: usize) -> OpenAiProvider {
        OpenAiProvider::new(OpenAiOptions {
            base_url: "http://127.0.0.1:9/v1".to_owned(),
            max_batch_inputs: max_inputs,
            max_request_tokens: max_tokens,
            ..OpenAiOptions::default()
        })
        .expect("valid options")
    }

    #[test]
    fn requests_respect_input_and_token_budgets() {
        let p = provider(3, 100);
        assert_eq!(p.url, "http://127.0.0.1:9/v1/embeddings");
        assert_eq!(
            p.plan_requests(&[10, 10, 10, 10, 10]),
            vec![0..3, 3..5],
            "3 inputs per request"
        );
        assert_eq!(
            p.plan_requests(&[60, 30, 20, 90, 5]),
            vec![0..2, 2..3, 3..5],
            "100 tokens per request"
        );
        assert!(p.plan_requests(&[]).is_empty());
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
    }

    #[test]
    fn widths_the_column_cannot_hold_are_refused() {
        let e = OpenAiProvider::new(OpenAiOptions {
            model: "text-embedding-3-large".to_owned(),
            ..OpenAiOptions::default()
        });
        assert!(matches!(e, Err(EmbeddingError::Config(_))));
        let ok = OpenAiProvider::new(OpenAiOptions {
            model: "text-embedding-3-large".to_owned(),
            dimensions: Some(1024),
            ..OpenAiOptions::default()
        })
        .expect("shortened");
        assert_eq!(ok.model_id(), "text-embedding-3-large@1024");
    }
}
