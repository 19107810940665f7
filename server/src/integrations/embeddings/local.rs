//! The local sentence-embedding model: all-MiniLM-L6-v2 run in-process with candle, offline.
//!
//! It does what sentence-transformers does for this model: WordPiece tokens with `[CLS]` and
//! `[SEP]`, truncated at 256 tokens, token type ids all zero, the attention mask passed to the
//! encoder, mean pooling over the mask, L2 normalisation. The vectors have 384 values (padded
//! with zeros to the column by the worker, which changes neither cosine nor inner product).
//!
//! Inference is CPU-bound: it runs on blocking threads, so the async runtime keeps serving
//! requests while a backlog is embedded. Batches (the embed worker) hold one of `threads - 1`
//! permits (at least one); a single text (a search query) has a permit of its own, so a query
//! never queues behind a backlog's batches, it only shares the cores with them.
//! The files come from `scripts/fetch-model.sh` (run by the set-up); nothing is downloaded at
//! run time, and a missing file is a configuration error naming it.
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};
use tokio::sync::Semaphore;

use crate::integrations::embeddings::{EmbeddingError, EmbeddingProvider, tokens::TokenCounter};

/// The model this provider runs.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Width of its vectors.
pub const DIMENSIONS: usize = 384;
/// Longest input in tokens, `[CLS]` and `[SEP]` included (sentence-transformers' setting).
pub const MAX_TOKENS: usize = 256;
/// Texts per forward pass: larger batches pad more and were no faster on two cores.
const BATCH: usize = 16;
/// The files the model directory must hold.
pub const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// The loaded model and tokenizer.
struct Model {
    bert: BertModel,
    /// Truncates at [`MAX_TOKENS`], pads to the batch's longest.
    tokenizer: Tokenizer,
    /// Neither truncates nor pads: counts a text's real length.
    counter: Tokenizer,
    device: Device,
}

/// all-MiniLM-L6-v2 in-process.
pub struct LocalProvider {
    model: Arc<Model>,
    /// Batches of several texts (the embed worker).
    bulk: Arc<Semaphore>,
    /// Single texts (search queries).
    interactive: Arc<Semaphore>,
    model_id: String,
}

impl std::fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProvider")
            .field("model_id", &self.model_id)
            .finish()
    }
}

fn config_error(message: impl Into<String>) -> EmbeddingError {
    EmbeddingError::Config(message.into())
}

fn inference_error(e: impl std::fmt::Display) -> EmbeddingError {
    EmbeddingError::Inference(e.to_string())
}

impl LocalProvider {
    /// Loads the model from `dir` (memory-mapped weights), with `threads` concurrent batches
    /// at most. A missing or unreadable file is an error that names it.
    pub fn load(dir: &Path, threads: usize) -> Result<Self, EmbeddingError> {
        for file in REQUIRED_FILES {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(config_error(format!(
                    "the local embedding model is missing {}; run scripts/setup.sh (or \
                     scripts/fetch-model.sh) to fetch it, or set REVINTEL_EMBEDDING_MODEL_DIR",
                    path.display()
                )));
            }
        }
        let config_text = std::fs::read_to_string(dir.join("config.json")).map_err(|e| {
            config_error(format!(
                "cannot read {}: {e}",
                dir.join("config.json").display()
            ))
        })?;
        let config: BertConfig = serde_json::from_str(&config_text).map_err(|e| {
            config_error(format!(
                "{} is not a BERT config: {e}",
                dir.join("config.json").display()
            ))
        })?;
        if config.hidden_size != DIMENSIONS {
            return Err(config_error(format!(
                "{} describes a {}-d model; {MODEL_NAME} is {DIMENSIONS}-d",
                dir.join("config.json").display(),
                config.hidden_size
            )));
        }
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| {
            config_error(format!(
                "cannot load {}: {e}",
                dir.join("tokenizer.json").display()
            ))
        })?;
        let mut counter = tokenizer.clone();
        counter
            .with_truncation(None)
            .map_err(|e| config_error(format!("tokenizer truncation: {e}")))?;
        counter.with_padding(None);
        // The shipped tokenizer pads and truncates to a fixed 128; the model is used at 256
        // with padding to the batch's longest text.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| config_error(format!("tokenizer truncation: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // SAFETY: the weights file is memory-mapped read-only; it belongs to the model
        // directory the set-up writes once, and nothing modifies it while the process runs.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&weights), DType::F32, &device)
        }
        .map_err(|e| config_error(format!("cannot map {}: {e}", weights.display())))?;
        let bert = BertModel::load(vb, &config).map_err(|e| {
            config_error(format!(
                "{} does not hold {MODEL_NAME}: {e}",
                weights.display()
            ))
        })?;
        Ok(Self {
            model: Arc::new(Model {
                bert,
                tokenizer,
                counter,
                device,
            }),
            bulk: Arc::new(Semaphore::new(threads.saturating_sub(1).max(1))),
            interactive: Arc::new(Semaphore::new(1)),
            model_id: format!("local/{MODEL_NAME}@{DIMENSIONS}"),
        })
    }

    /// The default model directory, relative to the working directory (the repository root
    /// for `scripts/dev.sh` and the tests).
    pub fn default_dir() -> PathBuf {
        PathBuf::from(".data/models").join(MODEL_NAME)
    }
}

impl Model {
    /// Embeds one batch on the calling (blocking) thread.
    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(inference_error)?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for e in &encodings {
            ids.extend(e.get_ids().iter().map(|&i| i as i64));
            mask.extend(e.get_attention_mask().iter().map(|&m| m as i64));
        }
        let ids = Tensor::from_vec(ids, (rows, width), &self.device).map_err(inference_error)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device).map_err(inference_error)?;
        let type_ids = ids.zeros_like().map_err(inference_error)?;
        let hidden = self
            .bert
            .forward(&ids, &type_ids, Some(&mask))
            .map_err(inference_error)?;
        // Mean over the real tokens: sum(hidden * mask) / sum(mask), then unit length.
        let mask = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(inference_error)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|h| h.sum(1))
            .map_err(inference_error)?;
        let counts = mask.sum(1).map_err(inference_error)?;
        let mean = summed.broadcast_div(&counts).map_err(inference_error)?;
        let norms = mean
            .sqr()
            .and_then(|s| s.sum_keepdim(1))
            .and_then(|s| s.sqrt())
            .and_then(|n| n.clamp(1e-12f32, f32::MAX))
            .map_err(inference_error)?;
        mean.broadcast_div(&norms)
            .and_then(|v| v.to_vec2::<f32>())
            .map_err(inference_error)
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for LocalProvider {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            let permits = if texts.len() == 1 {
                &self.interactive
            } else {
                &self.bulk
            };
            let permit =
                permits.clone().acquire_owned().await.map_err(|_| {
                    EmbeddingError::Inference("the model is shutting down".to_owned())
                })?;
            let model = self.model.clone();
            let batch = batch.to_vec();
            let vectors = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                model.embed_batch(&batch)
            })
            .await
            .map_err(|e| EmbeddingError::Inference(format!("inference task failed: {e}")))??;
            out.extend(vectors);
        }
        Ok(out)
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    fn max_batch_inputs(&self) -> usize {
        64
    }

    fn max_input_tokens(&self) -> usize {
        MAX_TOKENS
    }

    fn token_counter(&self) -> Arc<dyn TokenCounter> {
        Arc::new(WordPieceCounter {
            model: self.model.clone(),
        })
    }
}

/// Counts tokens the way the model sees them (WordPiece, `[CLS]` and `[SEP]` included), so
/// chunks fit its 256-token input.
struct WordPieceCounter {
    model: Arc<Model>,
}

impl TokenCounter for WordPieceCounter {
    fn count(&self, text: &str) -> usize {
        // Untruncated: the chunker must see a long text's real length to split it.
        match self.model.counter.encode_fast(text, true) {
            Ok(e) => e.get_ids().len(),
            // Over-counting keeps chunks within the model's input.
            Err(_) => text.len(),
        }
    }

    fn name(&self) -> &str {
        "wordpiece:all-MiniLM-L6-v2"
    }
}
