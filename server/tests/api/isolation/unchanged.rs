//! After the walk: project A's rows are exactly as they were (no mutation of B reached them).
use super::*;

/// A's account, contact link, opportunity and stages are as alice left them.
pub(super) async fn assert_crm_unchanged(app: &TestApp, a: &Secrets) {
    let i = &a.insights;
    for (what, sql) in [
        (
            "signal",
            format!(
                "select count(*) from signals where id = '{}' and status = 'open'",
                i.signal_id
            ),
        ),
        (
            "action",
            format!(
                "select count(*) from next_best_actions where id = '{}' and status = 'open'",
                i.action_id
            ),
        ),
        (
            "radar item",
            format!(
                "select count(*) from risk_radar_items where id = '{}' and status = 'open'",
                i.radar_id
            ),
        ),
        (
            "phrase",
            format!(
                "select count(*) from signal_example_phrases where id = '{}' and enabled",
                i.phrase_id
            ),
        ),
        (
            "weights",
            format!(
                "select 1 - count(*) from crm_health_weights where project_id = '{}'",
                a.project_id
            ),
        ),
        (
            "health",
            format!(
                "select count(*) from health_scores where project_id = '{}'",
                a.project_id
            ),
        ),
    ] {
        assert_eq!(app.count(&sql).await, 1, "A's {what} unchanged");
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from crm_accounts where id = '{}' and name = 'alphatag Corp' \
             and domain = 'alphatag.example.com' and status = 'active' and merged_into_id is null",
            a.crm_account_id
        ))
        .await,
        1,
        "A's account unchanged"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from crm_account_contacts where id = '{}' and link_status = 'confirmed' \
             and account_id = '{}'",
            a.crm_link_id, a.crm_account_id
        ))
        .await,
        1,
        "A's contact link unchanged"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from crm_opportunities where id = '{}' and name = 'alphatag deal' \
             and amount = 4242.42 and account_id = '{}' and stage_id = '{}'",
            a.opportunity_id, a.crm_account_id, a.stage_ids[0]
        ))
        .await,
        1,
        "A's opportunity unchanged"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from crm_opportunity_stage_events where opportunity_id = '{}'",
            a.opportunity_id
        ))
        .await,
        1,
        "no stage change on A's opportunity"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from crm_opportunities where project_id = '{}'",
            a.project_id
        ))
        .await,
        1,
        "nothing added to A's pipeline"
    );
    for (position, id) in a.stage_ids.iter().enumerate() {
        assert_eq!(
            app.count(&format!(
                "select count(*) from crm_pipeline_stages where id = '{id}' and position = {position} \
                 and name <> 'hijacked'"
            ))
            .await,
            1,
            "A's stage {position} unchanged"
        );
    }
}

/// A's offer, segment and campaign are as alice left them, and nothing was sent.
pub(super) async fn assert_sales_unchanged(app: &TestApp, a: &Secrets) {
    let sales = &a.sales;
    for (what, sql) in [
        (
            "offer",
            format!(
                "select count(*) from offers where id = '{}' and status = 'approved' \
                 and title = 'alphatag offer' and outbound_message_id is null",
                sales.offer_id
            ),
        ),
        (
            "offer decision",
            format!(
                "select count(*) from offer_approvals where offer_id = '{}'",
                sales.offer_id
            ),
        ),
        (
            "segment",
            format!(
                "select count(*) from campaign_segments where id = '{}' and name = 'alphatag segment'",
                sales.segment_id
            ),
        ),
        (
            "campaign",
            format!(
                "select count(*) from campaigns where id = '{}' and status = 'pending_approval' \
                 and name = 'alphatag campaign' and segment_id = '{}'",
                sales.campaign_id, sales.segment_id
            ),
        ),
        (
            "outbox",
            format!(
                "select 1 - count(*) from outbound_messages where project_id = '{}' \
                 and origin_kind in ('offer', 'campaign')",
                a.project_id
            ),
        ),
    ] {
        assert_eq!(app.count(&sql).await, 1, "A's {what} unchanged");
    }
}

/// A's outbound message still waits for approval, and A's contact keeps exactly its own
/// opt-out.
pub(super) async fn assert_outbound_unchanged(app: &TestApp, a: &Secrets) {
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbound_messages where id = '{}' \
             and status = 'pending_approval' and approved_at is null",
            a.outbound.message_id
        ))
        .await,
        1,
        "A's message unchanged"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbound_messages where project_id = '{}'",
            a.project_id
        ))
        .await,
        1,
        "nothing written to A's outbound"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from contact_channel_policies where contact_global_id = '{}'",
            a.contact_id
        ))
        .await,
        1,
        "A's contact has only its own policy"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from contact_channel_policies where id = '{}' and opted_out \
             and channel = 'email' and frequency_cap is null",
            a.outbound.policy_id
        ))
        .await,
        1,
        "A's opt-out unchanged"
    );
}
