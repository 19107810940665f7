//! Message text -> chunks: normalisation, the indexing rule, token-counted splitting with
//! overlap (text-splitter, counted by the provider's tokenizer) and the `text_hash` that keys
//! embedding reuse.
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};
use unicode_normalization::UnicodeNormalization;

use crate::{
    config::Config,
    integrations::embeddings::{Cl100kCounter, EmbeddingProvider, TokenCounter},
};

/// Which messages are chunked and searchable.
///
/// Incoming and outgoing messages (and messages without a type) are indexed; private notes are
/// indexed unless `private_notes` is off (they are the team's own context on a conversation,
/// visible to the same project members who can search); `activity` messages ("Conversation was
/// resolved by ...") are system noise and never indexed; `template` messages are canned text
/// repeated across conversations and only indexed with `templates` on. Messages with no text
/// (attachments only) have nothing to index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRule {
    /// Index private notes (`REVINTEL_RAG_INDEX_PRIVATE_NOTES`, default on).
    pub private_notes: bool,
    /// Index `template` messages (default off).
    pub templates: bool,
}

impl Default for MessageRule {
    fn default() -> Self {
        Self {
            private_notes: true,
            templates: false,
        }
    }
}

impl MessageRule {
    /// Whether a message of this type and privacy is indexed.
    pub fn indexes(&self, message_type: Option<&str>, private: bool) -> bool {
        if private && !self.private_notes {
            return false;
        }
        match message_type {
            None | Some("incoming") | Some("outgoing") => true,
            Some("template") => self.templates,
            // activity and anything unknown: not conversation text.
            Some(_) => false,
        }
    }
}

/// One chunk of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDraft {
    /// Position within the message, from 0.
    pub index: usize,
    /// The chunk's (normalised) text.
    pub text: String,
    /// sha256 hex of `text`.
    pub text_hash: String,
    /// Tokens in `text`.
    pub tokens: usize,
}

/// How messages are cut into chunks.
#[derive(Clone)]
pub struct Chunker {
    /// Target (and maximum) tokens per chunk.
    pub max_tokens: usize,
    /// Tokens repeated at the start of the next chunk.
    pub overlap: usize,
    /// The indexing rule.
    pub rule: MessageRule,
    /// The tokenizer chunks are counted in.
    pub counter: Arc<dyn TokenCounter>,
}

impl std::fmt::Debug for Chunker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunker")
            .field("max_tokens", &self.max_tokens)
            .field("overlap", &self.overlap)
            .field("rule", &self.rule)
            .field("tokenizer", &self.counter.name())
            .finish()
    }
}

impl Default for Chunker {
    fn default() -> Self {
        Self::new(256, 32, MessageRule::default(), Arc::new(Cl100kCounter))
    }
}

/// text-splitter's view of our token counter.
struct Sizer(Arc<dyn TokenCounter>);

impl ChunkSizer for Sizer {
    fn size(&self, chunk: &str) -> usize {
        self.0.count(chunk)
    }
}

static CONFIGURED: OnceLock<Chunker> = OnceLock::new();

impl Chunker {
    /// A chunker; `overlap` is kept below half a chunk so every chunk advances.
    pub fn new(
        max_tokens: usize,
        overlap: usize,
        rule: MessageRule,
        counter: Arc<dyn TokenCounter>,
    ) -> Self {
        let max_tokens = max_tokens.max(8);
        Self {
            max_tokens,
            overlap: overlap.min(max_tokens / 2),
            rule,
            counter,
        }
    }

    /// The chunker the configuration and provider describe: chunks fit the model's input.
    pub fn from_config(config: &Config, provider: &dyn EmbeddingProvider) -> Self {
        Self::new(
            config.rag_chunk_tokens.min(provider.max_input_tokens()),
            config.rag_chunk_overlap,
            MessageRule {
                private_notes: config.rag_index_private_notes,
                templates: false,
            },
            provider.token_counter(),
        )
    }

    /// Makes `self` the chunker ingestion uses in this process (first call wins: set once at
    /// start-up, before ingestion runs). Until then, and in tests, [`Chunker::default`] is used.
    pub fn install(self) -> bool {
        CONFIGURED.set(self).is_ok()
    }

    /// The process's chunker (see [`Chunker::install`]).
    pub fn current() -> &'static Chunker {
        CONFIGURED.get_or_init(Chunker::default)
    }

    /// Identifies everything that changes the chunks of a text: stored with each message's
    /// evidence so a settings change re-chunks on the next write (and `reindex_project`).
    pub fn signature(&self) -> String {
        format!(
            "v1:{}:{}:{}:{}{}",
            self.counter.name(),
            self.max_tokens,
            self.overlap,
            u8::from(self.rule.private_notes),
            u8::from(self.rule.templates)
        )
    }

    /// The chunks of `text` (empty when it has no words).
    pub fn chunk(&self, text: &str) -> Vec<ChunkDraft> {
        let normalised = normalize(text);
        if normalised.is_empty() {
            return Vec::new();
        }
        let whole = self.counter.count(&normalised);
        let pieces: Vec<String> = if whole <= self.max_tokens {
            // Most chat messages: one chunk, no splitter pass.
            vec![normalised]
        } else {
            let config = ChunkConfig::new(self.max_tokens)
                .with_sizer(Sizer(self.counter.clone()))
                .with_trim(true);
            // with_overlap only fails when overlap >= capacity, which new() rules out.
            let config = match config.with_overlap(self.overlap) {
                Ok(c) => c,
                Err(_) => ChunkConfig::new(self.max_tokens)
                    .with_sizer(Sizer(self.counter.clone()))
                    .with_trim(true),
            };
            TextSplitter::new(config)
                .chunks(&normalised)
                .map(normalize)
                .filter(|c| !c.is_empty())
                .collect()
        };
        pieces
            .into_iter()
            .enumerate()
            .map(|(index, text)| ChunkDraft {
                index,
                tokens: self.counter.count(&text),
                text_hash: text_hash(&text),
                text,
            })
            .collect()
    }
}

/// NFC, `\r\n` -> `\n`, runs of spaces/tabs -> one space, lines trimmed, at most one blank line
/// in a row, trimmed. Two texts that read the same hash the same.
pub fn normalize(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    let mut blank_run = 0;
    for line in nfc.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&words.join(" "));
    }
    out
}

/// sha256 hex of an already-normalised text.
pub fn text_hash(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_layout_noise() {
        assert_eq!(
            normalize("  Hello \t world \r\n\r\n\r\n next  "),
            "Hello world\n\nnext"
        );
        assert_eq!(normalize(" \n\t "), "");
        assert_eq!(
            text_hash(&normalize("a  b")),
            text_hash(&normalize("a b\n"))
        );
    }

    #[test]
    fn the_rule_skips_activity_and_templates_and_optionally_notes() {
        let rule = MessageRule::default();
        assert!(rule.indexes(Some("incoming"), false));
        assert!(rule.indexes(Some("outgoing"), true));
        assert!(!rule.indexes(Some("activity"), false));
        assert!(!rule.indexes(Some("template"), false));
        let no_notes = MessageRule {
            private_notes: false,
            ..rule
        };
        assert!(!no_notes.indexes(Some("outgoing"), true));
    }
}
