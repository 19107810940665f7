//! A user of project B walks every root query and mutation of the schema, aimed at project A's
//! things wherever an argument allows, and must get nothing of A. The walk is driven by the
//! schema itself: a root field without a case here fails the test, so new fields cannot skip it.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use testkit::app::{As, PASSWORD, TestApp, spawn_app};

/// Root query and mutation field names, read by introspection (on outside production).
async fn root_fields(app: &TestApp) -> Vec<String> {
    let schema = app
        .graphql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    ["queryType", "mutationType"]
        .iter()
        .flat_map(|root| {
            schema["data"]["__schema"][root]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

/// What project A has that B must never see.
struct Secrets {
    markers: Vec<String>,
    project_id: String,
    token_id: String,
    source_id: String,
    contact_id: String,
    conversation_id: String,
    message_id: String,
    crm_account_id: String,
    crm_link_id: String,
    opportunity_id: String,
    stage_ids: Vec<String>,
    insights: Insights,
    sales: Sales,
    outbound: Outbound,
}

/// A's outbound message (waiting for approval) and the opt-out policy of A's contact.
struct Outbound {
    message_id: String,
    policy_id: String,
}

/// A's outbound rows, made through the API as alice.
async fn arrange_outbound(app: &TestApp, alice: As<'_>, contact_id: &str) -> Outbound {
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
struct Insights {
    signal_id: String,
    action_id: String,
    radar_id: String,
    phrase_id: String,
}

/// Writes A's insight rows straight into the tables (their producers are background jobs).
async fn arrange_insights(
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
struct Crm {
    account_id: String,
    link_id: String,
    opportunity_id: String,
    stage_ids: Vec<String>,
}

async fn arrange_crm(app: &TestApp, alice: As<'_>, contact_id: &str) -> Crm {
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
struct Sales {
    offer_id: String,
    segment_id: String,
    campaign_id: String,
}

async fn arrange_sales(app: &TestApp, alice: As<'_>, account_id: &str, contact_id: &str) -> Sales {
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

async fn arrange_project_a(app: &TestApp) -> Secrets {
    let (alice, project_id) = app.user_with_project("alice", "Alpha Confidential").await;
    let bound = app
        .gql(
            As::Session(&alice),
            "mutation($input: BindChatwootSourceInput!) { bindChatwootSource(input: $input) { id webhookPath } }",
            json!({ "input": { "baseUrl": "https://alpha-chat.example.com", "accountId": 9001,
                               "apiAccessToken": "alpha-cw-token", "webhookSecret": "alpha-hook-secret" } }),
        )
        .await;
    let source = &bound["data"]["bindChatwootSource"];
    let token = app
        .gql(
            As::Session(&alice),
            "mutation { createApiToken(input: { name: \"alpha-ci\" }) { token apiToken { id prefix } } }",
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
        "alpha-chat.example.com".to_owned(),
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

/// The operations that exercise each root field, aimed at A where arguments allow.
fn cases(a: &Secrets) -> BTreeMap<&'static str, Vec<(String, Value)>> {
    let mut cases: BTreeMap<&'static str, Vec<(String, Value)>> = BTreeMap::new();
    let mut add = |field: &'static str, query: &str, variables: Value| {
        cases
            .entry(field)
            .or_default()
            .push((query.to_owned(), variables));
    };
    add("health", "{ health { database version } }", json!({}));
    add(
        "me",
        "{ me { username isAdmin authMethod csrfToken activeProject { id name } } }",
        json!({}),
    );
    add(
        "telegramStatus",
        "{ telegramStatus { botConfigured ownerBound } }",
        json!({}),
    );
    add(
        "projects",
        "{ projects(first: 100) { totalCount edges { cursor node { id name createdAt } } } }",
        json!({}),
    );
    add(
        "projectMembers",
        "{ projectMembers { user { id username } role joinedAt } }",
        json!({}),
    );
    add(
        "projectSources",
        "{ projectSources { id accountId baseUrl webhookPath hasApiAccessToken } }",
        json!({}),
    );
    add("apiTokens", "{ apiTokens { id name prefix } }", json!({}));
    add(
        "auditEvents",
        "{ auditEvents(first: 100) { totalCount edges { node { id actor action targetId evidence { kind id } meta } } } }",
        json!({}),
    );
    add(
        "auditEvents",
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "action": "source.bound" } }),
    );
    add(
        "contacts",
        "{ contacts(first: 100) { totalCount edges { node { id name email customAttributes } } } }",
        json!({}),
    );
    add(
        "contacts",
        "query($t: String) { contacts(filter: { text: $t }) { totalCount edges { node { id } } } }",
        json!({ "t": "alphatag" }),
    );
    add(
        "contact",
        "query($id: ID!) { contact(id: $id) { id name email } }",
        json!({ "id": a.contact_id }),
    );
    add(
        "conversations",
        "{ conversations(first: 100) { totalCount edges { node { id labels contact { id name } } } } }",
        json!({}),
    );
    add(
        "conversations",
        "query($c: ID) { conversations(filter: { contactId: $c }) { totalCount edges { node { id } } } }",
        json!({ "c": a.contact_id }),
    );
    add(
        "conversation",
        "query($id: ID!) { conversation(id: $id) { id messages { totalCount edges { node { id content } } } } }",
        json!({ "id": a.conversation_id }),
    );
    add(
        "syncStatus",
        "{ syncStatus { sourceId accountId baseUrl latestRun { id } } }",
        json!({}),
    );
    add(
        "syncRuns",
        "query($s: ID) { syncRuns(sourceId: $s, first: 50) { totalCount edges { node { id error meta } } } }",
        json!({ "s": a.source_id }),
    );
    add(
        "requestSync",
        "mutation($s: ID!) { requestSync(sourceId: $s) { jobId alreadyPending } }",
        json!({ "s": a.source_id }),
    );
    add(
        "search",
        "query($q: String!) { search(query: $q, first: 50) { vectorPath notice hits { chunkId text snippet { text highlight } message { id content } conversation { id } contact { id name } } } }",
        json!({ "q": "alphatag message" }),
    );
    add(
        "search",
        "query($q: String!, $f: SearchFilter) { search(query: $q, filter: $f) { hits { chunkId text } } }",
        json!({ "q": "alphatag", "f": { "conversation": a.conversation_id, "contact": a.contact_id } }),
    );
    add(
        "embeddingStatus",
        "{ embeddingStatus { model total ready failed pending indexingBacklog failedChunks(first: 200) { id messageId conversationId textPreview error } } }",
        json!({}),
    );
    add(
        "retryFailedChunks",
        "mutation { retryFailedChunks { requeued } }",
        json!({}),
    );
    add(
        "login",
        "mutation($i: LoginInput!) { login(input: $i) { user { id username } csrfToken } }",
        json!({ "i": { "username": "alice", "password": "wrong-password-guess" } }),
    );
    add("logout", "mutation { logout }", json!({}));
    add(
        "requestSignup",
        "mutation($i: RequestSignupInput!) { requestSignup(input: $i) { id username } }",
        json!({ "i": { "username": "alice", "password": PASSWORD } }),
    );
    add(
        "confirmSignup",
        "mutation($i: ConfirmSignupInput!) { confirmSignup(input: $i) { id username } }",
        json!({ "i": { "requestId": uuid::Uuid::new_v4().to_string(), "pin": "123456" } }),
    );
    add(
        "createTelegramBindCode",
        "mutation { createTelegramBindCode { code } }",
        json!({}),
    );
    add(
        "createProject",
        "mutation { createProject(input: { name: \"Bravo side project\" }) { id name } }",
        json!({}),
    );
    add(
        "switchProject",
        "mutation($id: ID!) { switchProject(projectId: $id) { id name } }",
        json!({ "id": a.project_id }),
    );
    add(
        "bindChatwootSource",
        "mutation($i: BindChatwootSourceInput!) { bindChatwootSource(input: $i) { id baseUrl } }",
        json!({ "i": { "baseUrl": "https://bravo.example.com", "accountId": 9001,
                        "apiAccessToken": "bravo-token", "webhookSecret": "bravo-secret" } }),
    );
    add(
        "createApiToken",
        "mutation { createApiToken(input: { name: \"bravo\" }) { token apiToken { id } } }",
        json!({}),
    );
    add(
        "revokeApiToken",
        "mutation($id: ID!) { revokeApiToken(id: $id) { id name revokedAt } }",
        json!({ "id": a.token_id }),
    );
    crm_cases(a, &mut add);
    insight_cases(a, &mut add);
    offer_cases(a, &mut add);
    campaign_cases(a, &mut add);
    outbound_cases(a, &mut add);
    cases
}

/// Cases of the outbound root fields: listings answer with B's own (empty) data, everything
/// aimed at A's message or contact is told it does not exist.
fn outbound_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
    let m = &a.outbound.message_id;
    add(
        "outboundMessages",
        "{ outboundMessages(first: 100) { totalCount edges { node { id content contactId contact { id name } attempts { attemptNo error } } } } }",
        json!({}),
    );
    add(
        "outboundMessages",
        "query($f: OutboundMessageFilter) { outboundMessages(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "contactId": a.contact_id, "status": "PENDING_APPROVAL", "originKind": "MANUAL" } }),
    );
    add(
        "outboundMessage",
        "query($id: ID!) { outboundMessage(id: $id) { id content attempts { attemptNo } } }",
        json!({ "id": m }),
    );
    add(
        "contactChannelPolicies",
        "query($c: ID!) { contactChannelPolicies(contactId: $c) { contactId policies { id channel optOutReason } } }",
        json!({ "c": a.contact_id }),
    );
    add(
        "createOutboundMessage",
        "mutation($i: CreateOutboundMessageInput!) { createOutboundMessage(input: $i) { id content } }",
        json!({ "i": { "contactId": a.contact_id, "conversationId": a.conversation_id, "content": "from B" } }),
    );
    for field in [
        "submitOutboundMessage",
        "approveOutboundMessage",
        "cancelOutboundMessage",
    ] {
        add(
            field,
            &format!("mutation($id: ID!) {{ {field}(id: $id) {{ id content status }} }}"),
            json!({ "id": m }),
        );
    }
    add(
        "rejectOutboundMessage",
        "mutation($id: ID!) { rejectOutboundMessage(id: $id, reason: \"by B\") { id content } }",
        json!({ "id": m }),
    );
    add(
        "optOutContact",
        "mutation($c: ID!) { optOutContact(contactId: $c, channel: \"all\", reason: \"by B\") { id optedOut } }",
        json!({ "c": a.contact_id }),
    );
    add(
        "optInContact",
        "mutation($c: ID!) { optInContact(contactId: $c, channel: \"email\") { id optedOut } }",
        json!({ "c": a.contact_id }),
    );
    add(
        "setContactFrequencyCap",
        "mutation($c: ID!) { setContactFrequencyCap(contactId: $c, channel: \"all\", cap: 0, windowSeconds: 60) { id frequencyCap } }",
        json!({ "c": a.contact_id }),
    );
}

/// Cases of the CRM root fields: reads that would list A's rows, writes aimed at them.
fn crm_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
    let other = uuid::Uuid::new_v4().to_string();
    add(
        "crmAccounts",
        "{ crmAccounts(first: 100) { totalCount edges { node { id name domain contacts { id contactId role } opportunities { totalCount edges { node { id name amount } } } } } } }",
        json!({}),
    );
    add(
        "crmAccounts",
        "query($f: CrmAccountFilter) { crmAccounts(filter: $f, orderBy: UPDATED_AT) { totalCount edges { node { id } } } }",
        json!({ "f": { "text": "alphatag" } }),
    );
    add(
        "crmAccount",
        "query($id: ID!) { crmAccount(id: $id) { id name contacts { id contact { id name } } } }",
        json!({ "id": a.crm_account_id }),
    );
    add(
        "pipelineStages",
        "{ pipelineStages { id key name position } }",
        json!({}),
    );
    add(
        "opportunities",
        "{ opportunities(first: 100) { totalCount edges { node { id name amount account { id name } stageHistory { id } } } } }",
        json!({}),
    );
    add(
        "opportunities",
        "query($f: OpportunityFilter) { opportunities(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "accountId": a.crm_account_id, "stageId": a.stage_ids[0] } }),
    );
    add(
        "opportunity",
        "query($id: ID!) { opportunity(id: $id) { id name amount stageHistory { id toStageKey } } }",
        json!({ "id": a.opportunity_id }),
    );
    add(
        "pipelineBoard",
        "{ pipelineBoard { openTotals { currency amount weighted } columns { stage { id name } count totals { amount } opportunities { id name } } } }",
        json!({}),
    );
    add(
        "pipelineBoard",
        "query($f: PipelineBoardFilter) { pipelineBoard(filter: $f) { columns { count opportunities { id } } } }",
        json!({ "f": { "accountId": a.crm_account_id } }),
    );
    add(
        "createCrmAccount",
        "mutation { createCrmAccount(input: { name: \"Bravo Buyer\", domain: \"example.com\" }) { id name } }",
        json!({}),
    );
    add(
        "updateCrmAccount",
        "mutation($id: ID!) { updateCrmAccount(id: $id, input: { name: \"hijacked\", domain: null }) { id name } }",
        json!({ "id": a.crm_account_id }),
    );
    add(
        "archiveCrmAccount",
        "mutation($id: ID!) { archiveCrmAccount(id: $id) { id status } }",
        json!({ "id": a.crm_account_id }),
    );
    add(
        "unarchiveCrmAccount",
        "mutation($id: ID!) { unarchiveCrmAccount(id: $id) { id status } }",
        json!({ "id": a.crm_account_id }),
    );
    add(
        "mergeCrmAccounts",
        "mutation($s: ID!, $t: ID!) { mergeCrmAccounts(sourceId: $s, targetId: $t) { movedOpportunities target { id name } } }",
        json!({ "s": a.crm_account_id, "t": other }),
    );
    add(
        "mergeCrmAccounts",
        "mutation($s: ID!, $t: ID!) { mergeCrmAccounts(sourceId: $s, targetId: $t) { movedOpportunities target { id name } } }",
        json!({ "s": other, "t": a.crm_account_id }),
    );
    add(
        "suggestAccountContacts",
        "mutation($a: ID!) { suggestAccountContacts(accountId: $a) { id contactId } }",
        json!({ "a": a.crm_account_id }),
    );
    add(
        "linkAccountContact",
        "mutation($i: LinkAccountContactInput!) { linkAccountContact(input: $i) { id contactId } }",
        json!({ "i": { "accountId": a.crm_account_id, "contactId": a.contact_id } }),
    );
    add(
        "confirmAccountContact",
        "mutation($id: ID!) { confirmAccountContact(id: $id) { id contactId } }",
        json!({ "id": a.crm_link_id }),
    );
    add(
        "rejectAccountContact",
        "mutation($id: ID!) { rejectAccountContact(id: $id) { id contactId } }",
        json!({ "id": a.crm_link_id }),
    );
    add(
        "createPipelineStage",
        "mutation { createPipelineStage(input: { name: \"Bravo trial\", defaultProbability: 30 }) { id key } }",
        json!({}),
    );
    add(
        "updatePipelineStage",
        "mutation($id: ID!) { updatePipelineStage(id: $id, input: { name: \"hijacked\" }) { id name } }",
        json!({ "id": a.stage_ids[1] }),
    );
    add(
        "reorderPipelineStages",
        "mutation($ids: [ID!]!) { reorderPipelineStages(stageIds: $ids) { id } }",
        json!({ "ids": a.stage_ids.iter().rev().collect::<Vec<_>>() }),
    );
    add(
        "deletePipelineStage",
        "mutation($id: ID!) { deletePipelineStage(id: $id) }",
        json!({ "id": a.stage_ids[3] }),
    );
    add(
        "createOpportunity",
        "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id name } }",
        json!({ "i": { "accountId": a.crm_account_id, "name": "stolen", "amount": "1",
                        "currency": "EUR", "sourceConversationId": a.conversation_id } }),
    );
    add(
        "updateOpportunity",
        "mutation($id: ID!) { updateOpportunity(id: $id, input: { name: \"hijacked\", amount: \"1\" }) { id name } }",
        json!({ "id": a.opportunity_id }),
    );
    add(
        "moveOpportunityStage",
        "mutation($i: MoveOpportunityStageInput!) { moveOpportunityStage(input: $i) { id stageId } }",
        json!({ "i": { "opportunityId": a.opportunity_id, "toStageId": a.stage_ids[4], "note": "moved by B" } }),
    );
}

fn insight_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
    let i = &a.insights;
    add(
        "message",
        "query($id: ID!) { message(id: $id) { id content conversationId } }",
        json!({ "id": a.message_id }),
    );
    add(
        "signals",
        "{ signals(first: 100) { totalCount edges { node { id summary account { id name } } } } }",
        json!({}),
    );
    add(
        "signals",
        "query($f: SignalFilter) { signals(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "accountId": a.crm_account_id, "conversationId": a.conversation_id } }),
    );
    add(
        "signal",
        "query($id: ID!) { signal(id: $id) { id summary } }",
        json!({ "id": i.signal_id }),
    );
    add(
        "signalExamplePhrases",
        "{ signalExamplePhrases { id phrase } }",
        json!({}),
    );
    add(
        "nextBestActions",
        "query($f: NextBestActionFilter) { nextBestActions(filter: $f, first: 100) { totalCount edges { node { id title reason } } } }",
        json!({ "f": { "accountId": a.crm_account_id } }),
    );
    add(
        "nextBestActions",
        "{ nextBestActions(first: 100, filter: { statuses: [OPEN, ACCEPTED, DONE, DISMISSED] }) { totalCount edges { node { id title } } } }",
        json!({}),
    );
    add(
        "nextBestActionRules",
        "{ nextBestActionRules { key description priority } }",
        json!({}),
    );
    add(
        "healthWeights",
        "{ healthWeights { measure weight isDefault } }",
        json!({}),
    );
    add(
        "riskRadar",
        "{ riskRadar(first: 100) { totalCount edges { node { id explanation accountName } } } }",
        json!({}),
    );
    add(
        "riskRadar",
        "query($f: RiskRadarFilter) { riskRadar(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "accountId": a.crm_account_id } }),
    );
    add(
        "setSignalStatus",
        "mutation($id: ID!) { setSignalStatus(id: $id, status: RESOLVED) { id summary } }",
        json!({ "id": i.signal_id }),
    );
    add("backfillSignals", "mutation { backfillSignals }", json!({}));
    add(
        "addSignalExamplePhrase",
        "mutation { addSignalExamplePhrase(type: UPSELL, phrase: \"Bravo wants more seats\") { id } }",
        json!({}),
    );
    add(
        "setSignalExamplePhraseEnabled",
        "mutation($id: ID!) { setSignalExamplePhraseEnabled(id: $id, enabled: false) { id phrase } }",
        json!({ "id": i.phrase_id }),
    );
    add(
        "deleteSignalExamplePhrase",
        "mutation($id: ID!) { deleteSignalExamplePhrase(id: $id) }",
        json!({ "id": i.phrase_id }),
    );
    for field in ["acceptNextBestAction", "completeNextBestAction"] {
        add(
            field,
            &format!("mutation($id: ID!) {{ {field}(id: $id) {{ id title }} }}"),
            json!({ "id": i.action_id }),
        );
    }
    add(
        "dismissNextBestAction",
        "mutation($id: ID!) { dismissNextBestAction(id: $id, reason: \"by B\") { id title } }",
        json!({ "id": i.action_id }),
    );
    add(
        "setHealthWeights",
        "mutation { setHealthWeights(weights: [{ measure: REPLY_LATENCY, weight: 20 }, { measure: UNRESOLVED_CONVERSATIONS, weight: 20 }, { measure: RECENT_SIGNALS, weight: 20 }, { measure: ACTIVITY_RECENCY, weight: 20 }, { measure: OPPORTUNITY_STATE, weight: 20 }]) { measure weight } }",
        json!({}),
    );
    add(
        "recomputeAccountHealth",
        "mutation($id: ID!) { recomputeAccountHealth(accountId: $id) { id score } }",
        json!({ "id": a.crm_account_id }),
    );
    add(
        "setRiskItemStatus",
        "mutation($id: ID!) { setRiskItemStatus(id: $id, status: RESOLVED) { id explanation } }",
        json!({ "id": i.radar_id }),
    );
}

/// Cases of the offer root fields: listings would show A's offer, writes aim at it.
fn offer_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
    let offer = &a.sales.offer_id;
    add(
        "offers",
        "{ offers(first: 100) { totalCount edges { node { id title total items { name } approvals { id policy } contact { id } messagePreview } } } }",
        json!({}),
    );
    add(
        "offers",
        "query($f: OfferFilter) { offers(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "status": "APPROVED", "accountId": a.crm_account_id } }),
    );
    add(
        "offer",
        "query($id: ID!) { offer(id: $id) { id title items { name } } }",
        json!({ "id": offer }),
    );
    add(
        "offerApprovalInbox",
        "{ offerApprovalInbox { id title } }",
        json!({}),
    );
    add(
        "createOffer",
        "mutation($i: CreateOfferInput!) { createOffer(input: $i) { id title } }",
        json!({ "i": { "title": "stolen", "accountId": a.crm_account_id, "contactId": a.contact_id,
                        "items": [{ "name": "x", "quantity": "1", "unitPrice": "1" }] } }),
    );
    add(
        "updateOffer",
        "mutation($id: ID!) { updateOffer(id: $id, input: { title: \"hijacked\" }) { id title } }",
        json!({ "id": offer }),
    );
    for field in ["submitOffer", "sendOffer"] {
        add(
            field,
            &format!("mutation($id: ID!) {{ {field}(id: $id) {{ id title status }} }}"),
            json!({ "id": offer }),
        );
    }
    add(
        "approveOffer",
        "mutation($id: ID!) { approveOffer(id: $id, comment: \"by B\") { id status } }",
        json!({ "id": offer }),
    );
    add(
        "rejectOffer",
        "mutation($id: ID!) { rejectOffer(id: $id, comment: \"by B\") { id status } }",
        json!({ "id": offer }),
    );
    add(
        "recordOfferAnswer",
        "mutation($id: ID!) { recordOfferAnswer(id: $id, accepted: false) { id status } }",
        json!({ "id": offer }),
    );
}

/// Cases of the segment and campaign root fields.
fn campaign_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
    let segment = &a.sales.segment_id;
    let campaign = &a.sales.campaign_id;
    add(
        "campaignSegments",
        "{ campaignSegments { id name definition lastCount } }",
        json!({}),
    );
    add(
        "campaignSegment",
        "query($id: ID!) { campaignSegment(id: $id) { id name } }",
        json!({ "id": segment }),
    );
    add(
        "previewSegment",
        "query($d: JSON!) { previewSegment(definition: $d) { count sample { id name email } } }",
        json!({ "d": { "and": [] } }),
    );
    add(
        "previewSegment",
        "query($d: JSON!) { previewSegment(definition: $d) { count sample { id } } }",
        json!({ "d": { "contact_attribute": { "key": "name", "op": "contains", "value": "alphatag" } } }),
    );
    add(
        "saveCampaignSegment",
        "mutation($i: SaveCampaignSegmentInput!) { saveCampaignSegment(input: $i) { id name lastCount } }",
        json!({ "i": { "name": "Bravo segment", "definition": { "has_email": {} } } }),
    );
    add(
        "saveCampaignSegment",
        "mutation($i: SaveCampaignSegmentInput!) { saveCampaignSegment(input: $i) { id name } }",
        json!({ "i": { "id": segment, "name": "hijacked", "definition": { "and": [] } } }),
    );
    add(
        "deleteCampaignSegment",
        "mutation($id: ID!) { deleteCampaignSegment(id: $id) }",
        json!({ "id": segment }),
    );
    add(
        "campaigns",
        "{ campaigns(first: 100) { totalCount edges { node { id name messageTemplate segment { id name } report { counts { total } series { bucket } } } } } }",
        json!({}),
    );
    add(
        "campaigns",
        "query($f: CampaignFilter) { campaigns(filter: $f) { totalCount edges { node { id } } } }",
        json!({ "f": { "status": "PENDING_APPROVAL" } }),
    );
    add(
        "campaign",
        "query($id: ID!) { campaign(id: $id) { id name report(bucket: DAY) { counts { total } } } }",
        json!({ "id": campaign }),
    );
    add(
        "createCampaign",
        "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id name } }",
        json!({ "i": { "name": "stolen", "segmentId": segment, "messageTemplate": "Hi" } }),
    );
    add(
        "updateCampaign",
        "mutation($id: ID!) { updateCampaign(id: $id, input: { name: \"hijacked\" }) { id name } }",
        json!({ "id": campaign }),
    );
    add(
        "approveCampaign",
        "mutation($id: ID!) { approveCampaign(id: $id) { id status } }",
        json!({ "id": campaign }),
    );
    add(
        "rejectCampaign",
        "mutation($id: ID!) { rejectCampaign(id: $id, comment: \"by B\") { id status } }",
        json!({ "id": campaign }),
    );
    for field in [
        "submitCampaign",
        "startCampaign",
        "pauseCampaign",
        "resumeCampaign",
        "cancelCampaign",
    ] {
        add(
            field,
            &format!("mutation($id: ID!) {{ {field}(id: $id) {{ id name status }} }}"),
            json!({ "id": campaign }),
        );
    }
}

#[tokio::test]
async fn a_user_of_another_project_gets_nothing_of_project_a_from_any_root_field() {
    // Arrange
    let app = spawn_app().await;
    let a = arrange_project_a(&app).await;
    let (bob, _) = app.user_with_project("bob", "Bravo").await;
    let bob_token = app
        .gql(
            As::Session(&bob),
            "mutation { createApiToken(input: { name: \"walk\" }) { token } }",
            json!({}),
        )
        .await["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let fields = root_fields(&app).await;
    let cases = cases(&a);

    // Act: every case, as B's session and as B's token (logout last, it ends the session).
    let missing: Vec<&String> = fields
        .iter()
        .filter(|f| !cases.contains_key(f.as_str()))
        .collect();
    let mut responses = Vec::new();
    for who in [As::Token(&bob_token), As::Session(&bob)] {
        for (field, list) in cases.iter().filter(|(f, _)| **f != "logout") {
            for (query, variables) in list {
                responses.push((
                    field.to_string(),
                    app.gql(who, query, variables.clone()).await,
                ));
            }
        }
    }
    for (query, variables) in &cases["logout"] {
        responses.push((
            "logout".to_owned(),
            app.gql(As::Session(&bob), query, variables.clone()).await,
        ));
    }

    // Assert
    assert!(
        missing.is_empty(),
        "root fields without an isolation case: {missing:?}"
    );
    assert!(
        fields.len() >= 24,
        "the walk saw the whole schema: {fields:?}"
    );
    for (field, response) in &responses {
        let text = response.to_string();
        for marker in &a.markers {
            assert!(
                !text.contains(marker.as_str()),
                "{field} leaked {marker:?}: {text}"
            );
        }
    }
    // A token cannot switch projects at all; B's session is told A does not exist.
    let switches: Vec<&Value> = responses
        .iter()
        .filter(|(f, _)| f == "switchProject")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(switches[0]["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(switches[1]["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let revoked = responses
        .iter()
        .find(|(f, _)| f == "revokeApiToken")
        .unwrap();
    assert_eq!(revoked.1["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(
        app.count(&format!(
            "select count(*) from api_tokens where id = '{}' and revoked_at is null",
            a.token_id
        ))
        .await,
        1,
        "A's token still live"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from project_members where project_id = '{}'",
            a.project_id
        ))
        .await,
        1,
        "nobody joined A"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from rag_chunks where project_id = '{}' and embedding_status = 'failed'",
            a.project_id
        ))
        .await,
        1,
        "B's retry left A's failed chunk alone"
    );
    assert_eq!(
        app.count("select count(*) from project_sources where external_id = '9001'")
            .await,
        1,
        "A keeps its Chatwoot account"
    );
    assert_crm_unchanged(&app, &a).await;
    assert_sales_unchanged(&app, &a).await;
    assert_outbound_unchanged(&app, &a).await;
    // The CRM cases really ran: reads answer with B's own (empty) data, writes aimed at A are
    // told A's rows do not exist.
    let code_of = |field: &str| -> Vec<&Value> {
        responses
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| &r["errors"][0]["extensions"]["code"])
            .collect()
    };
    for field in [
        "crmAccounts",
        "pipelineStages",
        "opportunities",
        "pipelineBoard",
        "createCrmAccount",
        "createPipelineStage",
        "signals",
        "signalExamplePhrases",
        "nextBestActions",
        "nextBestActionRules",
        "healthWeights",
        "riskRadar",
        "backfillSignals",
        "setHealthWeights",
        "offers",
        "offerApprovalInbox",
        "campaignSegments",
        "previewSegment",
        "campaigns",
        "outboundMessages",
    ] {
        assert!(code_of(field).iter().all(|c| c.is_null()), "{field} failed");
    }
    // B saves its own segment once (the second try is B's own duplicate name); A's is not found.
    assert_eq!(
        code_of("saveCampaignSegment"),
        [
            &Value::Null,
            &json!("NOT_FOUND"),
            &json!("VALIDATION"),
            &json!("NOT_FOUND")
        ]
    );
    // B adds its own phrase once; the second try is B's own duplicate.
    assert_eq!(
        code_of("addSignalExamplePhrase"),
        [&Value::Null, &json!("VALIDATION")]
    );
    for field in [
        "crmAccount",
        "opportunity",
        "updateCrmAccount",
        "archiveCrmAccount",
        "unarchiveCrmAccount",
        "mergeCrmAccounts",
        "suggestAccountContacts",
        "linkAccountContact",
        "confirmAccountContact",
        "rejectAccountContact",
        "updatePipelineStage",
        "deletePipelineStage",
        "createOpportunity",
        "updateOpportunity",
        "moveOpportunityStage",
        "signal",
        "setSignalStatus",
        "setSignalExamplePhraseEnabled",
        "deleteSignalExamplePhrase",
        "acceptNextBestAction",
        "completeNextBestAction",
        "dismissNextBestAction",
        "recomputeAccountHealth",
        "setRiskItemStatus",
        "message",
        "offer",
        "createOffer",
        "updateOffer",
        "submitOffer",
        "approveOffer",
        "rejectOffer",
        "sendOffer",
        "recordOfferAnswer",
        "campaignSegment",
        "deleteCampaignSegment",
        "campaign",
        "createCampaign",
        "updateCampaign",
        "submitCampaign",
        "approveCampaign",
        "rejectCampaign",
        "startCampaign",
        "pauseCampaign",
        "resumeCampaign",
        "cancelCampaign",
        "outboundMessage",
        "contactChannelPolicies",
        "createOutboundMessage",
        "submitOutboundMessage",
        "approveOutboundMessage",
        "rejectOutboundMessage",
        "cancelOutboundMessage",
        "optOutContact",
        "optInContact",
        "setContactFrequencyCap",
    ] {
        assert!(
            code_of(field).iter().all(|c| *c == "NOT_FOUND"),
            "{field}: {:?}",
            code_of(field)
        );
    }
    assert!(
        code_of("reorderPipelineStages")
            .iter()
            .all(|c| *c == "VALIDATION")
    );
}

/// A's account, contact link, opportunity and stages are as alice left them.
async fn assert_crm_unchanged(app: &TestApp, a: &Secrets) {
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
async fn assert_sales_unchanged(app: &TestApp, a: &Secrets) {
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
async fn assert_outbound_unchanged(app: &TestApp, a: &Secrets) {
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
