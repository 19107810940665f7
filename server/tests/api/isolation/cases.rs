//! Every root field of the schema with the arguments that would reach project A's rows.
use super::*;

/// The operations that exercise each root field, aimed at A where arguments allow.
pub(super) fn cases(a: &Secrets) -> BTreeMap<&'static str, Vec<(String, Value)>> {
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
    // Settings answer and change B's own project only (A's stay as they are).
    add(
        "projectSettings",
        "{ projectSettings { outboundFourEyes defaultFrequencyCap optOutPhrases } }",
        json!({}),
    );
    add(
        "updateProjectSettings",
        "mutation { updateProjectSettings(input: { defaultFrequencyCap: 9 }) { defaultFrequencyCap } }",
        json!({}),
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
pub(super) fn outbound_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
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
pub(super) fn crm_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
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

pub(super) fn insight_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
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
pub(super) fn offer_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
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
pub(super) fn campaign_cases(a: &Secrets, add: &mut impl FnMut(&'static str, &str, Value)) {
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
