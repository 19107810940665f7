//! Token counting in the tokenizer a provider's limits are expressed in. OpenAI's embedding
//! models (and the hashing embedder, which has no tokenizer of its own) count in
//! `cl100k_base`; a local model (issue 8) brings its own counter through
//! [`super::EmbeddingProvider::token_counter`].
use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

/// Counts tokens; shared between the chunker and the request batcher.
pub trait TokenCounter: Send + Sync {
    /// Tokens in `text`.
    fn count(&self, text: &str) -> usize;

    /// Name of the tokenizer (recorded with chunks so a tokenizer change re-chunks).
    fn name(&self) -> &str;
}

/// The `cl100k_base` BPE (tiktoken), built once per process from the data compiled into
/// `tiktoken-rs` (no download).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cl100kCounter;

fn cl100k() -> Option<&'static CoreBPE> {
    static BPE: OnceLock<Option<CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::cl100k_base().ok()).as_ref()
}

impl Cl100kCounter {
    /// The underlying BPE, for text-splitter's sizer.
    pub fn bpe() -> Option<&'static CoreBPE> {
        cl100k()
    }
}

impl TokenCounter for Cl100kCounter {
    fn count(&self, text: &str) -> usize {
        match cl100k() {
            Some(bpe) => bpe.encode_ordinary(text).len(),
            // The vocabulary is compiled in, so this cannot happen; if it ever did, ~4 bytes a
            // token is the usual English average and over-counting keeps requests in limits.
            None => text.len().div_ceil(3),
        }
    }

    fn name(&self) -> &str {
        "cl100k_base"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cl100k_counts_like_tiktoken() {
        // "hello world" is two tokens in cl100k_base.
        assert_eq!(Cl100kCounter.count("hello world"), 2);
        assert_eq!(Cl100kCounter.count(""), 0);
    }
}
