//! Project A's data, written through the API as its owner would: the secrets the walk looks for.
use super::*;

/// What project A has that B must never see.
pub(super) struct Secrets {
    pub(super) markers: Vec<String>,
    pub(super) project_id: String,
    pub(super) token_id: String,
    pub(super) source_id: String,
    pub(super) contact_id: String,
    pub(super) conversation_id: String,
    pub(super) message_id: String,
    pub(super) crm_account_id: String,
    pub(super) crm_link_id: String,
    pub(super) opportunity_id: String,
    pub(super) stage_ids: Vec<String>,
    pub(super) insights: Insights,
    pub(super) sales: Sales,
    pub(super) outbound: Outbound,
}

/// A's outbound message (waiting for approval) and the opt-out policy of A's contact.
pub(super) struct Outbound {
    pub(super) message_id: String,
    pub(super) policy_id: String,
}

/// A's outbound rows, made through the API as alice.
pub(super) async fn arrange_outbound(app: &TestApp, alice: As<'_>, contact_id: &str) -> Outbound {
    let created = app
        .gql(
            alice,
            "mutation($i: CreateOutboundMessageInput!) { createOutboundMessage(input: $i) { id } }",
            json!({ "i": { "contactId": contact_id, "content": "alphatag outbound offer" } }),
        )
        .await;
    let message_id = created["data"]["createOutboundMessage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned();
    app.gql(
        alice,
        "mutation($id: ID!) { submitOutboundMessage(id: $id) { id } }",
        json!({ "id": message_id }),
    )
    .await;
    let policy = app
        .gql(
            alice,
            "mutation($c: ID!) { optOutContact(contactId: $c, channel: \"email\", reason: \"alphatag reason\") { id } }",
            json!({ "c": contact_id }),
        )
        .await;
    Outbound {
        message_id,
        policy_id: policy["data"]["optOutContact"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("opted out: {policy}"))
            .to_owned(),
    }
}

/// A's signal, next-best-action, radar item, health score and example phrase.
pub(super) struct Insights {
    pub(super) signal_id: String,
    pub(super) action_id: String,
    pub(super) radar_id: String,
    pub(super) phrase_id: String,
}

/// Writes A's insight rows straight into the tables (their producers are background jobs).
pub(super) async fn arrange_insights(
    app: &TestApp,
    project_id: &str,
    account_id: &str,
    message: &str,
) -> Insights {
    use sea_orm::ConnectionTrait;
    let signal_id = uuid::Uuid::new_v4().to_string();
    let action_id = uuid::Uuid::new_v4().to_string();
    let radar_id = uuid::Uuid::new_v4().to_string();
    let score_id = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "insert into signals (id, project_id, account_scope_id, signal_type, confidence, account_id, \
           message_global_id, summary, evidence_refs, dedupe_key) \
         select '{signal_id}', p.id, p.account_scope_id, 'churn_risk', 0.8, '{account_id}', '{message}', \
           'alphatag will not renew', jsonb_build_array(jsonb_build_object('kind', 'message', 'id', '{message}')), \
           'churn_risk:{message}' from projects p where p.id = '{project_id}'; \
         insert into next_best_actions (id, project_id, account_scope_id, account_id, signal_id, rule_key, \
           title, reason, evidence_refs, dedupe_key) \
         select '{action_id}', p.id, p.account_scope_id, '{account_id}', '{signal_id}', 'churn_risk_unanswered', \
           'Call alphatag', 'alphatag reason', '[{{\"kind\":\"signal\",\"id\":\"{signal_id}\"}}]', 'x:{signal_id}' \
           from projects p where p.id = '{project_id}'; \
         insert into health_scores (id, project_id, account_scope_id, account_id, score, band) \
         select '{score_id}', p.id, p.account_scope_id, '{account_id}', 31, 'critical' \
           from projects p where p.id = '{project_id}'; \
         insert into risk_radar_items (id, project_id, account_scope_id, account_id, kind, explanation, \
           evidence_refs, health_score_id, dedupe_key) \
         select '{radar_id}', p.id, p.account_scope_id, '{account_id}', 'band_drop', 'alphatag fell', \
           '[{{\"kind\":\"health_score\",\"id\":\"{score_id}\"}}]', '{score_id}', 'band_drop:{account_id}' \
           from projects p where p.id = '{project_id}'; \
         insert into signal_example_phrases (project_id, account_scope_id, signal_type, phrase) \
         select p.id, p.account_scope_id, 'churn_risk', 'alphatag phrase' from projects p where p.id = '{project_id}';"
    );
    app.db
        .execute_unprepared(&sql)
        .await
        .expect("insights arranged");
    let phrase_id = {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "select id::text from signal_example_phrases where project_id = '{project_id}'"
                ),
            ))
            .await
            .expect("phrase")
            .expect("one phrase");
        row.try_get_by_index::<String>(0).expect("id")
    };
    Insights {
        signal_id,
        action_id,
        radar_id,
        phrase_id,
    }
}

/// A's CRM rows, made through the API as alice: an account with a confirmed contact and an
/// opportunity in the first stage.
pub(super) struct Crm {
    pub(super) account_id: String,
    pub(super) link_id: String,
    pub(super) opportunity_id: String,
    pub(super) stage_ids: Vec<String>,
}

pub(super) async fn arrange_crm(app: &TestApp, alice: As<'_>, contact_id: &str) -> Crm {
    let account = app
        .gql(
            alice,
            "mutation { createCrmAccount(input: { name: \"alphatag Corp\", domain: \"alphatag.example.com\" }) { id } }",
            json!({}),
        )
        .await;
    let account_id = account["data"]["createCrmAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = app
        .gql(
            alice,
            "mutation($i: LinkAccountContactInput!) { linkAccountContact(input: $i) { id } }",
            json!({ "i": { "accountId": account_id, "contactId": contact_id, "role": "alphatag buyer" } }),
        )
        .await;
    let opportunity = app
        .gql(
            alice,
            "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id } }",
            json!({ "i": { "accountId": account_id, "name": "alphatag deal", "amount": "4242.42", "currency": "EUR" } }),
        )
        .await;
    let stages = app.gql(alice, "{ pipelineStages { id } }", json!({})).await;
    Crm {
        link_id: link["data"]["linkAccountContact"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        opportunity_id: opportunity["data"]["createOpportunity"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        stage_ids: stages["data"]["pipelineStages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect(),
        account_id,
    }
}

/// A's offer (submitted: approved at once, its discount is within the threshold), saved segment
/// and campaign (waiting for approval), made through the API as alice.
pub(super) struct Sales {
    pub(super) offer_id: String,
    pub(super) segment_id: String,
    pub(super) campaign_id: String,
}

pub(super) async fn arrange_sales(
    app: &TestApp,
    alice: As<'_>,
    account_id: &str,
    contact_id: &str,
) -> Sales {
    let offer = app
        .gql(
            alice,
            "mutation($i: CreateOfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "title": "alphatag offer", "accountId": account_id, "contactId": contact_id,
                           "currency": "EUR", "items": [{ "name": "alphatag seats", "quantity": "2",
                           "unitPrice": "4242.42", "discountPct": "5" }] } }),
        )
        .await;
    let offer_id = offer["data"]["createOffer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("offer created: {offer}"))
        .to_owned();
    let submitted = app
        .gql(
            alice,
            "mutation($id: ID!) { submitOffer(id: $id) { status } }",
            json!({ "id": offer_id }),
        )
        .await;
    assert_eq!(submitted["data"]["submitOffer"]["status"], "APPROVED");
    let segment = app
        .gql(
            alice,
            "mutation($i: SaveCampaignSegmentInput!) { saveCampaignSegment(input: $i) { id } }",
            json!({ "i": { "name": "alphatag segment", "definition": { "has_email": {} } } }),
        )
        .await;
    let segment_id = segment["data"]["saveCampaignSegment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("segment saved: {segment}"))
        .to_owned();
    let campaign = app
        .gql(
            alice,
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "alphatag campaign", "segmentId": segment_id,
                           "messageTemplate": "Hi {{first_name}}, alphatag news" } }),
        )
        .await;
    let campaign_id = campaign["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("campaign created: {campaign}"))
        .to_owned();
    let submitted = app
        .gql(
            alice,
            "mutation($id: ID!) { submitCampaign(id: $id) { status } }",
            json!({ "id": campaign_id }),
        )
        .await;
    assert_eq!(
        submitted["data"]["submitCampaign"]["status"],
        "PENDING_APPROVAL"
    );
    Sales {
        offer_id,
        segment_id,
        campaign_id,
    }
}

pub(super) async fn arrange_project_a(app: &TestApp) -> Secrets {
    let (alice, project_id) = app.user_with_project("alice", "Alpha Confidential").await;
    // Binding asks Chatwoot whether the token reads the account: A's Chatwoot answers it.
    let chatwoot = testkit::FakeChatwoot::start(
        testkit::fake_chatwoot::generate(&testkit::Scenario::small(9001)),
        "alpha-cw-token",
    )
    .await
    .expect("fake chatwoot starts");
    let base_url = chatwoot.base_url();
    let bound = app
        .gql(
            As::Session(&alice),
            "mutation($input: BindChatwootSourceInput!) { bindChatwootSource(input: $input) { id webhookPath } }",
            json!({ "input": { "baseUrl": base_url, "accountId": 9001,
                               "apiAccessToken": "alpha-cw-token", "webhookSecret": "alpha-hook-secret" } }),
        )
        .await;
    let source = &bound["data"]["bindChatwootSource"];
    let token = app
        .gql(
            As::Session(&alice),
            "mutation { createApiToken(input: { name: \"alpha-ci\", scopes: [READ, WRITE] }) { token apiToken { id prefix } } }",
            json!({}),
        )
        .await;
    let created = &token["data"]["createApiToken"];
    let mirror = app.seed_mirror(&project_id, 9001, "alphatag").await;
    let crm = arrange_crm(app, As::Session(&alice), &mirror.contact).await;
    let insights = arrange_insights(app, &project_id, &crm.account_id, &mirror.message).await;
    let sales = arrange_sales(app, As::Session(&alice), &crm.account_id, &mirror.contact).await;
    let outbound = arrange_outbound(app, As::Session(&alice), &mirror.contact).await;
    let audit = app
        .gql(
            As::Session(&alice),
            "{ auditEvents(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let mut markers = vec![
        "alphatag".to_owned(),
        // A's only member: B's member list (and any owner or assignee) must never name her.
        "alice".to_owned(),
        mirror.contact.clone(),
        mirror.open_conversation.clone(),
        mirror.message.clone(),
        project_id.clone(),
        "Alpha Confidential".to_owned(),
        base_url.clone(),
        "alpha-cw-token".to_owned(),
        "alpha-hook-secret".to_owned(),
        source["id"].as_str().unwrap().to_owned(),
        source["webhookPath"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned(),
        created["token"].as_str().unwrap().to_owned(),
        created["apiToken"]["id"].as_str().unwrap().to_owned(),
        created["apiToken"]["prefix"].as_str().unwrap().to_owned(),
        "alpha-ci".to_owned(),
        "4242.42".to_owned(),
        crm.account_id.clone(),
        crm.link_id.clone(),
        crm.opportunity_id.clone(),
    ];
    markers.extend(crm.stage_ids.iter().cloned());
    markers.extend([
        insights.signal_id.clone(),
        insights.action_id.clone(),
        insights.radar_id.clone(),
        insights.phrase_id.clone(),
        outbound.message_id.clone(),
        outbound.policy_id.clone(),
    ]);
    markers.extend([
        sales.offer_id.clone(),
        sales.segment_id.clone(),
        sales.campaign_id.clone(),
    ]);
    for edge in audit["data"]["auditEvents"]["edges"].as_array().unwrap() {
        markers.push(edge["node"]["id"].as_str().unwrap().to_owned());
    }
    Secrets {
        source_id: source["id"].as_str().unwrap().to_owned(),
        contact_id: mirror.contact,
        conversation_id: mirror.open_conversation,
        message_id: mirror.message,
        token_id: created["apiToken"]["id"].as_str().unwrap().to_owned(),
        crm_account_id: crm.account_id,
        crm_link_id: crm.link_id,
        opportunity_id: crm.opportunity_id,
        stage_ids: crm.stage_ids,
        insights,
        sales,
        outbound,
        markers,
        project_id,
    }
}
