//! Project settings over GraphQL: owners and admins change them (audited), members read them,
//! bad input writes nothing, and four eyes on outbound holds in the service and the database.
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use testkit::app::{As, spawn_app};

const SETTINGS: &str = "{ projectSettings { outboundFourEyes offerDiscountApprovalThreshold \
    defaultFrequencyCap defaultFrequencyWindowSeconds optOutPhrases syncIntervalSeconds } }";
const UPDATE: &str = "mutation($i: UpdateProjectSettingsInput!) { updateProjectSettings(input: $i) { \
    outboundFourEyes offerDiscountApprovalThreshold defaultFrequencyCap \
    defaultFrequencyWindowSeconds optOutPhrases syncIntervalSeconds } }";

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

#[tokio::test]
async fn an_owner_changes_the_settings_and_the_change_is_audited() {
    // Arrange
    let app = spawn_app().await;
    let (owner, _) = app.user_with_project("sofia", "Sofia project").await;

    // Act
    let updated = app
        .gql(
            As::Session(&owner),
            UPDATE,
            json!({ "i": { "outboundFourEyes": true, "offerDiscountApprovalThreshold": 15.5,
                           "defaultFrequencyCap": 2, "defaultFrequencyWindowSeconds": 86400,
                           "optOutPhrases": [" Stop ", "unsubscribe", ""] } }),
        )
        .await;
    let read = app.gql(As::Session(&owner), SETTINGS, json!({})).await;

    // Assert
    let settings = &updated["data"]["updateProjectSettings"];
    assert_eq!(
        *settings,
        json!({ "outboundFourEyes": true, "offerDiscountApprovalThreshold": 15.5,
                "defaultFrequencyCap": 2, "defaultFrequencyWindowSeconds": 86400,
                "optOutPhrases": ["stop", "unsubscribe"], "syncIntervalSeconds": null }),
        "{updated}"
    );
    assert_eq!(read["data"]["projectSettings"], *settings);
    assert_eq!(
        app.count(
            "select count(*) from audit_events where action = 'project.settings_updated' \
             and meta ? 'outboundFourEyes' and meta ? 'defaultFrequencyCap'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_member_reads_the_settings_but_cannot_change_them_and_bad_input_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (owner, project) = app.user_with_project("tomas", "Tomas project").await;
    app.create_member(&project, "uma").await;
    let member = app.login("uma", testkit::app::PASSWORD).await;
    let before = app.gql(As::Session(&owner), SETTINGS, json!({})).await;

    // Act
    let read = app.gql(As::Session(&member), SETTINGS, json!({})).await;
    let by_member = app
        .gql(
            As::Session(&member),
            UPDATE,
            json!({ "i": { "outboundFourEyes": false } }),
        )
        .await;
    let bad = app
        .gql(
            As::Session(&owner),
            UPDATE,
            json!({ "i": { "outboundFourEyes": true, "offerDiscountApprovalThreshold": 250,
                           "defaultFrequencyCap": -1, "syncIntervalSeconds": 5,
                           "optOutPhrases": ["x".repeat(81)] } }),
        )
        .await;

    // Assert
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(code(&by_member), "FORBIDDEN");
    assert_eq!(code(&bad), "VALIDATION");
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "offerDiscountApprovalThreshold",
            "defaultFrequencyCap",
            "syncIntervalSeconds",
            "optOutPhrases"
        ]
    );
    assert_eq!(
        app.gql(As::Session(&owner), SETTINGS, json!({})).await,
        before
    );
    assert_eq!(
        app.count("select count(*) from audit_events where action = 'project.settings_updated'")
            .await,
        0
    );
}

#[tokio::test]
async fn with_four_eyes_on_an_author_cannot_approve_their_own_message_in_the_service_or_the_database()
 {
    // Arrange: four eyes switched on, and a message its author submitted.
    let app = spawn_app().await;
    let (owner, project) = app.user_with_project("vera", "Vera project").await;
    let mirror = app.seed_mirror(&project, 702, "vera").await;
    let who = As::Session(&owner);
    app.gql(who, UPDATE, json!({ "i": { "outboundFourEyes": true } }))
        .await;
    let created = app
        .gql(
            who,
            "mutation($i: CreateOutboundMessageInput!) { createOutboundMessage(input: $i) { id createdBy } }",
            json!({ "i": { "contactId": mirror.contact, "content": "Renewal reminder" } }),
        )
        .await;
    let id = created["data"]["createOutboundMessage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned();
    let author = created["data"]["createOutboundMessage"]["createdBy"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.gql(
        who,
        "mutation($id: ID!) { submitOutboundMessage(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;

    // Act
    let by_api = app
        .gql(
            who,
            "mutation($id: ID!) { approveOutboundMessage(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    let by_sql = app
        .db
        .execute_unprepared(&format!(
            "update outbound_messages set approved_by = '{author}', approved_at = now() \
             where id = '{id}'"
        ))
        .await;

    // Assert
    assert_eq!(code(&by_api), "CONFLICT", "{by_api}");
    assert!(
        by_sql
            .as_ref()
            .is_err_and(|e| e.to_string().contains("approver other than its author")),
        "{by_sql:?}"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbound_messages where id = '{id}' and approved_by is null"
        ))
        .await,
        1
    );
}
