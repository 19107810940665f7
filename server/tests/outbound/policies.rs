//! Opt-out by inbound stop phrases, opt-in by a person, and the ingestion job that applies
//! the phrases.
use server::{
    domain::{
        outbound::{Actor, policies},
        signals::detection::{self, DetectOptions},
    },
    kernel::DomainError,
    workers::{JobRegistry, WorkerSettings, execute_one, jobs, queue::Recorded},
};

use crate::helpers::OutboundFixtures;
use crate::helpers::{Fixture, Written};

#[tokio::test]
async fn an_inbound_stop_message_opts_the_contact_out_with_the_message_as_evidence() {
    // Arrange: the contact writes STOP; a private note and an agent's reply say stop too.
    let f = Fixture::new().await;
    let (s, c, conv) = (&f.scope, &f.contact, &f.conversation);
    let stop = f
        .test
        .inbound(
            s,
            9001,
            conv,
            c,
            Written::Incoming,
            "STOP! No more messages please.",
        )
        .await;
    let note = f
        .test
        .inbound(
            s,
            9002,
            conv,
            &f.other_contact,
            Written::PrivateNote,
            "stop",
        )
        .await;
    let reply = f
        .test
        .inbound(
            s,
            9003,
            conv,
            &f.other_contact,
            Written::Outgoing,
            "We will stop",
        )
        .await;
    let chatter = f
        .test
        .inbound(
            s,
            9004,
            conv,
            &f.other_contact,
            Written::Incoming,
            "The pump stopped",
        )
        .await;
    let queued = f.approved("Anything new?").await;
    let ids = [stop.clone(), note, reply, chatter];

    // Act
    let first = policies::apply_inbound_opt_outs(f.db(), s, &ids)
        .await
        .expect("applied");
    let again = policies::apply_inbound_opt_outs(f.db(), s, &ids)
        .await
        .expect("applied again");
    let report = f.send().await;

    // Assert
    assert_eq!((first, again), (1, 0), "one contact, once");
    let policies = policies::contact_policies(f.db(), s, c)
        .await
        .expect("policies");
    assert_eq!(policies.policies.len(), 1);
    let all = &policies.policies[0];
    assert_eq!(all.channel, "all");
    assert!(all.opted_out);
    assert_eq!(all.opt_out_reason.as_deref(), Some("inbound_stop_phrase"));
    assert_eq!(
        all.opt_out_evidence,
        serde_json::json!([{ "kind": "message", "id": stop }])
    );
    assert_eq!(all.changed_by.as_deref(), Some("system:opt-out"));
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from audit_events where action = 'outbound.policy.opted_out' \
                 and actor = 'system:opt-out' and evidence_refs @> \
                 '[{{\"kind\": \"message\", \"id\": \"{stop}\"}}]'::jsonb"
            ))
            .await,
        1
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from contact_channel_policies where contact_global_id = '{}'",
                f.other_contact
            ))
            .await,
        0,
        "private notes, replies and look-alike words opt nobody out"
    );
    assert_eq!(
        report.blocked, 1,
        "the queued message is blocked: {report:?}"
    );
    assert_eq!(f.status(queued).await, "blocked");
    f.drop().await;
}

#[tokio::test]
async fn opting_in_again_is_a_persons_audited_act_and_outlives_the_old_stop_message() {
    // Arrange
    let f = Fixture::new().await;
    let stop = f
        .test
        .inbound(
            &f.scope,
            9101,
            &f.conversation,
            &f.contact,
            Written::Incoming,
            "Bitte abmelden",
        )
        .await;
    policies::apply_inbound_opt_outs(f.db(), &f.scope, std::slice::from_ref(&stop))
        .await
        .expect("opted out");

    // Act
    let by_system = policies::opt_in(
        f.db(),
        &f.scope,
        &Actor::system("campaigns"),
        &f.contact,
        "all",
    )
    .await;
    let by_person = policies::opt_in(f.db(), &f.scope, &f.author, &f.contact, "all")
        .await
        .expect("opted in");
    let replayed = policies::apply_inbound_opt_outs(f.db(), &f.scope, &[stop])
        .await
        .expect("replayed");
    let id = f.approved("Welcome back").await;
    let report = f.send().await;

    // Assert
    assert!(matches!(by_system, Err(DomainError::Forbidden)));
    assert!(!by_person.opted_out);
    assert!(by_person.opted_in_at.is_some());
    assert_eq!(
        by_person.changed_by.as_deref(),
        Some(f.author.audit.as_str())
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from audit_events where action = 'outbound.policy.opted_in' \
                 and actor = '{}' and meta->'lifted'->>'reason' = 'inbound_stop_phrase' \
                 and target_id = '{}'",
                f.author.audit, by_person.id
            ))
            .await,
        1
    );
    assert_eq!(replayed, 0, "an old stop message does not undo the opt-in");
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(f.status(id).await, "sent");
    f.drop().await;
}

#[tokio::test]
async fn project_phrases_replace_the_defaults() {
    // Arrange
    let f = Fixture::new().await;
    f.test
        .run(&format!(
            "insert into project_settings (project_id, account_scope_id, opt_out_phrases) \
             values ('{}', '{}', '[\"basta ya\"]')",
            f.scope.project_id(),
            f.scope.account_scope_id()
        ))
        .await;
    let (s, conv) = (&f.scope, &f.conversation);
    let default_word = f
        .test
        .inbound(s, 9201, conv, &f.other_contact, Written::Incoming, "stop")
        .await;
    let own_phrase = f
        .test
        .inbound(s, 9202, conv, &f.contact, Written::Incoming, "¡BASTA YA!")
        .await;

    // Act
    let n = policies::apply_inbound_opt_outs(f.db(), s, &[default_word, own_phrase])
        .await
        .expect("applied");

    // Assert
    assert_eq!(n, 1);
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from contact_channel_policies where opted_out \
                 and contact_global_id = '{}'",
                f.contact
            ))
            .await,
        1
    );
    f.drop().await;
}

#[tokio::test]
async fn the_signal_detection_job_applies_stop_phrases_to_ingested_messages() {
    // Arrange: ingestion queued detection for a new message that says unsubscribe.
    let f = Fixture::new().await;
    let message = f
        .test
        .inbound(
            &f.scope,
            9301,
            &f.conversation,
            &f.contact,
            Written::Incoming,
            "Please unsubscribe me from these emails",
        )
        .await;
    detection::enqueue_detection(f.db(), &f.scope, &[message], 0, 0)
        .await
        .expect("job queued");
    let mut registry = JobRegistry::new();
    jobs::register_signal_detection(
        &mut registry,
        DetectOptions {
            similarity_threshold: 0.6,
        },
    );

    // Act
    let executed = execute_one(f.db(), &registry, &WorkerSettings::named("test"))
        .await
        .expect("runs")
        .expect("a job");

    // Assert
    assert_eq!(
        executed.recorded,
        Recorded::Succeeded,
        "{:?}",
        executed.error
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from contact_channel_policies where opted_out \
                 and channel = 'all' and contact_global_id = '{}'",
                f.contact
            ))
            .await,
        1
    );
    f.drop().await;
}
