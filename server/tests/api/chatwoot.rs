use serde_json::json;

use testkit::app::{As, spawn_app};

const CONVERSATIONS: &str = "query($f: ConversationFilter, $first: Int) { conversations(filter: $f, first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status labels contact { id name } } } } }";

#[tokio::test]
async fn conversations_list_newest_activity_first_with_their_contact() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("erin", "Erin project").await;
    let ids = app.seed_mirror(&project, 501, "erin").await;

    // Act
    let body = app
        .gql(As::Session(&session), CONVERSATIONS, json!({}))
        .await;

    // Assert
    let edges = body["data"]["conversations"]["edges"].as_array().unwrap();
    assert_eq!(body["data"]["conversations"]["totalCount"], 2, "{body}");
    assert_eq!(edges[0]["node"]["id"], ids.open_conversation.as_str());
    assert_eq!(edges[1]["node"]["id"], ids.resolved_conversation.as_str());
    assert_eq!(edges[0]["node"]["contact"]["name"], "erin Customer");
    assert_eq!(edges[0]["node"]["labels"][0], "erin-label");
}

#[tokio::test]
async fn conversations_filter_by_status_and_reject_unknown_statuses() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("fred", "Fred project").await;
    let ids = app.seed_mirror(&project, 502, "fred").await;

    // Act
    let resolved = app
        .gql(
            As::Session(&session),
            CONVERSATIONS,
            json!({ "f": { "status": "resolved" } }),
        )
        .await;
    let bogus = app
        .gql(
            As::Session(&session),
            CONVERSATIONS,
            json!({ "f": { "status": "deleted" } }),
        )
        .await;

    // Assert
    assert_eq!(resolved["data"]["conversations"]["totalCount"], 1);
    assert_eq!(
        resolved["data"]["conversations"]["edges"][0]["node"]["id"],
        ids.resolved_conversation.as_str()
    );
    assert_eq!(bogus["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn a_conversation_thread_lists_messages_oldest_first_including_private_notes() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("gina", "Gina project").await;
    let ids = app.seed_mirror(&project, 503, "gina").await;

    // Act
    let body = app
        .gql(
            As::Session(&session),
            "query($id: ID!) { conversation(id: $id) { id messages(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id content private messageType senderName } } } } }",
            json!({ "id": ids.open_conversation }),
        )
        .await;
    let messages = &body["data"]["conversation"]["messages"];
    let next = app
        .gql(
            As::Session(&session),
            "query($id: ID!, $after: String) { conversation(id: $id) { messages(first: 2, after: $after) { edges { node { content private } } } } }",
            json!({ "id": ids.open_conversation, "after": messages["pageInfo"]["endCursor"] }),
        )
        .await;

    // Assert
    assert_eq!(messages["totalCount"], 3, "{body}");
    assert_eq!(messages["edges"][0]["node"]["id"], ids.message.as_str());
    assert_eq!(messages["edges"][0]["node"]["messageType"], "incoming");
    assert_eq!(messages["edges"][0]["node"]["senderName"], "gina sender");
    assert_eq!(messages["pageInfo"]["hasNextPage"], true);
    let last = &next["data"]["conversation"]["messages"]["edges"][0]["node"];
    assert_eq!(last["content"], "gina message 103");
    assert_eq!(last["private"], true);
}

#[tokio::test]
async fn contacts_are_searchable_by_text() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("hank", "Hank project").await;
    app.seed_mirror(&project, 504, "hank").await;

    // Act
    let found = app
        .gql(
            As::Session(&session),
            "query($t: String) { contacts(filter: { text: $t }) { totalCount edges { node { name email } } } }",
            json!({ "t": "hank@example" }),
        )
        .await;
    let none = app
        .gql(
            As::Session(&session),
            "query($t: String) { contacts(filter: { text: $t }) { totalCount } }",
            json!({ "t": "nobody-matches-this" }),
        )
        .await;

    // Assert
    assert_eq!(found["data"]["contacts"]["totalCount"], 1, "{found}");
    assert_eq!(none["data"]["contacts"]["totalCount"], 0);
}

#[tokio::test]
async fn sync_now_queues_one_job_and_asking_again_does_not_duplicate_it() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("iris", "Iris project").await;
    let chatwoot = testkit::chatwoot::fake_chatwoot_with(&[505]).await;
    let bound = app
        .gql(
            As::Session(&session),
            "mutation($i: BindChatwootSourceInput!) { bindChatwootSource(input: $i) { id } }",
            json!({ "i": { "baseUrl": chatwoot.base_url(), "accountId": 505,
                           "apiAccessToken": testkit::chatwoot::CHATWOOT_TOKEN,
                           "verifySignatures": false } }),
        )
        .await;
    let source_id = bound["data"]["bindChatwootSource"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sync = "mutation($id: ID!) { requestSync(sourceId: $id) { jobId alreadyPending } }";

    // Act
    let first = app
        .gql(As::Session(&session), sync, json!({ "id": source_id }))
        .await;
    let second = app
        .gql(As::Session(&session), sync, json!({ "id": source_id }))
        .await;
    let status = app
        .gql(
            As::Session(&session),
            "{ syncStatus { sourceId accountId pendingStatus } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(
        first["data"]["requestSync"]["alreadyPending"], false,
        "{first}"
    );
    assert_eq!(second["data"]["requestSync"]["alreadyPending"], true);
    assert_eq!(
        first["data"]["requestSync"]["jobId"],
        second["data"]["requestSync"]["jobId"]
    );
    assert_eq!(status["data"]["syncStatus"][0]["accountId"], 505);
    assert_eq!(status["data"]["syncStatus"][0]["pendingStatus"], "queued");
}
