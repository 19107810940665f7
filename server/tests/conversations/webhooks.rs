//! `POST /webhooks/chatwoot/{source_key}`: signature, skew, dedupe, and applying events.
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use server::{AppState, build_router, domain::conversations::sources::ChatwootSource};
use testkit::fake_chatwoot::{
    Scenario, World, generate,
    webhooks::{
        SignedWebhook, contact_event, conversation_event, delivery_id, message_event, signed,
    },
};
use tower::ServiceExt;

use crate::helpers::{ACCOUNT_ID, SECRET, TOKEN, TestDb, bind, project_id, scalar, strings};

struct Hook {
    test: TestDb,
    router: Router,
    source: ChatwootSource,
    world: World,
}

async fn setup(verify: bool) -> Hook {
    let test = TestDb::new().await;
    let source = bind(&test, "http://127.0.0.1:9", TOKEN, verify).await;
    let router = build_router(AppState::new(test.config.clone(), test.db.clone()).expect("state"));
    Hook {
        test,
        router,
        source,
        world: generate(&Scenario::small(ACCOUNT_ID)),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Hook {
    async fn post(
        &self,
        key: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut request = Request::post(format!("/webhooks/chatwoot/{key}"))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn send(&self, hook: &SignedWebhook) -> (StatusCode, String) {
        self.post(
            &self.source.source_key,
            &[
                ("x-chatwoot-signature", hook.signature.clone()),
                ("x-chatwoot-timestamp", hook.timestamp.to_string()),
                ("x-chatwoot-delivery", hook.delivery_id.clone()),
            ],
            hook.body.clone(),
        )
        .await
    }

    fn first_message_id(&self) -> i64 {
        self.world.message_ids(ACCOUNT_ID)[0]
    }

    fn message_body(&self, event: &str) -> Value {
        message_event(&self.world, ACCOUNT_ID, self.first_message_id(), event).expect("body")
    }

    async fn written(&self) -> i64 {
        let mut total = 0;
        for table in [
            "webhook_deliveries",
            "cw_contacts",
            "cw_conversations",
            "cw_messages",
        ] {
            total += self.test.count(table).await;
        }
        total
    }
}

#[tokio::test]
async fn a_signed_message_webhook_is_applied() {
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    assert_eq!(body["message_type"], json!("incoming"), "webhook form");
    let signed = signed(SECRET, now(), &delivery_id(1), &body);

    let (status, text) = hook.send(&signed).await;

    assert_eq!(status, StatusCode::OK, "{text}");
    let id = format!(
        "cwmsg:{}:{ACCOUNT_ID}:{}",
        project_id(),
        hook.first_message_id()
    );
    let row = strings(
        &hook.test.db,
        &format!(
            "select message_type || '|' || conversation_global_id || '|' || contact_global_id \
             from cw_messages where id = '{id}'"
        ),
    )
    .await;
    assert_eq!(row.len(), 1);
    assert!(row[0].starts_with("incoming|cw:"), "{row:?}");
    assert_eq!(hook.test.count("cw_conversations").await, 1);
    assert_eq!(hook.test.count("cw_contacts").await, 1);
    assert_eq!(
        strings(&hook.test.db, "select status from webhook_deliveries").await,
        vec!["processed".to_owned()]
    );
    // The ISO created_at of the webhook and the unix one of REST mean the same instant.
    let created = scalar(
        &hook.test.db,
        &format!(
            "select extract(epoch from created_at)::bigint from cw_messages where id = '{id}'"
        ),
    )
    .await;
    let expected = hook
        .world
        .message(ACCOUNT_ID, hook.first_message_id())
        .expect("message")
        .created_at;
    assert_eq!(created, expected);
    hook.test.drop().await;
}

#[tokio::test]
async fn a_bad_signature_is_rejected_and_nothing_is_written() {
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    let mut forged = signed("not-the-secret", now(), &delivery_id(2), &body);
    let (status, _) = hook.send(&forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A valid signature over a different body does not fit either.
    forged = signed(SECRET, now(), &delivery_id(2), &body);
    forged.body = br#"{"event":"message_created","id":1}"#.to_vec();
    let (status, _) = hook.send(&forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn a_missing_signature_is_rejected_when_signing_is_on() {
    let hook = setup(true).await;
    let body = serde_json::to_vec(&hook.message_body("message_created")).expect("json");
    let (status, _) = hook
        .post(
            &hook.source.source_key,
            &[
                ("x-chatwoot-timestamp", now().to_string()),
                ("x-chatwoot-delivery", delivery_id(3)),
            ],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn a_stale_timestamp_is_rejected_even_with_a_valid_signature() {
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    let old = signed(SECRET, now() - 600, &delivery_id(4), &body);
    let future = signed(SECRET, now() + 600, &delivery_id(5), &body);
    assert_eq!(hook.send(&old).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(hook.send(&future).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn a_replayed_delivery_is_rejected_and_writes_nothing() {
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    let first = signed(SECRET, now(), &delivery_id(6), &body);
    assert_eq!(hook.send(&first).await.0, StatusCode::OK);
    let before = hook.written().await;

    // Same delivery id, freshly signed (Chatwoot's retry) and the exact same request (replay).
    let retry = signed(SECRET, now(), &delivery_id(6), &body);
    let (status, _) = hook.send(&retry).await;
    let (replay, _) = hook.send(&first).await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(replay, StatusCode::CONFLICT);
    assert_eq!(hook.written().await, before);
    hook.test.drop().await;
}

#[tokio::test]
async fn malformed_json_is_rejected_and_nothing_is_written() {
    let hook = setup(true).await;
    let timestamp = now();
    for (n, raw) in [
        &b"{\"event\": \"message_created\", "[..],
        b"[1,2,3]",
        b"{\"id\": 5}",
    ]
    .into_iter()
    .enumerate()
    {
        let signature = server::integrations::chatwoot::signature::sign(
            SECRET.as_bytes(),
            &timestamp.to_string(),
            raw,
        );
        let (status, _) = hook
            .post(
                &hook.source.source_key,
                &[
                    ("x-chatwoot-signature", signature),
                    ("x-chatwoot-timestamp", timestamp.to_string()),
                    ("x-chatwoot-delivery", delivery_id(10 + n as u64)),
                ],
                raw.to_vec(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "body {n}");
    }
    // Valid JSON with the event but no usable message id.
    let invalid = signed(
        SECRET,
        timestamp,
        &delivery_id(20),
        &json!({ "event": "message_created", "content": "hi", "account": { "id": ACCOUNT_ID } }),
    );
    assert_eq!(
        hook.send(&invalid).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn an_unknown_source_is_not_found_and_nothing_is_written() {
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    let signed = signed(SECRET, now(), &delivery_id(30), &body);
    let (status, _) = hook
        .post(
            "no-such-source",
            &[
                ("x-chatwoot-signature", signed.signature.clone()),
                ("x-chatwoot-timestamp", signed.timestamp.to_string()),
                ("x-chatwoot-delivery", signed.delivery_id.clone()),
            ],
            signed.body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A disabled source is unknown too.
    hook.test
        .db
        .execute_unprepared("update project_sources set enabled = false")
        .await
        .expect("disable");
    assert_eq!(hook.send(&signed).await.0, StatusCode::NOT_FOUND);
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn a_body_for_another_account_is_rejected() {
    let hook = setup(true).await;
    let mut body = hook.message_body("message_created");
    body["account"]["id"] = json!(ACCOUNT_ID + 1);
    let signed = signed(SECRET, now(), &delivery_id(40), &body);
    assert_eq!(hook.send(&signed).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hook.written().await, 0);
    hook.test.drop().await;
}

#[tokio::test]
async fn an_edit_arriving_by_webhook_updates_the_message_in_place() {
    let mut hook = setup(true).await;
    let created = signed(
        SECRET,
        now(),
        &delivery_id(50),
        &hook.message_body("message_created"),
    );
    assert_eq!(hook.send(&created).await.0, StatusCode::OK);
    let id = hook.first_message_id();
    assert!(
        hook.world
            .edit_message(ACCOUNT_ID, id, "Corrected text", 1_800_000_000)
    );
    let updated = signed(
        SECRET,
        now(),
        &delivery_id(51),
        &hook.message_body("message_updated"),
    );

    assert_eq!(hook.send(&updated).await.0, StatusCode::OK);

    assert_eq!(hook.test.count("cw_messages").await, 1);
    let row = strings(
        &hook.test.db,
        "select content || '|' || (updated_at > created_at) from cw_messages",
    )
    .await;
    assert_eq!(row, vec!["Corrected text|true".to_owned()]);
    hook.test.drop().await;
}

#[tokio::test]
async fn contact_and_conversation_events_are_applied() {
    let hook = setup(true).await;
    let (contact_id, display_id) = {
        let account = hook.world.account(ACCOUNT_ID).expect("account");
        let conversation = account.conversations.values().next().expect("conversation");
        (conversation.contact_id, conversation.display_id)
    };
    let contact = contact_event(
        &hook.world,
        ACCOUNT_ID,
        contact_id,
        "contact_updated",
        Some(json!([{ "name": ["a", "b"] }])),
    )
    .expect("contact body");
    let conversation = conversation_event(
        &hook.world,
        ACCOUNT_ID,
        display_id,
        "conversation_status_changed",
        Some(json!([{ "status": ["open", "resolved"] }])),
    )
    .expect("conversation body");
    let typing = json!({ "event": "conversation_typing_on", "account": { "id": ACCOUNT_ID } });

    for (n, body) in [contact, conversation, typing].iter().enumerate() {
        let hook_body = signed(SECRET, now(), &delivery_id(60 + n as u64), body);
        assert_eq!(hook.send(&hook_body).await.0, StatusCode::OK, "event {n}");
    }

    assert_eq!(hook.test.count("cw_contacts").await, 1);
    assert_eq!(hook.test.count("cw_conversations").await, 1);
    assert_eq!(
        hook.test.count("cw_messages").await,
        1,
        "the conversation's latest message"
    );
    let data = strings(&hook.test.db, "select data::text from cw_contacts").await;
    assert!(
        !data[0].contains("changed_attributes"),
        "delivery fields are not stored"
    );
    assert_eq!(
        strings(
            &hook.test.db,
            "select event || ':' || status from webhook_deliveries order by received_at, event"
        )
        .await
        .len(),
        3
    );
    assert_eq!(
        scalar(
            &hook.test.db,
            "select count(*) from webhook_deliveries where status = 'ignored'"
        )
        .await,
        1
    );
    hook.test.drop().await;
}

#[tokio::test]
async fn a_captured_request_resent_under_a_new_delivery_id_is_a_replay_and_writes_nothing() {
    // Arrange: a delivery applied once, then captured.
    let hook = setup(true).await;
    let body = hook.message_body("message_created");
    let captured = signed(SECRET, now(), &delivery_id(7), &body);
    assert_eq!(hook.send(&captured).await.0, StatusCode::OK);
    let before = hook.written().await;

    // Act: the same signed timestamp and body under delivery ids the attacker picked.
    let mut statuses = Vec::new();
    for n in 8..11 {
        let mut replay = captured.clone();
        replay.delivery_id = delivery_id(n);
        statuses.push(hook.send(&replay).await.0);
    }

    // Assert
    assert_eq!(statuses, vec![StatusCode::CONFLICT; 3]);
    assert_eq!(hook.written().await, before);
    hook.test.drop().await;
}

#[tokio::test]
async fn unsigned_deliveries_are_accepted_when_verification_is_off_and_still_deduped() {
    let hook = setup(false).await;
    let body = serde_json::to_vec(&hook.message_body("message_created")).expect("json");

    let (first, _) = hook.post(&hook.source.source_key, &[], body.clone()).await;
    let (again, _) = hook.post(&hook.source.source_key, &[], body).await;

    assert_eq!(first, StatusCode::OK);
    assert_eq!(
        again,
        StatusCode::CONFLICT,
        "an identical body is the same delivery"
    );
    assert_eq!(hook.test.count("cw_messages").await, 1);
    hook.test.drop().await;
}
