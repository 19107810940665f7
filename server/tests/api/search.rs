//! Search and the embedding status through GraphQL, as a project member would use them.
use serde_json::json;

use testkit::app::{As, spawn_app};

const SEARCH: &str = "query($q: String!, $first: Int, $f: SearchFilter) { \
    search(query: $q, first: $first, filter: $f) { vectorPath notice hits { chunkId text score \
      snippet { text highlight } message { id content } conversation { id status } \
      contact { id name } } } }";

#[tokio::test]
async fn search_returns_chunks_with_their_message_conversation_contact_and_highlights() {
    // Arrange
    let app = spawn_app().await;
    let (alice, project_id) = app.user_with_project("alice", "Alpha").await;
    let mirror = app.seed_mirror(&project_id, 7, "parcel").await;

    // Act
    let response = app
        .gql(
            As::Session(&alice),
            SEARCH,
            json!({ "q": "parcel message 101", "first": 5 }),
        )
        .await;

    // Assert
    assert!(response["errors"].is_null(), "{response}");
    let results = &response["data"]["search"];
    assert_eq!(results["vectorPath"], "EXACT");
    assert!(results["notice"].is_null());
    let hits = results["hits"].as_array().expect("hits");
    assert!(!hits.is_empty() && hits.len() <= 5, "{hits:?}");
    let top = &hits[0];
    assert_eq!(top["message"]["id"], mirror.message.as_str());
    assert_eq!(top["conversation"]["id"], mirror.open_conversation.as_str());
    assert_eq!(top["contact"]["id"], mirror.contact.as_str());
    assert_eq!(top["contact"]["name"], "parcel Customer");
    let highlighted: Vec<&str> = top["snippet"]
        .as_array()
        .expect("snippet")
        .iter()
        .filter(|s| s["highlight"] == true)
        .filter_map(|s| s["text"].as_str())
        .collect();
    assert!(
        highlighted.iter().any(|t| t.eq_ignore_ascii_case("parcel")),
        "{top}"
    );
}

#[tokio::test]
async fn search_filters_narrow_results_to_one_conversation() {
    // Arrange: two conversations with text in the same project.
    let app = spawn_app().await;
    let (alice, project_id) = app.user_with_project("alice", "Alpha").await;
    let mirror = app.seed_mirror(&project_id, 7, "invoice").await;

    // Act
    let other = app
        .gql(
            As::Session(&alice),
            SEARCH,
            json!({ "q": "invoice", "f": { "conversation": mirror.resolved_conversation } }),
        )
        .await;
    let same = app
        .gql(
            As::Session(&alice),
            SEARCH,
            json!({ "q": "invoice", "f": { "conversation": mirror.open_conversation, "inbox": 1 } }),
        )
        .await;

    // Assert: the resolved conversation has no messages; the open one has them all.
    assert_eq!(other["data"]["search"]["hits"], json!([]), "{other}");
    let hits = same["data"]["search"]["hits"].as_array().expect("hits");
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h["conversation"]["id"] == mirror.open_conversation.as_str())
    );
}

#[tokio::test]
async fn bad_search_input_is_a_validation_error() {
    // Arrange
    let app = spawn_app().await;
    let (alice, _) = app.user_with_project("alice", "Alpha").await;
    let cases = [
        json!({ "q": "   " }),
        json!({ "q": "x", "first": 0 }),
        json!({ "q": "x", "first": 51 }),
        json!({ "q": "x", "f": { "conversation": "cwmsg:nope" } }),
        json!({ "q": "x", "f": { "contact": "cw:nope" } }),
        json!({ "q": "x", "f": { "inbox": -1 } }),
        json!({ "q": "x", "f": { "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" } }),
    ];

    for variables in cases {
        // Act
        let response = app
            .gql(As::Session(&alice), SEARCH, variables.clone())
            .await;

        // Assert
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "VALIDATION",
            "{variables}: {response}"
        );
        assert!(response["data"].is_null() || response["data"]["search"].is_null());
    }
}

#[tokio::test]
async fn the_status_panel_counts_chunks_lists_failures_and_retry_requeues_them() {
    // Arrange: the mirror seeds three chunks, one of them failed.
    let app = spawn_app().await;
    let (alice, project_id) = app.user_with_project("alice", "Alpha").await;
    app.seed_mirror(&project_id, 7, "refund").await;
    let status_query = "{ embeddingStatus { model total ready failed pending progress \
        indexingBacklog failedChunks { id messageId textPreview attempts error } } }";

    // Act
    let before = app.gql(As::Session(&alice), status_query, json!({})).await;
    let retried = app
        .gql(
            As::Session(&alice),
            "mutation { retryFailedChunks { requeued } }",
            json!({}),
        )
        .await;
    let after = app.gql(As::Session(&alice), status_query, json!({})).await;

    // Assert
    let status = &before["data"]["embeddingStatus"];
    assert_eq!(status["total"], 3, "{before}");
    assert_eq!(status["ready"], 2);
    assert_eq!(status["failed"], 1);
    assert_eq!(status["indexingBacklog"], 0);
    let failed = status["failedChunks"].as_array().expect("failed chunks");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["error"], "refund provider refused");
    assert_eq!(failed[0]["attempts"], 5);
    assert_eq!(
        retried["data"]["retryFailedChunks"]["requeued"], 1,
        "{retried}"
    );
    let status = &after["data"]["embeddingStatus"];
    assert_eq!(status["failed"], 0);
    assert_eq!(status["pending"], 1);
    assert_eq!(status["failedChunks"], json!([]));
}

#[tokio::test]
async fn retry_without_the_csrf_token_is_refused_and_requeues_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (alice, project_id) = app.user_with_project("alice", "Alpha").await;
    app.seed_mirror(&project_id, 7, "refund").await;

    // Act
    let response = app
        .gql(
            As::SessionWithoutCsrf(&alice),
            "mutation { retryFailedChunks { requeued } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(
        app.count("select count(*) from rag_chunks where embedding_status = 'failed'")
            .await,
        1
    );
}
