//! Chunk boundaries, overlap, token counts, hashes, the indexing rule, and re-chunking on edit.
use std::sync::Arc;

use server::{
    domain::search::{
        Chunker, MessageRule,
        chunking::{normalize, text_hash},
        process_one_batch,
    },
    integrations::embeddings::{Cl100kCounter, HashingProvider, TokenCounter},
};

use crate::helpers::{TestDb, ingest, ingest_with, message, message_id, strings};

fn sentences(n: usize) -> String {
    (0..n)
        .map(|i| format!("Sentence number {i} talks about shipment {i} and its tracking code."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_long_text_splits_into_token_bounded_overlapping_chunks_on_sentence_boundaries() {
    // Arrange
    // Sentences are ~15 tokens: the overlap (whole sentences, as text-splitter overlaps at the
    // level it splits on) fits one.
    let chunker = Chunker::new(48, 20, MessageRule::default(), Arc::new(Cl100kCounter));
    let text = sentences(30);

    // Act
    let chunks = chunker.chunk(&text);

    // Assert
    assert!(chunks.len() > 5, "{} chunks", chunks.len());
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.index, i);
        assert!(c.tokens <= 48, "chunk {i} has {} tokens", c.tokens);
        assert_eq!(
            c.tokens,
            Cl100kCounter.count(&c.text),
            "content_tokens is exact"
        );
        assert_eq!(c.text_hash, text_hash(&c.text));
        assert_eq!(c.text_hash.len(), 64, "sha256 hex");
        assert!(
            c.text.ends_with('.'),
            "chunk {i} ends mid-sentence: {:?}",
            c.text
        );
    }
    for pair in chunks.windows(2) {
        // The next chunk starts with the tail of this one (the overlap), never more than the
        // overlap budget.
        let (a, b) = (&pair[0].text, &pair[1].text);
        let shared = (1..=a.len().min(b.len()))
            .rev()
            .filter(|&n| a.is_char_boundary(a.len() - n) && b.is_char_boundary(n))
            .find(|&n| a[a.len() - n..] == b[..n])
            .unwrap_or(0);
        assert!(shared > 0, "no overlap between {a:?} and {b:?}");
        assert!(Cl100kCounter.count(&b[..shared]) <= 20);
    }
    for i in 0..30 {
        let sentence = format!("Sentence number {i} talks");
        assert!(
            chunks.iter().any(|c| c.text.contains(&sentence)),
            "sentence {i} lost"
        );
    }
}

#[test]
fn a_short_text_is_one_chunk_and_layout_noise_does_not_change_its_hash() {
    let chunker = Chunker::default();
    let a = chunker.chunk("  My blender   arrived broken.\r\n\r\n\r\nCan I get a refund? ");
    let b = chunker.chunk("My blender arrived broken.\n\nCan I get a refund?");
    assert_eq!(a.len(), 1);
    assert_eq!(a, b);
    assert_eq!(
        a[0].text,
        "My blender arrived broken.\n\nCan I get a refund?"
    );
    assert!(chunker.chunk(" \n\t ").is_empty());
}

#[tokio::test]
async fn an_ingested_message_becomes_pending_chunks_with_evidence() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let m = message(
        &scope,
        1,
        "Hello,  my blender arrived broken. Can I get a refund?",
    );

    // Act
    ingest(&test.db, &scope, std::slice::from_ref(&m)).await;

    // Assert
    let rows = strings(
        &test.db,
        "select chunk_index || '|' || text || '|' || text_hash || '|' || content_tokens || '|' \
                || embedding_status from rag_chunks",
    )
    .await;
    let normalised = normalize(m.content.as_deref().unwrap_or_default());
    assert_eq!(
        rows,
        vec![format!(
            "0|{normalised}|{}|{}|pending",
            text_hash(&normalised),
            Cl100kCounter.count(&normalised)
        )]
    );
    // A single chunk is cited through its message's evidence row.
    let evidence = strings(
        &test.db,
        "select source_kind || ':' || search_text from evidence_items order by source_kind",
    )
    .await;
    assert_eq!(evidence, vec![format!("message:{normalised}")]);
    let chunk_id: uuid::Uuid = strings(&test.db, "select id::text from rag_chunks").await[0]
        .parse()
        .expect("uuid");
    let cited = server::domain::search::index::evidence_for_chunk(&test.db, &scope, chunk_id)
        .await
        .expect("lookup")
        .expect("evidence");
    assert_eq!(
        strings(
            &test.db,
            &format!("select source_kind from evidence_items where id = '{cited}'")
        )
        .await,
        vec!["message"]
    );
    test.drop().await;
}

#[tokio::test]
async fn activity_and_empty_messages_are_not_indexed_and_private_notes_follow_the_rule() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let mut activity = message(&scope, 1, "Conversation was resolved by Alice");
    activity.message_type = Some("activity".to_owned());
    let mut empty = message(&scope, 2, "   ");
    empty.content = Some("   ".to_owned());
    let mut note = message(
        &scope,
        3,
        "Internal: this customer is a VIP, offer a discount",
    );
    note.private = true;
    note.message_type = Some("outgoing".to_owned());

    // Act
    ingest(&test.db, &scope, &[activity, empty, note.clone()]).await;

    // Assert
    let indexed = strings(&test.db, "select message_global_id from rag_chunks").await;
    assert_eq!(indexed, vec![message_id(&scope, 3)]);

    // Act: the same note with private notes excluded is removed from the index.
    let no_notes = Chunker::new(
        256,
        32,
        MessageRule {
            private_notes: false,
            templates: false,
        },
        Arc::new(Cl100kCounter),
    );
    ingest_with(&test.db, &scope, &[note], &no_notes).await;

    // Assert
    assert_eq!(test.scalar("select count(*) from rag_chunks").await, 0);
    assert_eq!(test.scalar("select count(*) from evidence_items").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn an_edit_keeps_unchanged_chunks_requeues_changed_ones_and_removes_vanished_ones() {
    // Arrange: three paragraphs, one chunk each (no overlap, so positions are stable).
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let chunker = Chunker::new(40, 0, MessageRule::default(), Arc::new(Cl100kCounter));
    let p1 = "The first paragraph is about the delivery window for the new office chairs, \
              which the warehouse promised for Tuesday morning before nine.";
    let p2 = "The second paragraph asks whether the invoice can be split across two budgets, \
              one for the sales team and one for the support team.";
    let p3 = "The third paragraph mentions a discount code that expired last Friday, although \
              the newsletter said it would stay valid until the end of the month.";
    let original = message(&scope, 1, &format!("{p1}\n\n{p2}\n\n{p3}"));
    ingest_with(&test.db, &scope, std::slice::from_ref(&original), &chunker).await;
    assert_eq!(test.scalar("select count(*) from rag_chunks").await, 3);
    let provider = HashingProvider::default();
    while !process_one_batch(&test.db, &provider, "w", 10)
        .await
        .expect("batch")
        .is_idle()
    {}
    let before = strings(
        &test.db,
        "select chunk_index || '|' || id || '|' || md5(embedding::text) from rag_chunks \
         order by chunk_index",
    )
    .await;

    // Act: keep p1, change p2, drop p3.
    let mut edited = original.clone();
    edited.content = Some(format!(
        "{p1}\n\n{}",
        p2.replace("two budgets", "three budgets")
    ));
    ingest_with(&test.db, &scope, &[edited], &chunker).await;

    // Assert
    let after = strings(
        &test.db,
        "select chunk_index || '|' || id || '|' || coalesce(md5(embedding::text), 'none') || '|' \
                || embedding_status from rag_chunks order by chunk_index",
    )
    .await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(
        after[0],
        format!("{}|ready", before[0]),
        "unchanged chunk kept"
    );
    let (id1, _) = before[1].rsplit_once('|').expect("row");
    assert_eq!(
        after[1],
        format!("{id1}|none|pending"),
        "changed chunk re-queued"
    );
    assert_eq!(
        test.scalar("select count(*) from evidence_items where source_kind = 'chunk'")
            .await,
        2,
        "the vanished chunk's evidence is gone"
    );
    let third_id = before[2].split('|').nth(1).expect("id");
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from evidence_items where source_id = '{third_id}'"
        ))
        .await,
        0
    );

    // Act: down to one paragraph; the single chunk is cited through the message.
    let mut single = original.clone();
    single.content = Some(p1.to_owned());
    ingest_with(&test.db, &scope, &[single], &chunker).await;

    // Assert
    assert_eq!(test.scalar("select count(*) from rag_chunks").await, 1);
    assert_eq!(
        strings(&test.db, "select source_kind from evidence_items").await,
        vec!["message"]
    );
    test.drop().await;
}

#[tokio::test]
async fn re_applying_the_same_messages_writes_nothing() {
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let messages: Vec<_> = (1..=20)
        .map(|i| message(&scope, i, &format!("Message {i} about order {i}")))
        .collect();
    ingest(&test.db, &scope, &messages).await;
    let stamp = strings(
        &test.db,
        "select max(xmin::text) from (select xmin from rag_chunks union all \
         select xmin from evidence_items) t",
    )
    .await;

    let report = server::domain::search::index::index_messages_with(
        &test.db,
        &scope,
        &messages,
        &Chunker::default(),
    )
    .await
    .expect("index");

    assert_eq!(report.messages_changed, 0);
    let stamp2 = strings(
        &test.db,
        "select max(xmin::text) from (select xmin from rag_chunks union all \
         select xmin from evidence_items) t",
    )
    .await;
    assert_eq!(stamp, stamp2, "no row rewritten");
    test.drop().await;
}

#[tokio::test]
async fn a_chunk_whose_text_was_already_embedded_reuses_the_vector_without_a_provider_call() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("a").await;
    let fake = crate::fake_openai::FakeOpenAi::start(64).await;
    let provider = crate::helpers::openai_provider(&fake, 16);
    ingest(
        &test.db,
        &scope,
        &[message(
            &scope,
            1,
            "Where is my parcel? Tracking says delivered.",
        )],
    )
    .await;
    process_one_batch(&test.db, provider.as_ref(), "w", 10)
        .await
        .expect("batch");
    assert_eq!(fake.calls(), 1);

    // Act: the same text in another message (and the same text twice in one batch).
    ingest(
        &test.db,
        &scope,
        &[
            message(&scope, 2, "Where is my parcel?  Tracking says delivered."),
            message(&scope, 3, "A brand new question about invoices."),
            message(&scope, 4, "A brand new question about invoices."),
        ],
    )
    .await;
    let outcome = process_one_batch(&test.db, provider.as_ref(), "w", 10)
        .await
        .expect("batch");

    // Assert
    assert_eq!(outcome.claimed, 3);
    assert_eq!(outcome.reused, 1, "{outcome:?}");
    assert_eq!(
        outcome.provider_inputs, 1,
        "duplicates in a batch are sent once"
    );
    assert_eq!(outcome.embedded, 2);
    assert_eq!(
        fake.times_embedded("Where is my parcel? Tracking says delivered."),
        1
    );
    assert_eq!(
        fake.times_embedded("A brand new question about invoices."),
        1
    );
    assert_eq!(
        test.scalar(
            "select count(distinct embedding::text) from rag_chunks where text like 'Where%'"
        )
        .await,
        1
    );
    test.drop().await;
}
