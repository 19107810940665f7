//! The built-in offline embedder: deterministic feature hashing, no network, no model files.
//!
//! # Method
//! 1. Text is NFKC-normalised, lower-cased and split into words (runs of letters/digits).
//! 2. Each word is lightly stemmed (a handful of English suffix rules: `refunds` -> `refund`,
//!    `charged` -> `charg`, `charging` -> `charg`, `replies` -> `repli`) so inflections share a
//!    feature. A short English stop-word list is dropped (a stand-in for IDF: without corpus
//!    statistics, "the" would otherwise dominate every vector).
//! 3. Features: each stem (weight 1.0), each pair of consecutive stems (0.5: a little word
//!    order), and the character 3-, 4- and 5-grams of `<word>` with boundary marks (their
//!    weights sum to 1.0 per word occurrence), which match spelling variants, typos and
//!    compounds (`password` ~ `passwords`, `e-mail` ~ `email` partly).
//! 4. Term frequencies are damped (`1 + ln tf`), features are hashed (64-bit FNV-1a) into
//!    [`HashingProvider::dimensions`] buckets with a hash-derived sign (so collisions cancel
//!    on average instead of piling up), and the vector is L2-normalised: cosine similarity is
//!    then a weighted overlap of words and word fragments.
//!
//! # Limits
//! It measures shared vocabulary, not meaning: "money back" and "refund" share nothing and
//! score near zero; synonyms, paraphrases and other languages' words for the same thing are
//! invisible to it. It ranks related text above unrelated text when they share words or word
//! fragments, which is what hybrid search needs from it offline; a real model (the OpenAI
//! provider, or the local model of issue 8) is the answer for search by meaning. Collisions
//! add noise of about `1/sqrt(dimensions)` to unrelated pairs.
use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::integrations::embeddings::{EmbeddingError, EmbeddingProvider};

/// Default width: large enough that collisions stay rare for chat-sized texts.
pub const DEFAULT_DIMENSIONS: usize = 1024;

/// English function words that carry no topic (dropped before hashing).
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does", "for",
    "from", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "just", "me", "my", "no", "not", "of", "on", "or", "our", "she",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "up", "us", "was", "we", "were", "what", "when", "where", "which", "who",
    "will", "with", "would", "you", "your",
];

/// Whether `word` (lower-case) is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Lower-cased words of `text` (letters and digits), after NFKC normalisation.
pub fn words(text: &str) -> Vec<String> {
    let normalised: String = text.nfkc().flat_map(char::to_lowercase).collect();
    normalised
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A few suffix rules; enough for plurals and common verb forms, deliberately not Porter.
pub fn stem(word: &str) -> &str {
    let n = word.chars().count();
    if n <= 3 || !word.is_ascii() {
        return word;
    }
    for (suffix, min_rest) in [
        ("ingly", 3),
        ("edly", 3),
        ("ness", 3),
        ("ment", 3),
        ("ing", 3),
        ("ies", 2),
        ("ied", 2),
        ("es", 3),
        ("ed", 3),
        ("ly", 3),
        ("s", 3),
    ] {
        if let Some(rest) = word.strip_suffix(suffix)
            && rest.len() >= min_rest
            && !(suffix == "s" && rest.ends_with('s'))
        {
            // Stems need not be words: they only have to agree across a word's inflections.
            return rest;
        }
    }
    word
}

fn fnv1a(kind: u8, bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&kind).chain(bytes) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The offline embedder (see the module documentation for the method and its limits).
#[derive(Debug, Clone)]
pub struct HashingProvider {
    dimensions: usize,
    model_id: String,
}

impl Default for HashingProvider {
    fn default() -> Self {
        Self::new(DEFAULT_DIMENSIONS)
    }
}

impl HashingProvider {
    /// An embedder producing `dimensions`-wide vectors (at most the column's 1536).
    pub fn new(dimensions: usize) -> Self {
        let dimensions = dimensions.clamp(16, super::COLUMN_DIMENSIONS);
        Self {
            dimensions,
            // The version names the feature recipe: changing it must re-embed.
            model_id: format!("hashing-v1-{dimensions}"),
        }
    }

    /// The vector of one text (synchronous; microseconds for chat-sized texts).
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let words = words(text);
        let stems: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| !is_stop_word(w))
            .map(stem)
            .collect();
        let mut features: HashMap<u64, f32> = HashMap::with_capacity(stems.len() * 12);
        for (i, s) in stems.iter().enumerate() {
            *features.entry(fnv1a(b'w', s.as_bytes())).or_default() += 1.0;
            if let Some(next) = stems.get(i + 1) {
                let pair = format!("{s} {next}");
                *features.entry(fnv1a(b'b', pair.as_bytes())).or_default() += 0.5;
            }
        }
        for word in &words {
            if is_stop_word(word) {
                continue;
            }
            let marked: Vec<char> = std::iter::once('<')
                .chain(word.chars())
                .chain(std::iter::once('>'))
                .collect();
            let mut grams: Vec<String> = Vec::new();
            for n in 3..=5 {
                if marked.len() < n {
                    continue;
                }
                for window in marked.windows(n) {
                    grams.push(window.iter().collect());
                }
            }
            if grams.is_empty() {
                continue;
            }
            // A word's fragments share one unit of weight: long words do not drown short ones.
            let weight = 1.0 / grams.len() as f32;
            for gram in grams {
                *features.entry(fnv1a(b'c', gram.as_bytes())).or_default() += weight;
            }
        }
        let mut vector = vec![0.0f32; self.dimensions];
        for (hash, tf) in features {
            let value = if tf > 1.0 { 1.0 + tf.ln() } else { tf };
            let bucket = (hash % self.dimensions as u64) as usize;
            let sign = if (hash >> 63) == 0 { 1.0 } else { -1.0 };
            vector[bucket] += sign * value;
        }
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for v in &mut vector {
                *v /= norm;
            }
        }
        vector
    }
}

#[async_trait::async_trait]
impl EmbeddingProvider for HashingProvider {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn max_batch_inputs(&self) -> usize {
        // Local and cheap: the worker's batch size is the only limit that matters.
        4_096
    }

    fn max_input_tokens(&self) -> usize {
        8_192
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
    }

    #[test]
    fn related_text_ranks_above_unrelated_text() {
        let p = HashingProvider::default();
        let q = p.embed_one("refund for the broken blender");
        let related = p.embed_one("Customer asks for a refund: the blender arrived broken.");
        let unrelated = p.embed_one("Can we move the onboarding call to Thursday afternoon?");
        assert!(cosine(&q, &related) > cosine(&q, &unrelated) + 0.2);
        let norm = cosine(&related, &related);
        assert!((norm - 1.0).abs() < 1e-4);
    }

    #[test]
    fn the_same_text_gives_the_same_vector() {
        let p = HashingProvider::default();
        assert_eq!(p.embed_one("Invoices"), p.embed_one("invoices"));
        assert_eq!(stem("refunds"), "refund");
        assert_eq!(stem("charging"), stem("charged"));
    }
}
