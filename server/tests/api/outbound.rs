//! The outbound pipeline over GraphQL: a draft through approval into the queue, listings with
//! attempts, policies, and what the API refuses (VALIDATION, CONFLICT).
use serde_json::{Value, json};

use testkit::app::{As, spawn_app};

const CREATE: &str = "mutation($i: CreateOutboundMessageInput!) { createOutboundMessage(input: $i) { id status contactId contact { id } originKind createdBy } }";

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

#[tokio::test]
async fn a_draft_is_submitted_approved_and_listed_as_queued() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("olga", "Olga project").await;
    let mirror = app.seed_mirror(&project, 701, "olga").await;
    let who = As::Session(&session);

    // Act
    let created = app
        .gql(
            who,
            CREATE,
            json!({ "i": { "contactId": mirror.contact, "content": "Your quote is ready" } }),
        )
        .await;
    let id = created["data"]["createOutboundMessage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned();
    let submitted = app
        .gql(
            who,
            "mutation($id: ID!) { submitOutboundMessage(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    let approved = app
        .gql(
            who,
            "mutation($id: ID!) { approveOutboundMessage(id: $id) { status approvedBy approvedAt queuedAt } }",
            json!({ "id": id }),
        )
        .await;
    let approved_again = app
        .gql(
            who,
            "mutation($id: ID!) { approveOutboundMessage(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    let listed = app
        .gql(
            who,
            "query($f: OutboundMessageFilter) { outboundMessages(filter: $f, first: 10) { totalCount edges { cursor node { id status attempts { attemptNo } } } } }",
            json!({ "f": { "status": "QUEUED", "contactId": mirror.contact } }),
        )
        .await;
    let one = app
        .gql(
            who,
            "query($id: ID!) { outboundMessage(id: $id) { id content sending attemptCount } }",
            json!({ "id": id }),
        )
        .await;

    // Assert
    let node = &created["data"]["createOutboundMessage"];
    assert_eq!(node["status"], "DRAFT");
    assert_eq!(node["contactId"], mirror.contact.as_str());
    assert_eq!(node["contact"]["id"], mirror.contact.as_str());
    assert_eq!(node["originKind"], "MANUAL");
    assert_eq!(
        submitted["data"]["submitOutboundMessage"]["status"],
        "PENDING_APPROVAL"
    );
    let approved = &approved["data"]["approveOutboundMessage"];
    assert_eq!(approved["status"], "QUEUED");
    assert_eq!(approved["approvedBy"], node["createdBy"]);
    assert!(approved["approvedAt"].is_string() && approved["queuedAt"].is_string());
    assert_eq!(code(&approved_again), "CONFLICT");
    assert_eq!(listed["data"]["outboundMessages"]["totalCount"], 1);
    assert_eq!(
        listed["data"]["outboundMessages"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    assert_eq!(
        one["data"]["outboundMessage"],
        json!({ "id": id, "content": "Your quote is ready", "sending": false, "attemptCount": 0 })
    );
}

#[tokio::test]
async fn bad_input_is_a_validation_error_and_unknown_ids_are_not_found() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("pia", "Pia project").await;
    let mirror = app.seed_mirror(&project, 702, "pia").await;
    let who = As::Session(&session);

    // Act
    let empty = app
        .gql(
            who,
            CREATE,
            json!({ "i": { "contactId": mirror.contact, "content": "  ", "channel": "Email" } }),
        )
        .await;
    let unknown_contact = app
        .gql(
            who,
            CREATE,
            json!({ "i": { "contactId": "cwc:nope:1:1", "content": "hi" } }),
        )
        .await;
    let bad_id = app
        .gql(
            who,
            "mutation { cancelOutboundMessage(id: \"not-a-uuid\") { id } }",
            json!({}),
        )
        .await;
    let bad_cap = app
        .gql(
            who,
            "mutation($c: ID!) { setContactFrequencyCap(contactId: $c, channel: \"chatwoot\", cap: -1) { id } }",
            json!({ "c": mirror.contact }),
        )
        .await;
    let opted_out = app
        .gql(
            who,
            "mutation($c: ID!) { optOutContact(contactId: $c, channel: \"all\", reason: \"asked\") { channel optedOut optOutReason changedBy } }",
            json!({ "c": mirror.contact }),
        )
        .await;
    let policies = app
        .gql(
            who,
            "query($c: ID!) { contactChannelPolicies(contactId: $c) { defaultFrequencyCap defaultFrequencyWindowSeconds policies { channel optedOut } } }",
            json!({ "c": mirror.contact }),
        )
        .await;

    // Assert
    assert_eq!(code(&empty), "VALIDATION");
    let fields: Vec<&str> = empty["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["content", "channel"]);
    assert_eq!(code(&unknown_contact), "NOT_FOUND");
    assert_eq!(code(&bad_id), "VALIDATION");
    assert_eq!(code(&bad_cap), "VALIDATION");
    let opted_out = &opted_out["data"]["optOutContact"];
    assert_eq!(opted_out["optedOut"], true);
    assert_eq!(opted_out["optOutReason"], "asked");
    assert!(
        opted_out["changedBy"]
            .as_str()
            .is_some_and(|c| c.starts_with("user:"))
    );
    assert_eq!(
        policies["data"]["contactChannelPolicies"],
        json!({ "defaultFrequencyCap": 3, "defaultFrequencyWindowSeconds": 604800,
                "policies": [{ "channel": "all", "optedOut": true }] })
    );
}
