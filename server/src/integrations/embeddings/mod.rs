//! Embedding providers behind one trait: an OpenAI-compatible HTTP client (OpenAI, Ollama,
//! vLLM, TEI, LocalAI...) and the built-in offline `hashing` embedder (the default: no network,
//! no model files). Errors are classified once: retryable (429, 5xx, timeouts, transport),
//! fatal for the input (400/413/422: this text can never embed) and fatal for the
//! configuration (401/403/404: nothing will embed until an operator fixes the settings).
//!
//! Every vector handed to the database is zero-padded to [`COLUMN_DIMENSIONS`] (the width of
//! `rag_chunks.embedding`); padding with zeros leaves dot products, norms and so cosine
//! distances unchanged.
pub mod hashing;
pub mod local;
pub mod openai;
pub mod tokens;

use std::{fmt, sync::Arc, time::Duration};

pub use hashing::HashingProvider;
pub use openai::{OpenAiOptions, OpenAiProvider};
pub use tokens::{Cl100kCounter, TokenCounter};

use crate::config::Config;

/// Width of `rag_chunks.embedding` (`vector(1536)`).
pub const COLUMN_DIMENSIONS: usize = 1536;

/// What kind of failure an [`EmbeddingError`] is, for whoever decides what happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// May succeed later (429, 5xx, timeouts, connection trouble).
    Retryable,
    /// This input can never embed as sent (400, 413, 422).
    FatalInput,
    /// Nothing will embed until the settings change (401, 403, 404, bad configuration).
    FatalConfig,
}

/// Why embedding failed. `Display` is what ends up in `rag_chunks.embedding_error`: it says
/// what went wrong and never carries the API key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbeddingError {
    /// 429 from the provider's rate limiter.
    #[error("embedding provider rate limit hit (HTTP 429){}", after_text(*retry_after))]
    RateLimited {
        /// What `retry-after-ms` / `retry-after` asked for.
        retry_after: Option<Duration>,
    },
    /// 5xx (or another status worth retrying, such as 408).
    #[error("embedding provider error (HTTP {status}){}", after_text(*retry_after))]
    Server {
        /// The status.
        status: u16,
        /// What the provider asked for, if anything.
        retry_after: Option<Duration>,
    },
    /// The request did not complete in time.
    #[error("embedding provider did not answer in time")]
    Timeout,
    /// Connection refused, reset, DNS, TLS...
    #[error("could not reach the embedding provider: {0}")]
    Transport(String),
    /// 400/413/422: the provider refused this input.
    #[error("embedding provider refused the input (HTTP {status}): {detail}")]
    InvalidInput {
        /// The status.
        status: u16,
        /// The start of the response body.
        detail: String,
    },
    /// 401/403/404 and other 4xx: wrong key, unknown model or base URL.
    #[error("embedding provider rejected the configuration (HTTP {status}): {detail}")]
    Rejected {
        /// The status.
        status: u16,
        /// The start of the response body.
        detail: String,
    },
    /// The answer was not the documented shape (wrong count, wrong width, not JSON...).
    #[error("unexpected answer from the embedding provider: {0}")]
    Decode(String),
    /// The provider's settings cannot work.
    #[error("invalid embedding settings: {0}")]
    Config(String),
    /// The local model could not embed this input.
    #[error("the local embedding model failed: {0}")]
    Inference(String),
}

fn after_text(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| {
        format!("; retry after {} ms", d.as_millis())
    })
}

impl EmbeddingError {
    /// How this failure should be treated.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout | Self::Transport(_) => {
                ErrorClass::Retryable
            }
            // A malformed answer is the provider's (transient) fault more often than ours.
            Self::Decode(_) => ErrorClass::Retryable,
            Self::InvalidInput { .. } | Self::Inference(_) => ErrorClass::FatalInput,
            Self::Rejected { .. } | Self::Config(_) => ErrorClass::FatalConfig,
        }
    }

    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Retryable
    }

    /// The delay the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Turns texts into vectors. Implementations are cheap to share (`Arc<dyn ...>`).
#[async_trait::async_trait]
pub trait EmbeddingProvider: Send + Sync {
    /// One vector per text, in order, each of [`Self::dimensions`] values. Implementations split
    /// `texts` into requests within their own limits.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError>;

    /// The model identity stored with each vector (`rag_chunks.embedding_model`): a change
    /// re-embeds everything, so it names everything that changes the vectors.
    fn model_id(&self) -> &str;

    /// Width of the vectors `embed` returns (before padding to the column).
    fn dimensions(&self) -> usize;

    /// Most inputs one request may carry.
    fn max_batch_inputs(&self) -> usize;

    /// Longest input, in tokens of [`Self::token_counter`]; chunks are cut to fit.
    fn max_input_tokens(&self) -> usize;

    /// The tokenizer the limits are counted in (cl100k_base unless the model says otherwise).
    fn token_counter(&self) -> Arc<dyn TokenCounter> {
        Arc::new(Cl100kCounter)
    }
}

/// `vector` zero-padded (or, defensively, cut) to the column's width.
pub fn pad_to_column(mut vector: Vec<f32>) -> Vec<f32> {
    vector.resize(COLUMN_DIMENSIONS, 0.0);
    vector
}

/// Which provider the configuration selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The offline feature-hashing embedder (default).
    #[default]
    Hashing,
    /// all-MiniLM-L6-v2 run in-process ([`local::LocalProvider`]).
    Local,
    /// An OpenAI-compatible `/v1/embeddings` endpoint.
    Openai,
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hashing => "hashing",
            Self::Local => "local",
            Self::Openai => "openai",
        })
    }
}

/// The provider the configuration describes.
pub fn from_config(config: &Config) -> Result<Arc<dyn EmbeddingProvider>, EmbeddingError> {
    match config.embedding_provider {
        ProviderKind::Hashing => Ok(Arc::new(HashingProvider::default())),
        ProviderKind::Local => Ok(Arc::new(local::LocalProvider::load(
            &config.embedding_model_dir,
            local_threads(config),
        )?)),
        ProviderKind::Openai => {
            let model = config.embedding_model.clone().ok_or_else(|| {
                EmbeddingError::Config(
                    "REVINTEL_EMBEDDING_MODEL is required with the openai provider".to_owned(),
                )
            })?;
            let options = OpenAiOptions {
                base_url: config.embedding_base_url.clone(),
                api_key: config.embedding_api_key.clone(),
                model,
                dimensions: config.embedding_dimensions,
                max_batch_inputs: config.embedding_batch_size.clamp(1, openai::MAX_INPUTS),
                ..OpenAiOptions::default()
            };
            Ok(Arc::new(OpenAiProvider::new(options)?))
        }
    }
}

/// Concurrent local-model batches: the configured number, or one per core.
fn local_threads(config: &Config) -> usize {
    if config.embedding_threads > 0 {
        config.embedding_threads
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

/// The built-in providers this process can run besides the configured one (`current_model`):
/// they serve search over vectors an earlier configuration wrote, until they are re-embedded.
/// The local model joins only when its files are present (it is never required here).
pub fn other_builtin_providers(
    config: &Config,
    current_model: &str,
) -> Vec<Arc<dyn EmbeddingProvider>> {
    let mut candidates: Vec<Arc<dyn EmbeddingProvider>> =
        vec![Arc::new(HashingProvider::default())];
    if config.embedding_provider != ProviderKind::Local
        && let Ok(model) =
            local::LocalProvider::load(&config.embedding_model_dir, local_threads(config))
    {
        candidates.push(Arc::new(model));
    }
    candidates
        .into_iter()
        .filter(|p| p.model_id() != current_model)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_once() {
        assert!(EmbeddingError::RateLimited { retry_after: None }.is_retryable());
        assert!(
            EmbeddingError::Server {
                status: 503,
                retry_after: None
            }
            .is_retryable()
        );
        assert_eq!(
            EmbeddingError::InvalidInput {
                status: 400,
                detail: String::new()
            }
            .class(),
            ErrorClass::FatalInput
        );
        assert_eq!(
            EmbeddingError::Rejected {
                status: 401,
                detail: String::new()
            }
            .class(),
            ErrorClass::FatalConfig
        );
    }

    #[test]
    fn padding_keeps_values_and_fills_zeros() {
        let v = pad_to_column(vec![0.6, 0.8]);
        assert_eq!(v.len(), COLUMN_DIMENSIONS);
        assert_eq!(&v[..3], &[0.6, 0.8, 0.0]);
    }
}
