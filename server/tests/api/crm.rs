//! The CRM over GraphQL: accounts with their contacts, opportunities moving through the
//! pipeline, the board's totals and forecast, and what the API refuses.
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use testkit::app::{As, Session, TestApp, spawn_app};

const CREATE_ACCOUNT: &str = "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id name domain status } }";
const CREATE_OPPORTUNITY: &str = "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { id name amount currency stage { key } effectiveProbability weightedAmount } }";
const MOVE: &str = "mutation($i: MoveOpportunityStageInput!) { moveOpportunityStage(input: $i) { id stageId closedAt lostReason } }";
const BOARD: &str = "{ pipelineBoard { openTotals { currency amount weighted } columns { stage { id key kind } count totals { currency amount weighted } opportunities { id name } } } }";

async fn stages(app: &TestApp, session: &Session) -> Vec<Value> {
    let body = app
        .gql(
            As::Session(session),
            "{ pipelineStages { id key name position defaultProbability kind isClosed } }",
            json!({}),
        )
        .await;
    body["data"]["pipelineStages"]
        .as_array()
        .unwrap_or_else(|| panic!("stages: {body}"))
        .clone()
}

fn stage_id<'a>(stages: &'a [Value], key: &str) -> &'a str {
    stages
        .iter()
        .find(|s| s["key"] == key)
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no stage {key}"))
}

fn column<'a>(board: &'a Value, key: &str) -> &'a Value {
    board["data"]["pipelineBoard"]["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["stage"]["key"] == key))
        .unwrap_or_else(|| panic!("no column {key}: {board}"))
}

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

#[tokio::test]
async fn an_opportunity_moves_through_the_pipeline_and_the_board_follows() {
    // Arrange
    let app = spawn_app().await;
    let (session, project) = app.user_with_project("carol", "Carol project").await;
    let mirror = app.seed_mirror(&project, 601, "carol").await;
    let who = As::Session(&session);
    let account = app
        .gql(
            who,
            CREATE_ACCOUNT,
            json!({ "i": { "name": "Carol Corp", "domain": "Example.com" } }),
        )
        .await;
    let account_id = account["data"]["createCrmAccount"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("account: {account}"))
        .to_owned();
    let stages = stages(&app, &session).await;
    let big = app
        .gql(
            who,
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": account_id, "name": "Big deal", "amount": "1000",
                           "currency": "EUR", "sourceConversationId": mirror.open_conversation } }),
        )
        .await;
    let big_id = big["data"]["createOpportunity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("opportunity: {big}"))
        .to_owned();
    let small = app
        .gql(
            who,
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": account_id, "name": "Small deal", "amount": "500.50",
                           "currency": "EUR", "stageId": stage_id(&stages, "qualified"),
                           "probability": 40 } }),
        )
        .await;

    // Act
    let suggested = app
        .gql(
            who,
            "mutation($a: ID!) { suggestAccountContacts(accountId: $a) { id contactId status source contact { name } } }",
            json!({ "a": account_id }),
        )
        .await;
    let link_id = suggested["data"]["suggestAccountContacts"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("suggested: {suggested}"))
        .to_owned();
    let confirmed = app
        .gql(
            who,
            "mutation($id: ID!) { confirmAccountContact(id: $id) { status decidedBy } }",
            json!({ "id": link_id }),
        )
        .await;
    let to_proposal = app
        .gql(
            who,
            MOVE,
            json!({ "i": { "opportunityId": big_id, "toStageId": stage_id(&stages, "proposal"),
                           "note": "Asked for a quote",
                           "evidence": [{ "kind": "message", "id": mirror.message }] } }),
        )
        .await;
    let board_open = app.gql(who, BOARD, json!({})).await;
    let to_won = app
        .gql(
            who,
            MOVE,
            json!({ "i": { "opportunityId": big_id, "toStageId": stage_id(&stages, "won"),
                           "note": "Signed" } }),
        )
        .await;
    let board_won = app.gql(who, BOARD, json!({})).await;
    let detail = app
        .gql(
            who,
            "query($id: ID!) { opportunity(id: $id) { name amount closedAt account { name } stageHistory { fromStageKey toStageKey note amount currency probability changedBy evidence { kind id } } } }",
            json!({ "id": big_id }),
        )
        .await;
    let account_view = app
        .gql(
            who,
            "query($id: ID!) { crmAccount(id: $id) { name domain contacts { contactId status contact { email } } opportunities { totalCount edges { node { name amount } } } } }",
            json!({ "id": account_id }),
        )
        .await;
    let audit = app
        .gql(
            who,
            "{ auditEvents(first: 100) { edges { node { action actor evidence { kind id } } } } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(account["data"]["createCrmAccount"]["domain"], "example.com");
    let created = &big["data"]["createOpportunity"];
    assert_eq!(created["amount"], "1000.00");
    assert_eq!(created["stage"]["key"], "lead");
    assert_eq!(created["effectiveProbability"], 10);
    assert_eq!(created["weightedAmount"], "100.00");
    assert_eq!(
        small["data"]["createOpportunity"]["weightedAmount"],
        "200.20"
    );
    assert_eq!(
        suggested["data"]["suggestAccountContacts"][0]["contactId"],
        mirror.contact.as_str()
    );
    assert_eq!(
        suggested["data"]["suggestAccountContacts"][0]["source"],
        "EMAIL_DOMAIN"
    );
    assert_eq!(
        confirmed["data"]["confirmAccountContact"]["status"],
        "CONFIRMED"
    );
    assert!(to_proposal["errors"].is_null(), "{to_proposal}");

    let proposal = column(&board_open, "proposal");
    assert_eq!(proposal["count"], 1);
    assert_eq!(
        proposal["totals"],
        json!([{ "currency": "EUR", "amount": "1000.00", "weighted": "500.00" }])
    );
    assert_eq!(proposal["opportunities"][0]["name"], "Big deal");
    assert_eq!(column(&board_open, "qualified")["count"], 1);
    assert_eq!(column(&board_open, "lead")["count"], 0);
    assert_eq!(
        board_open["data"]["pipelineBoard"]["openTotals"],
        json!([{ "currency": "EUR", "amount": "1500.50", "weighted": "700.20" }])
    );

    assert!(
        !to_won["data"]["moveOpportunityStage"]["closedAt"].is_null(),
        "{to_won}"
    );
    assert_eq!(column(&board_won, "proposal")["count"], 0);
    assert_eq!(
        column(&board_won, "won")["totals"],
        json!([{ "currency": "EUR", "amount": "1000.00", "weighted": "1000.00" }])
    );
    assert_eq!(
        board_won["data"]["pipelineBoard"]["openTotals"],
        json!([{ "currency": "EUR", "amount": "500.50", "weighted": "200.20" }])
    );

    let history = detail["data"]["opportunity"]["stageHistory"]
        .as_array()
        .unwrap_or_else(|| panic!("history: {detail}"));
    let keys: Vec<(&Value, &Value)> = history
        .iter()
        .map(|e| (&e["fromStageKey"], &e["toStageKey"]))
        .collect();
    assert_eq!(
        keys,
        vec![
            (&Value::Null, &json!("lead")),
            (&json!("lead"), &json!("proposal")),
            (&json!("proposal"), &json!("won")),
        ]
    );
    assert_eq!(history[1]["note"], "Asked for a quote");
    assert_eq!(history[1]["probability"], 50);
    assert_eq!(history[1]["amount"], "1000.00");
    assert_eq!(
        history[1]["evidence"],
        json!([{ "kind": "message", "id": mirror.message }])
    );
    assert_eq!(history[2]["probability"], 100);
    assert!(!history[1]["changedBy"].is_null());
    assert_eq!(
        detail["data"]["opportunity"]["account"]["name"],
        "Carol Corp"
    );

    let view = &account_view["data"]["crmAccount"];
    assert_eq!(view["contacts"][0]["status"], "CONFIRMED", "{account_view}");
    assert_eq!(view["contacts"][0]["contact"]["email"], "carol@example.com");
    assert_eq!(view["opportunities"]["totalCount"], 2);

    let actions: Vec<&str> = audit["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("audit: {audit}"))
        .iter()
        .filter_map(|e| e["node"]["action"].as_str())
        .collect();
    for action in [
        "crm.account.created",
        "crm.contact_link.confirmed",
        "crm.opportunity.created",
        "crm.opportunity.stage_changed",
    ] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
    assert_eq!(
        app.count(
            "select count(*) from audit_events e join app_users u on e.actor = 'user:' || u.id::text \
             where e.action = 'crm.opportunity.stage_changed' and u.username = 'carol'"
        )
        .await,
        2,
        "both moves recorded as carol"
    );
}

#[tokio::test]
async fn a_token_caller_is_recorded_as_its_token() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("tess", "Tess project").await;
    let token = app
        .gql(
            As::Session(&session),
            "mutation { createApiToken(input: { name: \"crm-bot\", scopes: [WRITE] }) { token apiToken { id } } }",
            json!({}),
        )
        .await;
    let secret = token["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("token: {token}"))
        .to_owned();
    let token_id = token["data"]["createApiToken"]["apiToken"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Act
    let created = app
        .gql(
            As::Token(&secret),
            CREATE_ACCOUNT,
            json!({ "i": { "name": "Robot Ltd" } }),
        )
        .await;

    // Assert
    assert_eq!(
        created["data"]["createCrmAccount"]["status"], "ACTIVE",
        "{created}"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from audit_events where action = 'crm.account.created' \
             and actor = 'token:{token_id}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_validation_errors_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("vera", "Vera project").await;
    let who = As::Session(&session);
    let account = app
        .gql(who, CREATE_ACCOUNT, json!({ "i": { "name": "Vera Corp" } }))
        .await;
    let account_id = account["data"]["createCrmAccount"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("account: {account}"))
        .to_owned();

    // Act
    let bad_account = app
        .gql(
            who,
            CREATE_ACCOUNT,
            json!({ "i": { "name": "  ", "domain": "not a domain", "website": "ftp://x" } }),
        )
        .await;
    let bad_amounts: Vec<Value> = {
        let mut out = Vec::new();
        for amount in ["12.345", "-5", "1e3", "abc"] {
            out.push(
                app.gql(
                    who,
                    CREATE_OPPORTUNITY,
                    json!({ "i": { "accountId": account_id, "name": "Deal", "amount": amount,
                                   "currency": "EUR" } }),
                )
                .await,
            );
        }
        out
    };
    let bad_currency = app
        .gql(
            who,
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": account_id, "name": "Deal", "amount": "10",
                           "currency": "eur", "probability": 120 } }),
        )
        .await;
    let bad_id = app
        .gql(
            who,
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": "not-a-uuid", "name": "Deal", "amount": "10",
                           "currency": "EUR" } }),
        )
        .await;
    let bad_page = app
        .gql(who, "{ crmAccounts(first: 0) { totalCount } }", json!({}))
        .await;
    let bad_stage = app
        .gql(
            who,
            "mutation { createPipelineStage(input: { name: \"Trial\", defaultProbability: 150 }) { id } }",
            json!({}),
        )
        .await;
    let good = app
        .gql(
            who,
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": account_id, "name": "Deal", "amount": "10",
                           "currency": "EUR" } }),
        )
        .await;
    let good_id = good["data"]["createOpportunity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("good: {good}"))
        .to_owned();
    let stages = stages(&app, &session).await;
    let bad_evidence = app
        .gql(
            who,
            MOVE,
            json!({ "i": { "opportunityId": good_id, "toStageId": stage_id(&stages, "proposal"),
                           "evidence": [{ "kind": "rumour", "id": "x" }] } }),
        )
        .await;
    let foreign_evidence = app
        .gql(
            who,
            MOVE,
            json!({ "i": { "opportunityId": good_id, "toStageId": stage_id(&stages, "proposal"),
                           "evidence": [{ "kind": "message", "id": "cwmsg:00000000-0000-0000-0000-000000000000:1:1" }] } }),
        )
        .await;

    // Assert
    assert_eq!(code(&bad_account), "VALIDATION", "{bad_account}");
    let fields: Vec<&str> = bad_account["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields: {bad_account}"))
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["name", "domain", "website"]);
    for body in &bad_amounts {
        assert_eq!(code(body), "VALIDATION", "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["fields"][0]["field"],
            "amount"
        );
    }
    assert_eq!(code(&bad_currency), "VALIDATION", "{bad_currency}");
    assert_eq!(code(&bad_id), "VALIDATION", "{bad_id}");
    assert_eq!(code(&bad_page), "VALIDATION", "{bad_page}");
    assert_eq!(code(&bad_stage), "VALIDATION", "{bad_stage}");
    assert_eq!(code(&bad_evidence), "VALIDATION", "{bad_evidence}");
    assert_eq!(code(&foreign_evidence), "VALIDATION", "{foreign_evidence}");
    assert_eq!(app.count("select count(*) from crm_accounts").await, 1);
    assert_eq!(app.count("select count(*) from crm_opportunities").await, 1);
    assert_eq!(
        app.count("select count(*) from crm_opportunity_stage_events")
            .await,
        1,
        "refused moves wrote no history"
    );
    assert_eq!(
        app.count("select count(*) from crm_pipeline_stages").await,
        6
    );
}

#[tokio::test]
async fn a_cookie_mutation_without_its_csrf_token_is_forbidden() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("cody", "Cody project").await;

    // Act
    let refused = app
        .gql(
            As::SessionWithoutCsrf(&session),
            CREATE_ACCOUNT,
            json!({ "i": { "name": "Forged Inc" } }),
        )
        .await;
    let read = app
        .gql(
            As::SessionWithoutCsrf(&session),
            "{ crmAccounts { totalCount } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(read["data"]["crmAccounts"]["totalCount"], 0, "{read}");
    assert_eq!(app.count("select count(*) from crm_accounts").await, 0);
}

#[tokio::test]
async fn accounts_are_listed_archived_and_merged() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("mona", "Mona project").await;
    let who = As::Session(&session);
    let mut ids = Vec::new();
    for name in ["Zeta GmbH", "Acme Inc", "Acme Incorporated"] {
        let body = app
            .gql(who, CREATE_ACCOUNT, json!({ "i": { "name": name } }))
            .await;
        ids.push(
            body["data"]["createCrmAccount"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("account: {body}"))
                .to_owned(),
        );
    }
    app.gql(
        who,
        CREATE_OPPORTUNITY,
        json!({ "i": { "accountId": ids[2], "name": "Dup deal", "amount": "5", "currency": "USD" } }),
    )
    .await;
    let list = "query($f: CrmAccountFilter, $after: String) { crmAccounts(filter: $f, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name status } } } }";

    // Act
    let page1 = app.gql(who, list, json!({})).await;
    let page2 = app
        .gql(
            who,
            list,
            json!({ "after": page1["data"]["crmAccounts"]["pageInfo"]["endCursor"] }),
        )
        .await;
    let archived = app
        .gql(
            who,
            "mutation($id: ID!) { archiveCrmAccount(id: $id) { status archivedAt } }",
            json!({ "id": ids[0] }),
        )
        .await;
    let only_archived = app
        .gql(who, list, json!({ "f": { "status": "ARCHIVED" } }))
        .await;
    let merged = app
        .gql(
            who,
            "mutation($s: ID!, $t: ID!) { mergeCrmAccounts(sourceId: $s, targetId: $t) { movedOpportunities target { name opportunities { totalCount } } } }",
            json!({ "s": ids[2], "t": ids[1] }),
        )
        .await;
    let source = app
        .gql(
            who,
            "query($id: ID!) { crmAccount(id: $id) { status mergedIntoId } }",
            json!({ "id": ids[2] }),
        )
        .await;
    let renamed = app
        .gql(
            who,
            "mutation($id: ID!) { updateCrmAccount(id: $id, input: { name: \"Acme Group\", industry: null }) { name industry } }",
            json!({ "id": ids[1] }),
        )
        .await;

    // Assert
    let names = |body: &Value| -> Vec<String> {
        body["data"]["crmAccounts"]["edges"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|n| n["node"]["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        names(&page1),
        vec!["Acme Inc", "Acme Incorporated"],
        "{page1}"
    );
    assert_eq!(page1["data"]["crmAccounts"]["totalCount"], 3);
    assert_eq!(names(&page2), vec!["Zeta GmbH"]);
    assert_eq!(archived["data"]["archiveCrmAccount"]["status"], "ARCHIVED");
    assert_eq!(names(&only_archived), vec!["Zeta GmbH"]);
    let merge = &merged["data"]["mergeCrmAccounts"];
    assert_eq!(merge["movedOpportunities"], 1, "{merged}");
    assert_eq!(merge["target"]["opportunities"]["totalCount"], 1);
    assert_eq!(source["data"]["crmAccount"]["status"], "MERGED");
    assert_eq!(
        source["data"]["crmAccount"]["mergedIntoId"],
        ids[1].as_str()
    );
    assert_eq!(
        renamed["data"]["updateCrmAccount"]["name"], "Acme Group",
        "{renamed}"
    );
}

#[tokio::test]
async fn members_are_listed_and_name_the_owners_and_movers_of_accounts_and_deals() {
    // Arrange: alice's project with a second member, dave; eve works elsewhere.
    let app = spawn_app().await;
    let (alice, project) = app.user_with_project("alice", "Alice sales").await;
    let (_eve, _) = app.user_with_project("eve", "Eve elsewhere").await;
    app.create_member(&project, "dave").await;

    // Act
    let listed = app
        .gql(
            As::Session(&alice),
            "{ projectMembers { user { id username } role } }",
            json!({}),
        )
        .await;
    let members = listed["data"]["projectMembers"]
        .as_array()
        .unwrap_or_else(|| panic!("members: {listed}"))
        .clone();
    let dave_id = members[1]["user"]["id"].as_str().expect("dave's id");
    let account = app
        .gql(
            As::Session(&alice),
            "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id owner { user { username } role } } }",
            json!({ "i": { "name": "Owned Co", "ownerUserId": dave_id } }),
        )
        .await;
    let account_id = account["data"]["createCrmAccount"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("account: {account}"));
    let stage = stages(&app, &alice).await;
    let deal = app
        .gql(
            As::Session(&alice),
            "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { owner { user { username } } stageHistory { changedByMember { user { username } } } } }",
            json!({ "i": { "accountId": account_id, "name": "Renewal", "amount": "100.00",
                           "currency": "EUR", "ownerUserId": dave_id,
                           "stageId": stage_id(&stage, "qualified") } }),
        )
        .await;
    app.db
        .execute_unprepared("delete from project_members where user_id = (select id from app_users where username = 'dave')")
        .await
        .unwrap_or_else(|e| panic!("leave: {e}"));
    let after_leaving = app
        .gql(
            As::Session(&alice),
            "query($id: ID!) { crmAccount(id: $id) { ownerUserId owner { user { username } } } }",
            json!({ "id": account_id }),
        )
        .await;

    // Assert: members by username with roles, eve not among them; owners and movers named;
    // someone who left is no longer named (the stored id stays).
    assert_eq!(
        members
            .iter()
            .map(|m| (m["user"]["username"].clone(), m["role"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!("alice"), json!("OWNER")),
            (json!("dave"), json!("MEMBER"))
        ]
    );
    assert_eq!(
        account["data"]["createCrmAccount"]["owner"],
        json!({ "user": { "username": "dave" }, "role": "MEMBER" })
    );
    assert_eq!(
        deal["data"]["createOpportunity"]["owner"]["user"]["username"], "dave",
        "{deal}"
    );
    assert_eq!(
        deal["data"]["createOpportunity"]["stageHistory"][0]["changedByMember"]["user"]["username"],
        "alice",
        "{deal}"
    );
    assert_eq!(after_leaving["data"]["crmAccount"]["ownerUserId"], dave_id);
    assert!(
        after_leaving["data"]["crmAccount"]["owner"].is_null(),
        "{after_leaving}"
    );
}

#[tokio::test]
async fn every_board_card_names_its_own_account() {
    // Arrange: two accounts with a deal each, in the same stage (their accounts load in one
    // batch, keyed by id).
    let app = spawn_app().await;
    let (alice, _) = app.user_with_project("alice", "Alice sales").await;
    let stages = stages(&app, &alice).await;
    for name in ["Alpha Ltd", "Beta Ltd"] {
        let account = app
            .gql(
                As::Session(&alice),
                CREATE_ACCOUNT,
                json!({ "i": { "name": name } }),
            )
            .await;
        let account_id = account["data"]["createCrmAccount"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("account: {account}"))
            .to_owned();
        app.gql(
            As::Session(&alice),
            CREATE_OPPORTUNITY,
            json!({ "i": { "accountId": account_id, "name": format!("{name} deal"),
                           "amount": "10.00", "currency": "EUR",
                           "stageId": stage_id(&stages, "lead") } }),
        )
        .await;
    }

    // Act
    let board = app
        .gql(
            As::Session(&alice),
            "{ pipelineBoard { columns { stage { key } opportunities { name account { name } } } } }",
            json!({}),
        )
        .await;

    // Assert
    let mut cards: Vec<(String, String)> = column(&board, "lead")["opportunities"]
        .as_array()
        .unwrap_or_else(|| panic!("board: {board}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["account"]["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    cards.sort();
    assert_eq!(
        cards,
        vec![
            ("Alpha Ltd deal".to_owned(), "Alpha Ltd".to_owned()),
            ("Beta Ltd deal".to_owned(), "Beta Ltd".to_owned())
        ]
    );
}
