//! The read services the GraphQL layer calls: listings with filters and keyset pagination,
//! sync status, and tenant isolation.
use std::collections::BTreeSet;

use server::{
    domain::conversations::{
        ContactFilter, ConversationFilter, Cursor, get_contact, get_conversation, list_contacts,
        list_conversations, list_job_runs, list_messages, request_sync_now, run_sync,
        source_sync_status, sync_status,
    },
    kernel::DomainError,
};
use uuid::Uuid;

use crate::helpers::{ACCOUNT_ID, TOKEN, TestDb, bind, create_project, fast_options, small_fake};

async fn synced() -> (TestDb, testkit::FakeChatwoot, Uuid) {
    let test = TestDb::new().await;
    let fake = small_fake().await;
    let source = bind(&test, &fake.base_url(), TOKEN, true).await;
    run_sync(&test.db, &test.scope, source.id, &fast_options())
        .await
        .expect("sync");
    (test, fake, source.id)
}

#[tokio::test]
async fn conversations_page_newest_activity_first_and_every_row_once() {
    let (test, fake, _) = synced().await;
    let total = fake
        .with_world(|w| w.totals(ACCOUNT_ID))
        .expect("account")
        .conversations;

    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = list_conversations(
            &test.db,
            &test.scope,
            &ConversationFilter::default(),
            7,
            after.as_ref(),
        )
        .await
        .expect("page");
        assert_eq!(page.total_count as usize, total);
        after = page.items.last().map(|c| c.cursor());
        seen.extend(page.items);
        if !page.has_next_page {
            break;
        }
    }

    assert_eq!(seen.len(), total);
    let ids: BTreeSet<&str> = seen.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), total);
    assert!(
        seen.windows(2)
            .all(|w| w[0].last_activity_at >= w[1].last_activity_at),
        "newest activity first"
    );
    // The cursor survives its opaque encoding.
    let cursor = seen[3].cursor();
    assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    test.drop().await;
}

#[tokio::test]
async fn conversations_filter_by_status_inbox_assignee_contact_and_text() {
    let (test, fake, _) = synced().await;
    let (resolved, inbox, assignee, contact) = fake.with_world(|w| {
        let a = w.account(ACCOUNT_ID).expect("account");
        let c = a
            .conversations
            .values()
            .find(|c| c.assignee_id.is_some())
            .expect("assigned");
        (
            a.conversations
                .values()
                .filter(|c| c.status == "resolved")
                .count(),
            (
                c.inbox_id,
                a.conversations
                    .values()
                    .filter(|x| x.inbox_id == c.inbox_id)
                    .count(),
            ),
            (
                c.assignee_id,
                a.conversations
                    .values()
                    .filter(|x| x.assignee_id == c.assignee_id)
                    .count(),
            ),
            (
                c.contact_id,
                a.conversations
                    .values()
                    .filter(|x| x.contact_id == c.contact_id)
                    .count(),
            ),
        )
    });
    let count = |filter: ConversationFilter| {
        let test = &test;
        async move {
            list_conversations(&test.db, &test.scope, &filter, 100, None)
                .await
                .expect("page")
                .total_count as usize
        }
    };

    assert_eq!(
        count(ConversationFilter {
            status: Some("resolved".into()),
            ..Default::default()
        })
        .await,
        resolved
    );
    assert_eq!(
        count(ConversationFilter {
            inbox_id: Some(inbox.0),
            ..Default::default()
        })
        .await,
        inbox.1
    );
    assert_eq!(
        count(ConversationFilter {
            assignee_id: assignee.0,
            ..Default::default()
        })
        .await,
        assignee.1
    );
    assert_eq!(
        count(ConversationFilter {
            contact_global_id: Some(format!(
                "cwc:{}:{ACCOUNT_ID}:{}",
                crate::helpers::project_id(),
                contact.0
            )),
            ..Default::default()
        })
        .await,
        contact.1
    );
    let text = count(ConversationFilter {
        text: Some("QUOTE".into()),
        ..Default::default()
    })
    .await;
    assert!(
        text > 0
            && text
                < fake
                    .with_world(|w| w.totals(ACCOUNT_ID))
                    .expect("a")
                    .conversations
    );
    test.drop().await;
}

#[tokio::test]
async fn a_conversations_messages_page_oldest_first() {
    let (test, _fake, _) = synced().await;
    let conversation = list_conversations(
        &test.db,
        &test.scope,
        &ConversationFilter::default(),
        1,
        None,
    )
    .await
    .expect("page")
    .items
    .remove(0);
    let mut all = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = list_messages(&test.db, &test.scope, &conversation.id, 3, after.as_ref())
            .await
            .expect("page");
        after = page.items.last().map(|m| m.cursor());
        all.extend(page.items);
        if !page.has_next_page {
            break;
        }
    }
    assert!(!all.is_empty());
    assert!(all.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    assert!(
        all.iter()
            .all(|m| m.conversation_global_id.as_deref() == Some(conversation.id.as_str()))
    );
    let fetched = get_conversation(&test.db, &test.scope, &conversation.id)
        .await
        .expect("one");
    assert_eq!(fetched.id, conversation.id);
    test.drop().await;
}

#[tokio::test]
async fn contacts_list_and_search() {
    let (test, fake, _) = synced().await;
    let totals = fake.with_world(|w| w.totals(ACCOUNT_ID)).expect("account");
    let page = list_contacts(&test.db, &test.scope, &ContactFilter::default(), 10, None)
        .await
        .expect("page");
    assert_eq!(page.total_count as usize, totals.contacts);
    assert!(page.has_next_page);
    let second = list_contacts(
        &test.db,
        &test.scope,
        &ContactFilter::default(),
        10,
        page.items.last().map(|c| c.cursor()).as_ref(),
    )
    .await
    .expect("page");
    assert!(
        second
            .items
            .iter()
            .all(|c| !page.items.iter().any(|p| p.id == c.id))
    );
    let name = page.items[0].name.clone().expect("a name");
    let found = list_contacts(
        &test.db,
        &test.scope,
        &ContactFilter {
            text: Some(name.to_uppercase()),
        },
        50,
        None,
    )
    .await
    .expect("search");
    assert!(found.items.iter().any(|c| c.id == page.items[0].id));
    let one = get_contact(&test.db, &test.scope, &page.items[0].id)
        .await
        .expect("one");
    assert_eq!(one.name, Some(name));
    test.drop().await;
}

#[tokio::test]
async fn sync_status_shows_the_latest_run_the_watermark_and_a_pending_job() {
    let (test, _fake, source_id) = synced().await;

    let before = source_sync_status(&test.db, &test.scope, source_id)
        .await
        .expect("status");
    let run = before.latest_run.expect("a run");
    assert_eq!(run.status, entity::enums::JobRunStatus::Ok);
    assert!(
        run.meta["messages"]["inserted"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    let watermark = before.watermark.expect("a watermark");
    assert_eq!(watermark.source, format!("chatwoot:{ACCOUNT_ID}"));
    assert!(watermark.cursor_ts.is_some() && watermark.pass.is_none());
    assert!(watermark.last_full_at.is_some());
    assert!(before.pending.is_none());
    assert!(before.source.has_webhook_secret);

    let requested = request_sync_now(&test.db, &test.scope, source_id)
        .await
        .expect("queued");
    let all = sync_status(&test.db, &test.scope).await.expect("status");
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].pending.as_ref().map(|p| p.job_id),
        Some(requested.job_id)
    );
    let runs = list_job_runs(&test.db, &test.scope, Some(source_id), 10, None)
        .await
        .expect("runs");
    assert_eq!(runs.total_count, 1);
    test.drop().await;
}

#[tokio::test]
async fn another_project_sees_none_of_it() {
    let (test, _fake, source_id) = synced().await;
    let other = create_project(&test.db, Uuid::new_v4(), "other").await;

    let conversations =
        list_conversations(&test.db, &other, &ConversationFilter::default(), 10, None)
            .await
            .expect("page");
    let contacts = list_contacts(&test.db, &other, &ContactFilter::default(), 10, None)
        .await
        .expect("page");
    let status = sync_status(&test.db, &other).await.expect("status");
    let sync_now = request_sync_now(&test.db, &other, source_id).await;
    let some_conversation = list_conversations(
        &test.db,
        &test.scope,
        &ConversationFilter::default(),
        1,
        None,
    )
    .await
    .expect("page")
    .items
    .remove(0);
    let direct = get_conversation(&test.db, &other, &some_conversation.id).await;
    let messages = list_messages(&test.db, &other, &some_conversation.id, 10, None)
        .await
        .expect("page");

    assert_eq!(conversations.total_count, 0);
    assert_eq!(contacts.total_count, 0);
    assert!(status.is_empty());
    assert!(matches!(sync_now, Err(DomainError::NotFound(_))));
    assert!(matches!(direct, Err(DomainError::NotFound(_))));
    assert_eq!(messages.total_count, 0);
    test.drop().await;
}
