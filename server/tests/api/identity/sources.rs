//! Binding a Chatwoot account: proof of access, write-only secrets, refusals, audit.
use super::*;

pub(super) const BIND: &str = "mutation($input: BindChatwootSourceInput!) { bindChatwootSource(input: $input) { id accountId webhookPath hasApiAccessToken hasWebhookSecret } }";

pub(super) fn bind_input_at(base_url: &str, account_id: i64) -> serde_json::Value {
    json!({ "input": {
        "baseUrl": base_url,
        "accountId": account_id,
        "apiAccessToken": "cw-secret-token",
        "webhookSecret": "cw-webhook-secret"
    } })
}

#[tokio::test]
async fn a_chatwoot_account_binds_once_and_its_secrets_are_write_only() {
    // Arrange
    let app = spawn_app().await;
    let chatwoot = fake_chatwoot_with(&[7, 8]).await;
    let bind_input = |id| bind_input_at(&chatwoot.base_url(), id);
    let (a, _) = app.user_with_project("alice", "Alice project").await;
    let (b, _) = app.user_with_project("bob", "Bob project").await;

    // Act
    let first = app
        .post_graphql_as(
            As::Session(&a),
            json!({ "query": BIND, "variables": bind_input(7) }).to_string(),
        )
        .await;
    let same_project_again = app.gql(As::Session(&a), BIND, bind_input(8)).await;
    let other_project_same_account = app.gql(As::Session(&b), BIND, bind_input(7)).await;

    // Assert
    let source = &first.json()["data"]["bindChatwootSource"];
    assert_eq!(source["accountId"], 7);
    assert_eq!(source["hasApiAccessToken"], true);
    assert!(!first.body.contains("cw-secret-token") && !first.body.contains("cw-webhook-secret"));
    assert_eq!(
        same_project_again["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    assert!(
        same_project_again["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already has")
    );
    assert_eq!(
        other_project_same_account["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    assert!(
        other_project_same_account["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already bound")
    );
    assert!(
        !other_project_same_account
            .to_string()
            .contains("Alice project")
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 1);
}

#[tokio::test]
async fn bad_source_input_gets_field_errors_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("carol", "Carol project").await;

    // Act
    let body = app
        .gql(
            As::Session(&a),
            BIND,
            json!({ "input": { "baseUrl": "ftp://nope", "accountId": -1, "apiAccessToken": " " } }),
        )
        .await;

    // Assert
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["baseUrl", "accountId", "apiAccessToken", "webhookSecret"]
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}

#[tokio::test]
async fn critical_actions_leave_audit_events_with_evidence_listed_by_filter() {
    // Arrange
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("dave", "Dave project").await;
    let chatwoot = fake_chatwoot_with(&[11]).await;
    app.gql(
        As::Session(&a),
        BIND,
        bind_input_at(&chatwoot.base_url(), 11),
    )
    .await;
    app.gql(
        As::Session(&a),
        CREATE_TOKEN,
        json!({ "input": { "name": "t" } }),
    )
    .await;

    // Act
    let all = app
        .gql(
            As::Session(&a),
            "{ auditEvents(first: 50) { totalCount edges { node { action actor evidence { kind id } } } } }",
            json!({}),
        )
        .await;
    let only_sources = app
        .gql(
            As::Session(&a),
            "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount edges { node { action } } } }",
            json!({ "f": { "action": "source.bound" } }),
        )
        .await;

    // Assert
    let actions: Vec<&str> = all["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["token.created", "source.bound", "project.created"],
        "{all}"
    );
    for edge in all["data"]["auditEvents"]["edges"].as_array().unwrap() {
        assert!(!edge["node"]["evidence"].as_array().unwrap().is_empty());
        assert!(edge["node"]["actor"].as_str().unwrap().starts_with("user:"));
    }
    assert_eq!(only_sources["data"]["auditEvents"]["totalCount"], 1);
}

#[tokio::test]
async fn binding_needs_a_token_that_chatwoot_accepts_for_that_account() {
    // Arrange: an account that exists, a wrong token, and an account the token cannot read.
    let app = spawn_app().await;
    let (a, _) = app.user_with_project("squatter", "Squatter project").await;
    let chatwoot = fake_chatwoot_with(&[21]).await;
    let mut wrong_token = bind_input_at(&chatwoot.base_url(), 21);
    wrong_token["input"]["apiAccessToken"] = json!("a-guessed-token");

    // Act
    let guessed = app.gql(As::Session(&a), BIND, wrong_token).await;
    let other_account = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url(), 22),
        )
        .await;
    let nobody_there = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at("http://127.0.0.1:9", 21),
        )
        .await;

    // Assert
    for refused in [&guessed, &other_account] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"],
            "apiAccessToken"
        );
    }
    assert_eq!(
        nobody_there["errors"][0]["extensions"]["fields"][0]["field"],
        "baseUrl"
    );
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}

#[tokio::test]
async fn production_refuses_to_bind_a_chatwoot_at_an_internal_address_and_says_nothing_of_it() {
    // Arrange: a real service on loopback (the fake Chatwoot) that would answer.
    let app = testkit::app::spawn_app_in(server::config::AppEnv::Production).await;
    let chatwoot = fake_chatwoot_with(&[31]).await;
    let (a, _) = app.user_with_project("prober", "Prober project").await;

    // Act
    let by_address = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url(), 31),
        )
        .await;
    let by_name = app
        .gql(
            As::Session(&a),
            BIND,
            bind_input_at(&chatwoot.base_url().replace("127.0.0.1", "localhost"), 31),
        )
        .await;

    // Assert: refused before any request reached it; nothing stored.
    for refused in [&by_address, &by_name] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"],
            "baseUrl"
        );
    }
    assert_eq!(chatwoot.requests(), 0);
    assert_eq!(app.count("select count(*) from project_sources").await, 0);
}
