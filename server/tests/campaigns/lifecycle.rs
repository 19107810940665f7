//! Campaigns: approval by another member before anything starts, the member snapshot, a
//! dispatcher that queues each member once (paced, pausable, cancellable), the report, and
//! the job the scheduler enqueues.
use chrono::{DateTime, Duration, Utc};
use entity::enums::CampaignStatus;
use serde_json::json;
use server::{
    domain::campaigns::{
        self, CampaignPatch, NewCampaign, SELF_APPROVAL_REFUSED,
        dispatch::{self, DispatchReport},
        report::{self, Bucket},
        segments::{self, SegmentInput},
    },
    kernel::Scope,
    workers::{JobRegistry, WorkerSettings, execute_one, jobs},
};
use uuid::Uuid;

use crate::helpers::OfferFixtures;
use crate::helpers::{Person, TestDb, conflict, fields};

/// A project with `contacts` contacts (one confirmed on Acme), a segment of everyone with an
/// email, and two members.
struct Stage {
    scope: Scope,
    creator: Person,
    approver: Person,
    segment: Uuid,
}

async fn stage(test: &TestDb, contacts: i64) -> Stage {
    let scope = test.project("p").await;
    let creator = test.member(&scope, "creator").await;
    let approver = test.member(&scope, "approver").await;
    for n in 1..=contacts {
        test.plain_contact(&scope, n).await;
    }
    let acme = test.account(&scope, "Acme", None, None).await;
    test.link(
        &scope,
        acme.id,
        &crate::helpers::contact_id(&scope, 1),
        "confirmed",
    )
    .await;
    let segment = segments::save_segment(
        &test.db,
        &scope,
        &creator.actor,
        SegmentInput {
            id: None,
            name: "Everyone".to_owned(),
            description: None,
            definition: json!({ "has_email": {} }),
        },
    )
    .await
    .expect("segment")
    .id;
    Stage {
        scope,
        creator,
        approver,
        segment,
    }
}

/// A draft campaign of the stage's creator at `rate` messages a minute.
async fn draft(test: &TestDb, s: &Stage, rate: Option<i32>) -> Uuid {
    campaigns::create_campaign(
        &test.db,
        &s.scope,
        &s.creator.actor,
        NewCampaign {
            name: "Spring".to_owned(),
            segment_id: Some(s.segment),
            message_template: "Hi {{first_name}} at {{company|your company}}!".to_owned(),
            send_rate_per_minute: rate,
            ..NewCampaign::default()
        },
    )
    .await
    .expect("draft")
    .id
}

/// A running campaign (submitted, approved by the approver, started).
async fn running(test: &TestDb, s: &Stage, rate: Option<i32>) -> Uuid {
    let id = draft(test, s, rate).await;
    campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("submitted");
    campaigns::approve_campaign(&test.db, &s.scope, &s.approver.actor, id, None)
        .await
        .expect("approved");
    campaigns::start_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("started");
    id
}

async fn run(test: &TestDb, s: &Stage, id: Uuid, at: DateTime<Utc>) -> DispatchReport {
    dispatch::run(&test.db, &s.scope, id, at)
        .await
        .expect("dispatch runs")
}

/// What the outbound sender does once Chatwoot has a campaign's queued messages.
async fn sender_sends(test: &TestDb, id: Uuid) {
    test.exec(
        "update campaign_members set status = 'sent' where campaign_id = $1 and status = 'queued'",
        [id.into()],
    )
    .await;
}

#[tokio::test]
async fn a_campaign_starts_only_after_another_member_approved_it() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 3).await;
    let id = draft(&test, &s, None).await;

    // Act
    let draft_start = campaigns::start_campaign(&test.db, &s.scope, &s.creator.actor, id).await;
    let draft_approve =
        campaigns::approve_campaign(&test.db, &s.scope, &s.approver.actor, id, None).await;
    let submitted = campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("submitted");
    let pending_start = campaigns::start_campaign(&test.db, &s.scope, &s.creator.actor, id).await;
    let pending_edit = campaigns::update_campaign(
        &test.db,
        &s.scope,
        &s.creator.actor,
        id,
        CampaignPatch {
            name: Some("Sneaky".to_owned()),
            ..CampaignPatch::default()
        },
    )
    .await;
    let self_approval =
        campaigns::approve_campaign(&test.db, &s.scope, &s.creator.actor, id, None).await;
    let approved = campaigns::approve_campaign(&test.db, &s.scope, &s.approver.actor, id, None)
        .await
        .expect("approved");
    let started = campaigns::start_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("started");

    // Assert
    assert!(conflict(draft_start).contains("scheduled campaigns can be started"));
    assert!(conflict(draft_approve).contains("waiting for approval"));
    assert_eq!(submitted.status, CampaignStatus::PendingApproval);
    assert_eq!(submitted.segment_snapshot, Some(json!({ "has_email": {} })));
    assert!(conflict(pending_start).contains("scheduled campaigns can be started"));
    assert!(conflict(pending_edit).contains("draft campaigns can be edited"));
    assert_eq!(conflict(self_approval), SELF_APPROVAL_REFUSED);
    assert_eq!(approved.status, CampaignStatus::Scheduled);
    assert_eq!(approved.approved_by, Some(s.approver.id));
    assert!(approved.scheduled_at.is_some());
    assert_eq!(started.status, CampaignStatus::Running);
    for action in [
        "campaign.created",
        "campaign.submitted",
        "campaign.approved",
        "campaign.started",
    ] {
        assert_eq!(test.audits(action).await, 1, "{action}");
    }
    test.drop().await;
}

#[tokio::test]
async fn a_rejected_campaign_goes_back_to_draft_and_releases_its_frozen_segment() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 1).await;
    let id = draft(&test, &s, None).await;
    campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("submitted");

    // Act
    let silent = campaigns::reject_campaign(&test.db, &s.scope, &s.approver.actor, id, " ").await;
    let rejected =
        campaigns::reject_campaign(&test.db, &s.scope, &s.approver.actor, id, "Wrong audience")
            .await
            .expect("rejected");

    // Assert
    assert_eq!(fields(silent), vec!["comment"]);
    assert_eq!(rejected.status, CampaignStatus::Draft);
    assert_eq!(rejected.segment_snapshot, None);
    assert_eq!(test.audits("campaign.rejected").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn submitting_needs_a_segment_and_a_message() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 1).await;
    let id = campaigns::create_campaign(
        &test.db,
        &s.scope,
        &s.creator.actor,
        NewCampaign {
            name: "Empty".to_owned(),
            ..NewCampaign::default()
        },
    )
    .await
    .expect("draft")
    .id;

    // Act
    let result = campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id).await;

    // Assert
    assert_eq!(fields(result), vec!["messageTemplate", "segmentId"]);
    test.drop().await;
}

#[tokio::test]
async fn bad_campaign_input_is_refused_naming_every_field_and_nothing_is_written() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 1).await;

    // Act
    let result = campaigns::create_campaign(
        &test.db,
        &s.scope,
        &s.creator.actor,
        NewCampaign {
            name: "x".repeat(201),
            channel: Some("sms".to_owned()),
            message_template: "Hi {{email}}".to_owned(),
            send_rate_per_minute: Some(0),
            ..NewCampaign::default()
        },
    )
    .await;

    // Assert
    assert_eq!(
        fields(result),
        vec!["channel", "messageTemplate", "name", "sendRatePerMinute"]
    );
    assert_eq!(test.count("campaigns").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn starting_snapshots_the_frozen_segments_members_with_their_attributes() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 3).await;
    let id = draft(&test, &s, None).await;
    campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("submitted");
    // Edited after submit: the approved, frozen definition still decides.
    segments::save_segment(
        &test.db,
        &s.scope,
        &s.creator.actor,
        SegmentInput {
            id: Some(s.segment),
            name: "Everyone".to_owned(),
            description: None,
            definition: json!({ "inbox": { "inbox_id": 99 } }),
        },
    )
    .await
    .expect("segment edited");
    campaigns::approve_campaign(&test.db, &s.scope, &s.approver.actor, id, None)
        .await
        .expect("approved");

    // Act
    campaigns::start_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("started");
    test.plain_contact(&s.scope, 4).await;

    // Assert
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from campaign_members where campaign_id = '{id}' and status = 'pending'"
        ))
        .await,
        3,
        "the three contacts at start, not the one added later"
    );
    let snapshot = test
        .json(&format!(
            "select snapshot from campaign_members where campaign_id = '{id}' \
             and contact_global_id = '{}'",
            crate::helpers::contact_id(&s.scope, 1)
        ))
        .await;
    assert_eq!(
        snapshot,
        json!({
            "name": "Contact 1",
            "first_name": "Contact",
            "email": "c1@example.com",
            "company": "Acme",
            "account_id": test.text("select id::text from crm_accounts").await,
        })
    );
    let campaign = campaigns::get_campaign(&test.db, &s.scope, id)
        .await
        .expect("campaign");
    assert_eq!(campaign.segment_snapshot, Some(json!({ "has_email": {} })));
    assert!(campaign.started_at.is_some());
    test.drop().await;
}

#[tokio::test]
async fn the_dispatcher_queues_each_member_exactly_once_and_finishes_after_the_sender() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 5).await;
    let now = Utc::now();
    let conversation = test
        .conversation(
            &s.scope,
            1,
            &crate::helpers::contact_id(&s.scope, 1),
            1,
            &[],
            now,
        )
        .await;
    let id = running(&test, &s, None).await;

    // Act
    let first = run(&test, &s, id, now).await;
    let second = run(&test, &s, id, now).await;
    sender_sends(&test, id).await;
    let last = run(&test, &s, id, now).await;

    // Assert
    assert_eq!(
        (first.queued, first.finished),
        (5, false),
        "waits for the sender"
    );
    assert_eq!(second.queued, 0);
    assert!(last.finished);
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from outbound_messages m join campaigns k on k.id::text = m.origin_id \
             where k.id = '{id}' and m.origin_kind = 'campaign' and m.status = 'queued' \
               and m.channel = 'chatwoot' and m.approved_at = k.approved_at \
               and m.approved_by = k.approved_by and m.queued_at is not null"
        ))
        .await,
        5
    );
    assert_eq!(
        test.scalar(
            "select count(*) from (select contact_global_id from outbound_messages \
             group by contact_global_id having count(*) = 1) once"
        )
        .await,
        5
    );
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from campaign_members b join outbound_messages m \
             on m.id = b.outbound_message_id where b.campaign_id = '{id}'"
        ))
        .await,
        5
    );
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from campaign_events where campaign_id = '{id}' \
             and event_type = 'queued' and outbound_message_id is not null"
        ))
        .await,
        5
    );
    let first_contact = crate::helpers::contact_id(&s.scope, 1);
    assert_eq!(
        test.text(&format!(
            "select content || '|' || coalesce(conversation_global_id, '') \
             from outbound_messages where contact_global_id = '{first_contact}'"
        ))
        .await,
        format!("Hi Contact at Acme!|{conversation}")
    );
    assert_eq!(
        test.text(&format!(
            "select content from outbound_messages where contact_global_id = '{}'",
            crate::helpers::contact_id(&s.scope, 2)
        ))
        .await,
        "Hi Contact at your company!"
    );
    let campaign = campaigns::get_campaign(&test.db, &s.scope, id)
        .await
        .expect("campaign");
    assert_eq!(campaign.status, CampaignStatus::Finished);
    assert_eq!(test.audits("campaign.finished").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn a_send_rate_paces_the_dispatcher_per_minute() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 5).await;
    let id = running(&test, &s, Some(2)).await;
    let t0 = Utc::now();

    // Act
    let runs = [
        run(&test, &s, id, t0).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(30)).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(61)).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(122)).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(183)).await.queued,
    ];

    // Assert
    assert_eq!(runs, [2, 0, 2, 1, 0]);
    test.drop().await;
}

#[tokio::test]
async fn pausing_stops_dispatching_and_resuming_gives_every_member_exactly_one_message() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 5).await;
    let id = running(&test, &s, Some(2)).await;
    let t0 = Utc::now();
    let before_pause = run(&test, &s, id, t0).await.queued;

    // Act
    campaigns::pause_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("paused");
    let while_paused = run(&test, &s, id, t0 + Duration::seconds(61)).await.queued;
    let pause_twice = campaigns::pause_campaign(&test.db, &s.scope, &s.creator.actor, id).await;
    campaigns::resume_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("resumed");
    let after_resume = [
        run(&test, &s, id, t0 + Duration::seconds(122)).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(183)).await.queued,
        run(&test, &s, id, t0 + Duration::seconds(244)).await.queued,
    ];
    sender_sends(&test, id).await;
    let finished = run(&test, &s, id, t0 + Duration::seconds(305))
        .await
        .finished;

    // Assert
    assert_eq!(before_pause, 2);
    assert_eq!(while_paused, 0);
    assert!(conflict(pause_twice).contains("running campaigns can be paused"));
    assert_eq!(after_resume, [2, 1, 0]);
    assert!(finished);
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from campaign_members b where b.campaign_id = '{id}' and \
             (select count(*) from outbound_messages m where m.contact_global_id = b.contact_global_id \
                and m.origin_id = '{id}') = 1"
        ))
        .await,
        5,
        "every member has exactly one message"
    );
    assert_eq!(test.count("outbound_messages").await, 5);
    assert_eq!(test.audits("campaign.paused").await, 1);
    assert_eq!(test.audits("campaign.resumed").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn cancelling_skips_the_pending_members_and_stops_the_dispatcher() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 5).await;
    let id = running(&test, &s, Some(2)).await;
    let t0 = Utc::now();
    run(&test, &s, id, t0).await;

    // Act
    let cancelled = campaigns::cancel_campaign(&test.db, &s.scope, &s.creator.actor, id)
        .await
        .expect("cancelled");
    let after = run(&test, &s, id, t0 + Duration::seconds(61)).await;
    let resume = campaigns::resume_campaign(&test.db, &s.scope, &s.creator.actor, id).await;
    let report = report::campaign_report(&test.db, &s.scope, id, Bucket::Hour)
        .await
        .expect("report");

    // Assert
    assert_eq!(cancelled.status, CampaignStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(after, DispatchReport::default());
    assert!(conflict(resume).contains("paused campaigns can be resumed"));
    assert_eq!(
        (
            report.counts.total,
            report.counts.queued,
            report.counts.skipped
        ),
        (5, 2, 3)
    );
    assert_eq!(test.count("outbound_messages").await, 2);
    test.drop().await;
}

#[tokio::test]
async fn the_report_counts_members_by_state_and_buckets_events_by_hour_or_day() {
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 4).await;
    let id = running(&test, &s, None).await;
    let day: DateTime<Utc> = "2030-05-04T00:00:00Z".parse().expect("time");
    run(&test, &s, id, day + Duration::minutes(10)).await;
    // The sender's events for three of them, one replied a day later.
    test.exec(
        "update campaign_members set status = 'sent' where campaign_id = $1 and contact_global_id \
         in (select contact_global_id from campaign_members where campaign_id = $1 \
             order by contact_global_id limit 3)",
        [id.into()],
    )
    .await;
    test.exec(
        "update campaign_members set status = 'replied' where campaign_id = $1 and contact_global_id \
         = (select min(contact_global_id) from campaign_members where campaign_id = $1)",
        [id.into()],
    )
    .await;
    for (event, at) in [
        ("sent", day + Duration::minutes(20)),
        ("sent", day + Duration::minutes(70)),
        ("sent", day + Duration::minutes(75)),
        ("replied", day + Duration::hours(25)),
    ] {
        test.exec(
            "insert into campaign_events (project_id, account_scope_id, campaign_id, event_type, \
               occurred_at) values ($1, $2, $3, $4, $5)",
            [
                s.scope.project_id().into(),
                s.scope.account_scope_id().into(),
                id.into(),
                event.into(),
                at.into(),
            ],
        )
        .await;
    }

    // Act
    let hourly = report::campaign_report(&test.db, &s.scope, id, Bucket::Hour)
        .await
        .expect("hourly");
    let daily = report::campaign_report(&test.db, &s.scope, id, Bucket::Day)
        .await
        .expect("daily");

    // Assert
    let c = hourly.counts;
    assert_eq!(
        (c.total, c.pending, c.queued, c.sent, c.replied, c.skipped),
        (4, 0, 1, 2, 1, 0)
    );
    let points: Vec<_> = hourly
        .series
        .iter()
        .map(|p| (p.bucket, p.queued, p.sent, p.replied))
        .collect();
    assert_eq!(
        points,
        vec![
            (day, 4, 1, 0),
            (day + Duration::hours(1), 0, 2, 0),
            (day + Duration::hours(25), 0, 0, 1),
        ]
    );
    let points: Vec<_> = daily
        .series
        .iter()
        .map(|p| (p.bucket, p.queued, p.sent, p.replied))
        .collect();
    assert_eq!(
        points,
        vec![(day, 4, 3, 0), (day + Duration::days(1), 0, 0, 1)]
    );
    test.drop().await;
}

#[tokio::test]
async fn the_scheduler_enqueues_one_dispatch_per_due_campaign_and_the_job_starts_and_dispatches_it()
{
    // Arrange
    let test = TestDb::new().await;
    let s = stage(&test, 3).await;
    let due = draft(&test, &s, None).await;
    let later = draft(&test, &s, None).await;
    for (id, at) in [(due, None), (later, Some(Utc::now() + Duration::days(1)))] {
        campaigns::submit_campaign(&test.db, &s.scope, &s.creator.actor, id)
            .await
            .expect("submitted");
        campaigns::approve_campaign(&test.db, &s.scope, &s.approver.actor, id, at)
            .await
            .expect("approved");
    }
    let mut registry = JobRegistry::new();
    jobs::register_campaign_dispatch(&mut registry);

    // Act
    let enqueued = dispatch::enqueue_due(&test.db).await.expect("enqueued");
    let again = dispatch::enqueue_due(&test.db).await.expect("deduped");
    let executed = execute_one(&test.db, &registry, &WorkerSettings::named("test"))
        .await
        .expect("job runs")
        .expect("a job was due");

    // Assert
    assert_eq!((enqueued, again), (1, 0));
    assert_eq!(executed.kind, dispatch::DISPATCH_JOB);
    assert_eq!(executed.error, None);
    let started = campaigns::get_campaign(&test.db, &s.scope, due)
        .await
        .expect("due");
    assert_eq!(started.status, CampaignStatus::Running);
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from campaign_members where campaign_id = '{due}' and status = 'queued'"
        ))
        .await,
        3
    );
    let waiting = campaigns::get_campaign(&test.db, &s.scope, later)
        .await
        .expect("later");
    assert_eq!(waiting.status, CampaignStatus::Scheduled);
    test.drop().await;
}

/// Message `number` of the stage's Chatwoot account, as ingestion stores it.
fn chatwoot_message(
    s: &Stage,
    number: i64,
    conversation: &str,
    contact: i64,
    message_type: &str,
    status: &str,
    at: DateTime<Utc>,
) -> server::domain::conversations::normalize::MessageRow {
    let account = crate::helpers::chatwoot_account(&s.scope);
    server::domain::conversations::normalize::MessageRow {
        id: format!("cwmsg:{}:{account}:{number}", s.scope.project_id()),
        account_id: account,
        message_id: number,
        conversation_id: None,
        conversation_global_id: Some(conversation.to_owned()),
        contact_global_id: Some(crate::helpers::contact_id(&s.scope, contact)),
        sender_type: Some(
            if message_type == "incoming" {
                "Contact"
            } else {
                "User"
            }
            .to_owned(),
        ),
        sender_id: None,
        private: false,
        message_type: Some(message_type.to_owned()),
        content: Some(format!("message {number}")),
        data: json!({ "id": number, "status": status }),
        created_at: Some(at),
        updated_at: Some(at),
    }
}

#[tokio::test]
async fn synced_messages_record_each_members_delivery_and_first_reply_once() {
    // Arrange: both members' campaign messages were sent into their conversations as Chatwoot
    // messages 9001 and 9002 (what the sender records on success).
    let test = TestDb::new().await;
    let s = stage(&test, 2).await;
    let sent_at = Utc::now() - Duration::hours(1);
    let mut conversations = Vec::new();
    for n in 1..=2 {
        let contact = crate::helpers::contact_id(&s.scope, n);
        conversations.push(
            test.conversation(&s.scope, n, &contact, 1, &[], sent_at)
                .await,
        );
    }
    let id = running(&test, &s, None).await;
    run(&test, &s, id, sent_at).await;
    test.exec(
        "update outbound_messages set status = 'sent', sent_at = $1, \
           chatwoot_message_id = 9000 + split_part(contact_global_id, ':', 4)::bigint",
        [sent_at.into()],
    )
    .await;
    sender_sends(&test, id).await;
    let (first, second) = (&conversations[0], &conversations[1]);
    let minutes = |m: i64| sent_at + Duration::minutes(m);
    let sync = vec![
        chatwoot_message(&s, 9001, first, 1, "outgoing", "delivered", sent_at),
        chatwoot_message(&s, 9002, second, 2, "outgoing", "sent", sent_at),
        chatwoot_message(&s, 101, first, 1, "incoming", "sent", minutes(5)),
        chatwoot_message(&s, 102, first, 1, "incoming", "sent", minutes(9)),
        // Written before the campaign message: not a reply to it.
        chatwoot_message(&s, 103, second, 2, "incoming", "sent", minutes(-30)),
    ];

    // Act: a sync stores them; a later sync sees 9001 read and nothing else new.
    server::domain::conversations::store::upsert_messages(&test.db, &s.scope, &sync)
        .await
        .expect("stored");
    let mut later = sync.clone();
    later[0].data = json!({ "id": 9001, "status": "read" });
    server::domain::conversations::store::upsert_messages(&test.db, &s.scope, &later)
        .await
        .expect("stored again");

    // Assert
    let events = |kind: &str| {
        format!(
            "select count(*) from campaign_events where campaign_id = '{id}' \
             and event_type = '{kind}' and outbound_message_id is not null"
        )
    };
    assert_eq!(test.scalar(&events("delivered")).await, 1);
    assert_eq!(test.scalar(&events("replied")).await, 1);
    assert_eq!(
        test.text(&format!(
            "select string_agg(split_part(contact_global_id, ':', 4) || '=' || status, ',' \
               order by contact_global_id) from campaign_members where campaign_id = '{id}'"
        ))
        .await,
        "1=replied,2=sent"
    );
    assert_eq!(
        test.text(&format!(
            "select meta ->> 'message_id' from campaign_events \
             where campaign_id = '{id}' and event_type = 'replied'"
        ))
        .await,
        format!(
            "cwmsg:{}:{}:101",
            s.scope.project_id(),
            crate::helpers::chatwoot_account(&s.scope)
        )
    );
    let counts = report::campaign_report(&test.db, &s.scope, id, Bucket::Hour)
        .await
        .expect("report")
        .counts;
    assert_eq!((counts.replied, counts.sent), (1, 1));
    test.drop().await;
}
