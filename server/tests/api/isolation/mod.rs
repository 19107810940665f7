//! A user of project B walks every root query and mutation of the schema, aimed at project A's
//! things wherever an argument allows, and must get nothing of A. The walk is driven by the
//! schema itself: a root field without a case here fails the test, so new fields cannot skip it.
mod arrange;
mod cases;
mod unchanged;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use self::{arrange::*, cases::*, unchanged::*};
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

#[tokio::test]
async fn a_user_of_another_project_gets_nothing_of_project_a_from_any_root_field() {
    // Arrange
    let app = spawn_app().await;
    let a = arrange_project_a(&app).await;
    let (bob, _) = app.user_with_project("bob", "Bravo").await;
    let bob_token = app
        .gql(
            As::Session(&bob),
            "mutation { createApiToken(input: { name: \"walk\", scopes: [READ, WRITE] }) { token } }",
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
    // A token manages no tokens; B's session is told A's token does not exist.
    let revokes: Vec<&Value> = responses
        .iter()
        .filter(|(f, _)| f == "revokeApiToken")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(revokes[0]["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(revokes[1]["errors"][0]["extensions"]["code"], "NOT_FOUND");
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
    assert_eq!(
        app.count(&format!(
            "select count(*) from project_settings where project_id = '{}' and default_frequency_cap = 9",
            a.project_id
        ))
        .await,
        0,
        "B's settings change left A's alone"
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
