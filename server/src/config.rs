//! Every setting, read from the environment (and an optional TOML file named by
//! `REVINTEL_CONFIG_FILE`), with defaults that run locally against `scripts/db.sh`'s cluster.
use std::{net::SocketAddr, str::FromStr};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// Where the process runs; production turns off introspection, GraphiQL and field suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    /// Local development (the default).
    #[default]
    Development,
    /// Automated tests.
    Test,
    /// A deployment facing real users.
    Production,
}

impl AppEnv {
    /// True in production, where the API hides its shape.
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

impl FromStr for AppEnv {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" | "prod" => Ok(AppEnv::Production),
            other => Err(ConfigError::Invalid(format!(
                "APP_ENV: unknown environment {other:?}"
            ))),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (local default).
    #[default]
    Pretty,
    /// One JSON object per line (for log shippers).
    Json,
}

/// A configuration value was missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value could not be parsed.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The server's settings.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// `APP_ENV`: development | test | production.
    pub app_env: AppEnv,
    /// `DATABASE_URL`: any PostgreSQL 15+ with pgvector >= 0.5.
    pub database_url: String,
    /// `REVINTEL_BIND_ADDR` (or cargo-leptos's `LEPTOS_SITE_ADDR`).
    pub bind_addr: SocketAddr,
    /// `REVINTEL_DB_MAX_CONNECTIONS`: pool size per process.
    pub db_max_connections: u32,
    /// `REVINTEL_DB_STATEMENT_TIMEOUT_MS`: longest statement a request may run.
    #[serde(default = "default_statement_timeout_ms")]
    pub db_statement_timeout_ms: u64,
    /// `REVINTEL_LOG_FORMAT`: pretty | json.
    pub log_format: LogFormat,
    /// `REVINTEL_DEMO_SEED`: load the demo workspace at start-up (idempotent).
    pub demo_seed: bool,
    /// `REVINTEL_GRAPHQL_MAX_DEPTH`: deepest query accepted.
    pub graphql_max_depth: usize,
    /// `REVINTEL_GRAPHQL_MAX_COMPLEXITY`: costliest query accepted.
    pub graphql_max_complexity: usize,
    /// `REVINTEL_GRAPHQL_MAX_BODY_BYTES`: largest request body accepted on `/graphql`.
    pub graphql_max_body_bytes: usize,
    /// `LEPTOS_SITE_ROOT`: where cargo-leptos put the built site.
    pub site_root: String,
    /// `REVINTEL_SESSION_IDLE_TIMEOUT_SECS`: a session unused this long ends.
    pub session_idle_timeout_secs: i64,
    /// `REVINTEL_SESSION_ABSOLUTE_TIMEOUT_SECS`: a session this old ends.
    pub session_absolute_timeout_secs: i64,
    /// `REVINTEL_COOKIE_SECURE`: Secure, `__Host-` prefixed session cookie; unset = on in
    /// production, off elsewhere (plain HTTP on a laptop). Read through [`Config::secure_cookie`].
    pub cookie_secure: Option<bool>,
    /// `REVINTEL_PUBLIC_URL`: the origin browsers reach the app at (`https://crm.example.com`);
    /// a browser POST from any other origin is refused. Unset = the request's own `Host`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// `REVINTEL_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges of reverse proxies
    /// whose `X-Forwarded-For` names the client; from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: String,
    /// `REVINTEL_CHATWOOT_PRIVATE_NETWORKS`: comma-separated CIDR ranges of internal networks a
    /// self-hosted Chatwoot may be reached on in production (where sources must otherwise
    /// resolve to public addresses only). Development and test reach anything.
    #[serde(default)]
    pub chatwoot_private_networks: String,
    /// `REVINTEL_PASSWORD_HASH_CONCURRENCY`: argon2 hashes at once (each ~19 MiB, one core).
    pub password_hash_concurrency: usize,
    /// `REVINTEL_TELEGRAM_BOT_TOKEN`: the bot that carries signup PINs to the owner.
    pub telegram_bot_token: Option<String>,
    /// `REVINTEL_TELEGRAM_API_BASE`: the Bot API's base URL (tests point it at a fake).
    pub telegram_api_base: String,
    /// `REVINTEL_TELEGRAM_WEBHOOK_SECRET`: expected `X-Telegram-Bot-Api-Secret-Token`.
    pub telegram_webhook_secret: Option<String>,
    /// `REVINTEL_WORKERS`: run the job workers and the scheduler inside `serve`.
    pub workers: bool,
    /// `REVINTEL_WORKER_CONCURRENCY`: jobs run at once per process.
    pub worker_concurrency: usize,
    /// `REVINTEL_WORKER_LEASE_SECONDS`: a claimed job's lease (renewed every third of it).
    pub worker_lease_seconds: u64,
    /// `REVINTEL_WORKER_POLL_SECONDS`: idle workers poll this often (NOTIFY wakes them sooner).
    pub worker_poll_seconds: u64,
    /// `REVINTEL_SCHEDULER_TICK_SECONDS`: how often due syncs are enqueued.
    pub scheduler_tick_seconds: u64,
    /// `REVINTEL_CHATWOOT_TIMEOUT_SECONDS`: per-request timeout of Chatwoot calls.
    pub chatwoot_timeout_seconds: u64,
    /// `REVINTEL_CHATWOOT_FULL_RESCAN_HOURS`: a full re-scan (catches silent edits) this often.
    pub chatwoot_full_rescan_hours: u64,
    /// `REVINTEL_CHATWOOT_MESSAGE_CONCURRENCY`: conversations whose messages load at once.
    pub chatwoot_message_concurrency: usize,
    /// `REVINTEL_WEBHOOK_MAX_SKEW_SECONDS`: signed webhooks older or newer than this are stale.
    pub webhook_max_skew_seconds: i64,
    /// `LEPTOS_OUTPUT_NAME`: the wasm/js bundle name.
    pub output_name: String,
    /// `REVINTEL_EMBEDDING_PROVIDER`: hashing (offline word overlap, the built-in default) |
    /// local (all-MiniLM-L6-v2 in-process; what `scripts/dev.sh` runs) | openai.
    #[serde(default)]
    pub embedding_provider: crate::integrations::embeddings::ProviderKind,
    /// `REVINTEL_EMBEDDING_BASE_URL`: the OpenAI-compatible server (with or without `/v1`).
    #[serde(default = "default_embedding_base_url")]
    pub embedding_base_url: String,
    /// `REVINTEL_EMBEDDING_API_KEY`: bearer key of the embedding server (secret).
    #[serde(default)]
    pub embedding_api_key: Option<String>,
    /// `REVINTEL_EMBEDDING_MODEL`: model name (required for openai).
    #[serde(default)]
    pub embedding_model: Option<String>,
    /// `REVINTEL_EMBEDDING_DIMENSIONS`: requested vector width (<= 1536).
    #[serde(default)]
    pub embedding_dimensions: Option<usize>,
    /// `REVINTEL_EMBEDDING_MODEL_DIR`: the local model's files (`scripts/fetch-model.sh`).
    #[serde(default = "default_embedding_model_dir")]
    pub embedding_model_dir: std::path::PathBuf,
    /// `REVINTEL_EMBEDDING_THREADS`: local-model batches run at once (0 = one per core).
    #[serde(default)]
    pub embedding_threads: usize,
    /// `REVINTEL_EMBEDDING_BATCH_SIZE`: chunks the embed worker claims (and sends) at once.
    #[serde(default = "default_embedding_batch_size")]
    pub embedding_batch_size: usize,
    /// `REVINTEL_EMBEDDING_WORKER`: run the embed worker inside `serve` / `worker`.
    #[serde(default = "default_true")]
    pub embedding_worker: bool,
    /// `REVINTEL_RAG_CHUNK_TOKENS`: target chunk size in tokens (capped by the model's limit).
    #[serde(default = "default_rag_chunk_tokens")]
    pub rag_chunk_tokens: usize,
    /// `REVINTEL_RAG_CHUNK_OVERLAP`: tokens shared by consecutive chunks of a message.
    #[serde(default = "default_rag_chunk_overlap")]
    pub rag_chunk_overlap: usize,
    /// `REVINTEL_RAG_INDEX_PRIVATE_NOTES`: private notes are chunked and searchable.
    #[serde(default = "default_true")]
    pub rag_index_private_notes: bool,
    /// `REVINTEL_SIGNAL_SIMILARITY_THRESHOLD`: smallest cosine similarity between a message and
    /// a signal example phrase that counts as a signal (0..1).
    #[serde(default = "default_signal_similarity_threshold")]
    pub signal_similarity_threshold: f64,
    /// `REVINTEL_CRM_REFRESH_MINUTES`: how often health scores, the risk radar and
    /// next-best-actions of every project are recomputed on schedule.
    #[serde(default = "default_crm_refresh_minutes")]
    pub crm_refresh_minutes: u64,
    /// `REVINTEL_OUTBOUND_SENDER`: run the outbound sender with the workers (`serve` with
    /// `REVINTEL_WORKERS` on, or `worker`).
    #[serde(default = "default_true")]
    pub outbound_sender: bool,
    /// `REVINTEL_OUTBOUND_BATCH_SIZE`: messages the sender claims at once.
    #[serde(default = "default_outbound_batch_size")]
    pub outbound_batch_size: usize,
    /// `REVINTEL_OUTBOUND_POLL_SECONDS`: how long an idle sender waits before looking again.
    #[serde(default = "default_outbound_poll_seconds")]
    pub outbound_poll_seconds: u64,
}

fn default_statement_timeout_ms() -> u64 {
    10_000
}

fn default_outbound_batch_size() -> usize {
    20
}

fn default_outbound_poll_seconds() -> u64 {
    5
}

fn default_signal_similarity_threshold() -> f64 {
    0.6
}

fn default_crm_refresh_minutes() -> u64 {
    60
}

fn default_embedding_base_url() -> String {
    "https://api.openai.com".to_owned()
}

fn default_embedding_model_dir() -> std::path::PathBuf {
    crate::integrations::embeddings::local::LocalProvider::default_dir()
}

fn default_embedding_batch_size() -> usize {
    128
}

fn default_rag_chunk_tokens() -> usize {
    256
}

fn default_rag_chunk_overlap() -> usize {
    32
}

fn default_true() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            app_env: AppEnv::Development,
            database_url: "postgres://postgres@127.0.0.1:5433/revintel".to_owned(),
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            db_max_connections: 20,
            db_statement_timeout_ms: default_statement_timeout_ms(),
            log_format: LogFormat::Pretty,
            demo_seed: false,
            graphql_max_depth: 12,
            graphql_max_complexity: 10_000,
            graphql_max_body_bytes: 1024 * 1024,
            site_root: "target/site".to_owned(),
            session_idle_timeout_secs: 8 * 3600,
            session_absolute_timeout_secs: 7 * 24 * 3600,
            cookie_secure: None,
            public_url: None,
            trusted_proxies: String::new(),
            chatwoot_private_networks: String::new(),
            password_hash_concurrency: 2,
            telegram_bot_token: None,
            telegram_api_base: "https://api.telegram.org".to_owned(),
            telegram_webhook_secret: None,
            workers: true,
            worker_concurrency: 2,
            worker_lease_seconds: 120,
            worker_poll_seconds: 5,
            scheduler_tick_seconds: 30,
            chatwoot_timeout_seconds: 30,
            chatwoot_full_rescan_hours: 24,
            chatwoot_message_concurrency: 4,
            webhook_max_skew_seconds: 300,
            output_name: "revintel".to_owned(),
            embedding_provider: Default::default(),
            embedding_base_url: default_embedding_base_url(),
            embedding_api_key: None,
            embedding_model: None,
            embedding_dimensions: None,
            embedding_model_dir: default_embedding_model_dir(),
            embedding_threads: 0,
            embedding_batch_size: default_embedding_batch_size(),
            embedding_worker: true,
            rag_chunk_tokens: default_rag_chunk_tokens(),
            rag_chunk_overlap: default_rag_chunk_overlap(),
            rag_index_private_notes: true,
            signal_similarity_threshold: default_signal_similarity_threshold(),
            crm_refresh_minutes: default_crm_refresh_minutes(),
            outbound_sender: true,
            outbound_batch_size: default_outbound_batch_size(),
            outbound_poll_seconds: default_outbound_poll_seconds(),
        }
    }
}

impl Config {
    /// Reads defaults, then the optional file, then the environment (last wins).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Ok(path) = std::env::var("REVINTEL_CONFIG_FILE") {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment
            .merge(Env::raw().only(&["database_url"]))
            .merge(Env::raw().only(&["app_env"]))
            .merge(
                Env::raw()
                    .only(&["leptos_site_addr", "leptos_site_root", "leptos_output_name"])
                    // Keys keep the environment's case here; compare without it.
                    .map(|key| match key.as_str().to_ascii_lowercase().as_str() {
                        "leptos_site_addr" => "bind_addr".into(),
                        "leptos_site_root" => "site_root".into(),
                        _ => "output_name".into(),
                    }),
            )
            .merge(Env::prefixed("REVINTEL_").ignore(&["config_file"]));
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Refuses combinations that are unsafe or unusable, so a misconfigured deployment fails
    /// at start with a message instead of running.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.demo_seed {
            self.refuse_demo_in_production()?;
        }
        if let Some(url) = &self.public_url {
            public_origin(url)?;
        }
        crate::http::TrustedProxies::parse(&self.trusted_proxies)?;
        private_networks(&self.chatwoot_private_networks)?;
        Ok(())
    }

    /// The demo workspace signs in with a published password: never in production.
    pub fn refuse_demo_in_production(&self) -> Result<(), ConfigError> {
        if self.app_env.is_production() {
            return Err(ConfigError::Invalid(
                "the demo workspace cannot be loaded when APP_ENV=production (its users have \
                 published passwords): unset REVINTEL_DEMO_SEED"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Where Chatwoot sources may be reached: anywhere outside production; in production public
    /// addresses and the configured private networks only.
    pub fn chatwoot_reach(&self) -> crate::integrations::chatwoot::Reach {
        use crate::integrations::chatwoot::Reach;
        if !self.app_env.is_production() {
            return Reach::Anywhere;
        }
        Reach::PublicOnly {
            allowed: private_networks(&self.chatwoot_private_networks).unwrap_or_default(),
        }
    }

    /// Whether the session cookie is Secure and `__Host-` prefixed.
    pub fn secure_cookie(&self) -> bool {
        self.cookie_secure
            .unwrap_or_else(|| self.app_env.is_production())
    }

    /// The configured public origin (`scheme://host[:port]`, lower case), if any.
    pub fn public_origin(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .and_then(|url| public_origin(url).ok())
    }
}

/// The networks of `REVINTEL_CHATWOOT_PRIVATE_NETWORKS`.
fn private_networks(list: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry.parse::<ipnet::IpNet>().map_err(|_| {
                ConfigError::Invalid(format!(
                    "REVINTEL_CHATWOOT_PRIVATE_NETWORKS: {entry:?} is not a CIDR range"
                ))
            })
        })
        .collect()
}

/// `url`'s origin, `scheme://host[:port]` in lower case, or why it is not a usable public URL.
fn public_origin(url: &str) -> Result<String, ConfigError> {
    let invalid = || {
        ConfigError::Invalid(format!(
            "REVINTEL_PUBLIC_URL: {url:?} is not an http(s) URL"
        ))
    };
    let parsed = url::Url::parse(url).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid());
    }
    Ok(parsed.origin().ascii_serialization().to_lowercase())
}

/// Settings that are secrets: `Debug` shows whether they are set, never their value.
const SECRET_SETTINGS: [&str; 3] = [
    "telegram_bot_token",
    "telegram_webhook_secret",
    "embedding_api_key",
];

impl std::fmt::Debug for Config {
    /// Every setting, with secrets and the database password masked, so a `{config:?}` in a
    /// log or a panic message cannot leak them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        if let Some(fields) = shown.as_object_mut() {
            for key in SECRET_SETTINGS {
                if let Some(value) = fields.get_mut(key).filter(|v| !v.is_null()) {
                    *value = serde_json::Value::from("<redacted>");
                }
            }
            fields.insert(
                "database_url".to_owned(),
                serde_json::Value::from(without_password(&self.database_url)),
            );
        }
        write!(f, "Config {shown}")
    }
}

/// `url` with the password of its user-info part (`user:password@`) masked.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_masks_secrets_and_the_database_password() {
        let config = Config {
            database_url: "postgres://app:s3cret-db@db.internal:5432/revintel".to_owned(),
            telegram_bot_token: Some("123:bot-token-value".to_owned()),
            telegram_webhook_secret: Some("hook-secret-value".to_owned()),
            embedding_api_key: Some("sk-key-value".to_owned()),
            ..Config::default()
        };

        let shown = format!("{config:?}");

        for secret in [
            "s3cret-db",
            "bot-token-value",
            "hook-secret-value",
            "sk-key-value",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("postgres://app:<redacted>@db.internal:5432/revintel"));
        assert!(
            shown.contains("worker_concurrency"),
            "other settings are shown: {shown}"
        );
        assert_eq!(
            without_password("postgres://app@db/x"),
            "postgres://app@db/x"
        );
    }

    #[test]
    fn app_env_parses_known_names_and_rejects_others() {
        assert_eq!(
            "production".parse::<AppEnv>().ok(),
            Some(AppEnv::Production)
        );
        assert_eq!("DEV".parse::<AppEnv>().ok(), Some(AppEnv::Development));
        assert!("staging".parse::<AppEnv>().is_err());
    }

    #[test]
    // figment's Jail API fixes the closure's (large) error type.
    #[allow(clippy::result_large_err)]
    fn cargo_leptos_variables_fill_the_matching_settings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LEPTOS_SITE_ROOT", "target/site");
            jail.set_env("LEPTOS_OUTPUT_NAME", "bundle");
            jail.set_env("LEPTOS_SITE_ADDR", "127.0.0.1:4000");
            jail.set_env("APP_ENV", "production");
            let config = Config::from_env().map_err(|e| e.to_string())?;
            assert_eq!(config.site_root, "target/site");
            assert_eq!(config.output_name, "bundle");
            assert_eq!(config.bind_addr.port(), 4000);
            assert_eq!(config.app_env, AppEnv::Production);
            Ok(())
        });
    }

    #[test]
    // figment's Jail API fixes the closure's (large) error type.
    #[allow(clippy::result_large_err)]
    fn production_refuses_to_start_with_the_demo_seed() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("APP_ENV", "production");
            jail.set_env("REVINTEL_DEMO_SEED", "true");
            let refused = Config::from_env().map(|_| ()).map_err(|e| e.to_string());
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("demo workspace") && e.contains("production")),
                "{refused:?}"
            );
            jail.set_env("APP_ENV", "development");
            assert!(Config::from_env().is_ok());
            Ok(())
        });
    }

    #[test]
    fn the_session_cookie_is_secure_in_production_unless_explicitly_disabled() {
        let production = Config {
            app_env: AppEnv::Production,
            ..Config::default()
        };
        let disabled = Config {
            cookie_secure: Some(false),
            ..production.clone()
        };
        assert!(production.secure_cookie());
        assert!(!disabled.secure_cookie());
        assert!(!Config::default().secure_cookie());
    }

    #[test]
    fn a_public_url_must_be_an_http_origin() {
        let with = |url: &str| Config {
            public_url: Some(url.to_owned()),
            ..Config::default()
        };
        assert_eq!(
            with("https://CRM.example.com/app")
                .public_origin()
                .as_deref(),
            Some("https://crm.example.com")
        );
        assert!(with("ftp://crm.example.com").check().is_err());
        assert!(with("not a url").check().is_err());
    }

    #[test]
    fn defaults_point_at_the_local_cluster_and_port_3000() {
        let config = Config::default();
        assert_eq!(config.bind_addr.port(), 3000);
        assert!(config.database_url.contains("127.0.0.1:5433"));
        assert!(!config.app_env.is_production());
    }
}
