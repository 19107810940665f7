//! Hybrid search: tenant isolation, full results for a small tenant in a big table, filters,
//! snippets, and hybrid vs vector-only quality on a labelled set shipped here.
use std::collections::HashSet;

use chrono::{Duration as ChronoDuration, Utc};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use server::{
    domain::search::{
        SearchFilter,
        maintenance::maybe_rebuild_ivfflat,
        process_one_batch,
        query::{SearchMode, SearchOptions, VectorPath, search_with},
    },
    integrations::embeddings::{EmbeddingError, EmbeddingProvider, HashingProvider},
    kernel::{DomainError, Scope},
};

use crate::helpers::{
    TestDb, contact_id, conversation_id, exec, ingest, message, message_id, strings,
};

async fn embed_all(test: &TestDb, provider: &dyn EmbeddingProvider) {
    while !process_one_batch(&test.db, provider, "w", 200)
        .await
        .expect("batch")
        .is_idle()
    {}
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_chunks() {
    // Arrange
    let test = TestDb::new().await;
    let a = test.project("a").await;
    let b = test.project("b").await;
    let provider = HashingProvider::default();
    ingest(
        &test.db,
        &a,
        &[
            message(&a, 1, "Invoice 1001 for Acme is overdue"),
            message(&a, 2, "Acme secret pricing: 40 percent discount"),
        ],
    )
    .await;
    ingest(
        &test.db,
        &b,
        &[
            message(&b, 1, "Invoice 2002 for Globex was paid"),
            message(&b, 2, "Globex wants a demo next week"),
        ],
    )
    .await;
    embed_all(&test, &provider).await;

    for (scope, other) in [(&a, &b), (&b, &a)] {
        for query in ["invoice", "Acme secret pricing discount", "Globex demo"] {
            // Act
            let outcome = search_with(
                &test.db,
                scope,
                &provider,
                query,
                10,
                &SearchFilter::default(),
                &SearchOptions::default(),
            )
            .await
            .expect("search");

            // Assert
            let foreign = format!("cwmsg:{}:", other.project_id());
            assert!(!outcome.hits.is_empty());
            assert!(
                outcome.hits.iter().all(|h| {
                    h.message_global_id
                        .as_deref()
                        .is_some_and(|m| !m.starts_with(&foreign))
                }),
                "{query}: {:?}",
                outcome.hits
            );
        }
    }
    test.drop().await;
}

/// Returns one fixed direction for every text (the query of the big-table test).
struct FixedProvider;

#[async_trait::async_trait]
impl EmbeddingProvider for FixedProvider {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(texts
            .iter()
            .map(|_| {
                let mut v = vec![0.0; 1536];
                v[0] = 1.0;
                v
            })
            .collect())
    }
    fn model_id(&self) -> &str {
        "fixed-test-model"
    }
    fn dimensions(&self) -> usize {
        1536
    }
    fn max_batch_inputs(&self) -> usize {
        16
    }
    fn max_input_tokens(&self) -> usize {
        512
    }
}

async fn chunk_ids(test: &TestDb, scope: &Scope) -> HashSet<String> {
    strings(
        &test.db,
        &format!(
            "select id::text from rag_chunks where project_id = '{}'",
            scope.project_id()
        ),
    )
    .await
    .into_iter()
    .collect()
}

/// The HNSW index is dropped here: building it over 50k 1536-d vectors takes ~90 s on two
/// cores, too slow for a test. The ivfflat index shows the same post-filter shortfall (and is
/// rebuilt for the data by `maybe_rebuild_ivfflat`); the HNSW path is measured at 100k rows by
/// `examples/rag_bench.rs`.
#[tokio::test]
async fn a_small_tenant_inside_50k_chunks_of_others_still_gets_k_results() {
    // Arrange
    let test = TestDb::new().await;
    let big = test.project("big").await;
    let small = test.project("small").await;
    test.db
        .execute_unprepared("drop index rag_chunks_embedding_hnsw_idx")
        .await
        .expect("drop hnsw");
    // Big tenant: 50k vectors all close to the query direction e0.
    exec(
        &test.db,
        "insert into rag_chunks (project_id, account_scope_id, text, text_hash, content_tokens, \
           embedding, embedding_model, embedding_status) \
         select $1, $2, 'filler chunk ' || i || ' about pallets and freight', md5(i::text), 8, \
           ('[1,' || array_to_string(array(select round((random() * 0.5)::numeric, 4) \
                                           from generate_series(1, 16) where i > 0), ',') \
            || repeat(',0', 1519) || ']')::vector, 'fixed-test-model', 'ready' \
         from generate_series(1, 50000) i",
        [big.project_id().into(), big.account_scope_id().into()],
    )
    .await;
    // Small tenant: 30 vectors far from e0 (mostly along e99).
    exec(
        &test.db,
        "insert into rag_chunks (project_id, account_scope_id, text, text_hash, content_tokens, \
           embedding, embedding_model, embedding_status) \
         select $1, $2, 'small tenant note ' || i, md5('s' || i), 4, \
           ('[0.2,' || repeat('0,', 98) || '1,' \
            || array_to_string(array(select round((random() * 0.3)::numeric, 4) \
                                     from generate_series(1, 8) where i > 0), ',') \
            || repeat(',0', 1428) || ']')::vector, 'fixed-test-model', 'ready' \
         from generate_series(1, 30) i",
        [small.project_id().into(), small.account_scope_id().into()],
    )
    .await;
    let rebuilt = maybe_rebuild_ivfflat(&test.db)
        .await
        .expect("rebuild")
        .expect("the migration's empty-table build is replaced");
    assert_eq!((rebuilt.rows, rebuilt.lists), (50_030, 50));
    assert!(
        maybe_rebuild_ivfflat(&test.db)
            .await
            .expect("check")
            .is_none()
    );
    test.db
        .execute_unprepared("analyze rag_chunks")
        .await
        .expect("analyze");
    let small_ids = chunk_ids(&test, &small).await;
    let big_ids = chunk_ids(&test, &big).await;

    // The problem: a plain filtered index scan (the filter written so no btree applies, as a
    // planner would for a large tenant) comes back short.
    let txn = test.db.begin().await.expect("begin");
    // As for a large tenant, where a full scan is out of the question.
    txn.execute_unprepared("set local ivfflat.probes = 10; set local enable_seqscan = off")
        .await
        .expect("settings");
    let query = format!("[1{}]", ",0".repeat(1535));
    let plan = txn
        .query_all_raw(Statement::from_string(
            txn.get_database_backend(),
            format!(
                "explain select id from rag_chunks where project_id::text = '{}' \
                 order by embedding <=> '{query}' limit 10",
                small.project_id()
            ),
        ))
        .await
        .expect("explain")
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("rag_chunks_embedding_ivfflat_idx"), "{plan}");
    let naive = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            format!(
                "select count(*) from (select id from rag_chunks \
                 where project_id::text = '{}' order by embedding <=> '{query}' limit 10) t",
                small.project_id()
            ),
        ))
        .await
        .expect("naive")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("count");
    txn.commit().await.expect("commit");
    eprintln!("plain filtered ivfflat scan for the 30-chunk tenant: {naive} of 10 rows");
    assert!(naive < 10, "the naive filtered scan found {naive}");

    for (scope, ids, expected_path) in [
        (&small, &small_ids, VectorPath::Exact),
        (&big, &big_ids, VectorPath::Index),
    ] {
        // Act
        let outcome = search_with(
            &test.db,
            scope,
            &FixedProvider,
            "anything",
            10,
            &SearchFilter::default(),
            &SearchOptions {
                mode: SearchMode::VectorOnly,
                ..SearchOptions::default()
            },
        )
        .await
        .expect("search");

        // Assert
        assert_eq!(outcome.path, expected_path);
        assert_eq!(outcome.hits.len(), 10, "{:?}", outcome.path);
        assert!(
            outcome
                .hits
                .iter()
                .all(|h| ids.contains(&h.chunk_id.to_string()))
        );
    }

    // The index path for the small tenant (iterative scan, exact fallback) is not short either.
    let forced = search_with(
        &test.db,
        &small,
        &FixedProvider,
        "anything",
        10,
        &SearchFilter::default(),
        &SearchOptions {
            mode: SearchMode::VectorOnly,
            force_path: Some(VectorPath::Index),
            ..SearchOptions::default()
        },
    )
    .await
    .expect("search");
    assert_eq!(forced.hits.len(), 10, "{:?}", forced.path);
    assert!(
        forced
            .hits
            .iter()
            .all(|h| small_ids.contains(&h.chunk_id.to_string()))
    );
    test.drop().await;
}

#[tokio::test]
async fn filters_narrow_results_and_snippets_highlight_the_query_words() {
    // Arrange: conversations 1..=3 (inbox = id % 3 + 1), contact = conversation.
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let provider = HashingProvider::default();
    let now = Utc::now();
    let mut messages = Vec::new();
    for i in 1..=9_i64 {
        let conv = (i - 1) % 3 + 1;
        let mut m = message(
            &scope,
            i,
            &format!(
                "Order {i}: the blender arrived with a cracked jar, conversation {conv}, \
                 please advise on a replacement or a refund."
            ),
        );
        m.conversation_global_id = Some(conversation_id(&scope, conv));
        m.contact_global_id = Some(contact_id(&scope, conv));
        m.created_at = Some(now - ChronoDuration::days(i));
        messages.push(m);
    }
    ingest(&test.db, &scope, &messages).await;
    embed_all(&test, &provider).await;
    let run = |filter: SearchFilter| {
        let db = test.db.clone();
        let provider = provider.clone();
        async move {
            search_with(
                &db,
                &scope,
                &provider,
                "cracked blender",
                20,
                &filter,
                &SearchOptions::default(),
            )
            .await
            .expect("search")
            .hits
        }
    };

    // Act + Assert
    let all = run(SearchFilter::default()).await;
    assert_eq!(all.len(), 9);
    let snippet = &all[0].snippet;
    assert!(
        snippet
            .iter()
            .any(|p| p.highlight && p.text.eq_ignore_ascii_case("blender")),
        "{snippet:?}"
    );
    assert!(all[0].vector_rank.is_some() && all[0].text_rank.is_some());

    let conv2 = run(SearchFilter {
        conversation: Some(conversation_id(&scope, 2)),
        ..SearchFilter::default()
    })
    .await;
    assert_eq!(conv2.len(), 3);
    assert!(
        conv2
            .iter()
            .all(|h| h.conversation_global_id == Some(conversation_id(&scope, 2)))
    );

    let contact3 = run(SearchFilter {
        contact: Some(contact_id(&scope, 3)),
        ..SearchFilter::default()
    })
    .await;
    assert_eq!(contact3.len(), 3);
    assert!(
        contact3
            .iter()
            .all(|h| h.contact_global_id == Some(contact_id(&scope, 3)))
    );

    // Inbox 2 = conversation 1 (1 % 3 + 1).
    let inbox = run(SearchFilter {
        inbox: Some(2),
        ..SearchFilter::default()
    })
    .await;
    assert_eq!(inbox.len(), 3);
    assert!(
        inbox
            .iter()
            .all(|h| h.conversation_global_id == Some(conversation_id(&scope, 1)))
    );

    // Messages 2..=4 days old.
    let window = run(SearchFilter {
        from: Some(now - ChronoDuration::days(4) - ChronoDuration::hours(1)),
        to: Some(now - ChronoDuration::days(2) + ChronoDuration::hours(1)),
        ..SearchFilter::default()
    })
    .await;
    let mut got: Vec<String> = window
        .iter()
        .filter_map(|h| h.message_global_id.clone())
        .collect();
    got.sort();
    let mut want: Vec<String> = (2..=4).map(|i| message_id(&scope, i)).collect();
    want.sort();
    assert_eq!(got, want);

    let empty = search_with(
        &test.db,
        &scope,
        &provider,
        "   ",
        10,
        &SearchFilter::default(),
        &SearchOptions::default(),
    )
    .await;
    assert!(matches!(empty, Err(DomainError::Validation(_))));
    test.drop().await;
}

/// The labelled set: support messages of a small business, and queries with the messages that
/// answer them. It mixes topical queries with the lexical precision people expect from search
/// (order numbers, discount codes, words that share letters with other words).
const CORPUS: &[(i64, &str)] = &[
    (
        1,
        "Hi, my invoice for March shows the wrong VAT number, our company moved to Berlin last year and the tax office needs the new one on every document we file.",
    ),
    (
        2,
        "Could you resend the invoice as a PDF? The attachment in your last email was empty and our accountant is waiting for it before the end of the quarter.",
    ),
    (3, "Voice quality was bad"),
    (4, "Voice call or video?"),
    (
        5,
        "I was charged twice for the same order. My bank statement shows two payments of 89 euros on the 4th, please check and send the money back for the duplicate.",
    ),
    (6, "Charger stopped working"),
    (7, "Charger cable frayed"),
    (
        8,
        "I would like a refund for the blender, it broke after a week of normal use and the motor smells burnt every time we switch it on.",
    ),
    (9, "Fund transfer done?"),
    (10, "Pension fund quote"),
    (
        11,
        "I cannot sign in to the portal: the password reset email never arrives, I checked spam and tried two different browsers on my laptop this morning.",
    ),
    (12, "Logistics partner update"),
    (
        13,
        "After yesterday's update the login page only shows an error 500 for everyone in our team, we cannot reach the dashboard at all since then.",
    ),
    (
        14,
        "Please cancel my subscription at the end of this month, we are closing the shop and will not need the service anymore, thanks for everything.",
    ),
    (15, "Subscribers got it twice"),
    (
        16,
        "Order A-10492 still has not arrived, the tracking page has not moved for six days and the customer who ordered it is asking me every morning.",
    ),
    (17, "Order A-10493 ok"),
    (18, "Order A-10429 refunded"),
    (19, "Order A-10942 shipped"),
    (
        20,
        "The discount code SPRING20 is rejected at checkout with a message saying it expired, but your newsletter from Monday says it is valid until the end of May.",
    ),
    (21, "SPRING21 code works"),
    (22, "SPRING2 banner typo"),
    (
        23,
        "The parcel with our new office chairs arrived with a damaged box and one chair has a broken armrest, photos attached, what are the next steps for a replacement?",
    ),
    (24, "Box sizes for chairs?"),
    (
        25,
        "How do I export my contacts to a spreadsheet? I need the phone numbers and the tags for a mailing our marketing agency is preparing next week.",
    ),
    (26, "Export button greyed out"),
    (27, "Contacts import failed"),
    (
        28,
        "The renewal price went up by 30 percent without any notice, we have been customers for four years, is there anything you can do about it?",
    ),
    (29, "Price list for new customers"),
    (
        30,
        "Can we move the onboarding call to Thursday afternoon? Our operations lead is travelling on Wednesday and would like to join the session.",
    ),
];

/// Queries and the messages that answer them.
const LABELS: &[(&str, &[i64])] = &[
    ("invoice", &[1, 2]),
    ("charged twice", &[5]),
    ("refund", &[8]),
    ("login error", &[13]),
    ("password reset email", &[11]),
    ("cancel subscription", &[14]),
    ("A-10492", &[16]),
    ("SPRING20", &[20]),
    ("damaged box", &[23]),
    ("export contacts", &[25]),
    ("renewal price", &[28]),
    ("onboarding call", &[30]),
];

#[tokio::test]
async fn hybrid_search_beats_vector_only_on_the_labelled_set() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let provider = HashingProvider::default();
    let messages: Vec<_> = CORPUS
        .iter()
        .map(|(id, text)| message(&scope, *id, text))
        .collect();
    ingest(&test.db, &scope, &messages).await;
    embed_all(&test, &provider).await;

    // Act
    let mut scores = Vec::new();
    for mode in [
        SearchMode::VectorOnly,
        SearchMode::TextOnly,
        SearchMode::Hybrid,
    ] {
        let (mut mrr, mut recall5) = (0.0, 0.0);
        for (query, relevant) in LABELS {
            let hits = search_with(
                &test.db,
                &scope,
                &provider,
                query,
                10,
                &SearchFilter::default(),
                &SearchOptions {
                    mode,
                    ..SearchOptions::default()
                },
            )
            .await
            .expect("search")
            .hits;
            let relevant: HashSet<String> =
                relevant.iter().map(|i| message_id(&scope, *i)).collect();
            let ranked: Vec<String> = hits
                .iter()
                .filter_map(|h| h.message_global_id.clone())
                .collect();
            if let Some(pos) = ranked.iter().position(|m| relevant.contains(m)) {
                mrr += 1.0 / (pos + 1) as f64;
            }
            let found = ranked
                .iter()
                .take(5)
                .filter(|m| relevant.contains(*m))
                .count();
            recall5 += found as f64 / relevant.len() as f64;
        }
        let n = LABELS.len() as f64;
        scores.push((mode, mrr / n, recall5 / n));
    }

    // Assert
    eprintln!("labelled set ({} queries): {scores:?}", LABELS.len());
    let (_, vector_mrr, vector_recall) = scores[0];
    let (_, hybrid_mrr, hybrid_recall) = scores[2];
    assert!(
        hybrid_mrr > vector_mrr,
        "hybrid MRR {hybrid_mrr:.3} vs vector-only {vector_mrr:.3}"
    );
    assert!(hybrid_recall >= vector_recall);
    test.drop().await;
}
