//! Integration tests of the RAG pipeline (issue 5) against a real PostgreSQL with pgvector (a
//! fresh database per test) and a fake OpenAI-compatible embeddings server on loopback:
//! chunking and re-chunking, the provider's limits and retries, the leased embed worker, and
//! hybrid search with tenant isolation. Workers are driven batch by batch
//! (`process_one_batch`); no test sleeps to wait for one.
// Shared with examples/rag_bench.rs, which uses the parts these tests do not.
mod helpers;

// The fake embeddings server lives in the test-support crate; tests name it from the root.
use testkit::fake_openai;

mod chunking;
mod local_model;
mod provider;
mod search;
mod worker;
