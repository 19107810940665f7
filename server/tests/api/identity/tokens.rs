//! API tokens: shown once, scoped, never credentials managers, revocable.
use super::{
    sources::{BIND, bind_input_at},
    *,
};

#[tokio::test]
async fn a_token_works_without_cookies_or_csrf_and_is_never_readable_again() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("tokenuser", "Token project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "ci", "scopes": ["WRITE"] } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let me = app
        .gql(
            As::Token(&token),
            "{ me { username authMethod activeProject { name } } }",
            json!({}),
        )
        .await;
    let mutation = app
        .gql(
            As::Token(&token),
            "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id } }",
            json!({ "i": { "name": "Via token" } }),
        )
        .await;
    let listing = app
        .post_graphql_as(
            As::Session(&session),
            json!({ "query": "{ apiTokens { id name prefix createdAt lastUsedAt revokedAt scopes } }" })
                .to_string(),
        )
        .await;

    // Assert
    assert!(token.starts_with("rvi_"));
    assert_eq!(me["data"]["me"]["authMethod"], "TOKEN");
    assert_eq!(me["data"]["me"]["activeProject"]["name"], "Token project");
    assert!(mutation["errors"].is_null(), "{mutation}");
    assert_eq!(
        listing.json()["data"]["apiTokens"][0]["scopes"],
        json!(["READ", "WRITE"])
    );
    assert!(listing.json()["data"]["apiTokens"][0]["lastUsedAt"].is_string());
    assert!(!listing.body.contains(&token));
    assert!(!listing.body.contains(&token[10..]));
    assert_eq!(
        app.count(&format!(
            "select count(*) from api_tokens where token_hash = '{token}'"
        ))
        .await,
        0,
        "stored hashed"
    );
    let sdl = server::graphql::sdl();
    let api_token_type = sdl
        .split("type ApiToken {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(!api_token_type.contains("secret") && !api_token_type.contains("token:"));
}

/// A session user with a project and a token of `scopes` in it: (session, token secret).
async fn token_with(app: &testkit::app::TestApp, scopes: Value) -> (Session, String) {
    let (session, _) = app.user_with_project("leaky", "Leaky project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "integration", "scopes": scopes } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("token: {created}"))
        .to_owned();
    (session, token)
}

#[tokio::test]
async fn a_token_is_read_only_unless_created_with_the_write_scope() {
    // Arrange
    let app = spawn_app().await;
    let (_, token) = token_with(&app, Value::Null).await;
    let accounts_before = app.count("select count(*) from crm_accounts").await;

    // Act
    let read = app
        .gql(
            As::Token(&token),
            "{ crmAccounts(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    let write = app
        .gql(
            As::Token(&token),
            "mutation($i: CreateCrmAccountInput!) { createCrmAccount(input: $i) { id } }",
            json!({ "i": { "name": "Should not exist" } }),
        )
        .await;

    // Assert
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(write["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        write["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("read-only")
    );
    assert_eq!(
        app.count("select count(*) from crm_accounts").await,
        accounts_before
    );
}

#[tokio::test]
async fn a_leaked_write_token_cannot_mint_credentials_projects_sources_or_bind_codes() {
    // Arrange: the attacker holds a write token.
    let app = spawn_app().await;
    let (_, token) = token_with(&app, json!(["READ", "WRITE"])).await;
    let tables = "select (select count(*) from api_tokens) + (select count(*) from projects) \
                  + (select count(*) from project_sources) + (select count(*) from app_settings)";
    let before = app.count(tables).await;

    // Act
    let attempts = [
        app.gql(
            As::Token(&token),
            CREATE_TOKEN,
            json!({ "input": { "name": "forever" } }),
        )
        .await,
        app.gql(
            As::Token(&token),
            CREATE_PROJECT,
            json!({ "input": { "name": "Mine now" } }),
        )
        .await,
        app.gql(
            As::Token(&token),
            BIND,
            bind_input_at("https://chat.example.com", 777),
        )
        .await,
        app.gql(
            As::Token(&token),
            "mutation { createTelegramBindCode { code } }",
            json!({}),
        )
        .await,
    ];

    // Assert
    for attempt in &attempts {
        assert_eq!(
            attempt["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{attempt}"
        );
    }
    assert_eq!(app.count(tables).await, before);
}

#[tokio::test]
async fn a_token_lists_only_its_own_project() {
    // Arrange: the token's owner is a member of two projects.
    let app = spawn_app().await;
    let (session, token) = token_with(&app, Value::Null).await;
    app.gql(
        As::Session(&session),
        CREATE_PROJECT,
        json!({ "input": { "name": "Second project" } }),
    )
    .await;

    // Act
    let by_session = app
        .gql(
            As::Session(&session),
            "{ projects { totalCount } }",
            json!({}),
        )
        .await;
    let by_token = app
        .gql(
            As::Token(&token),
            "{ projects { totalCount edges { node { name } } } }",
            json!({}),
        )
        .await;

    // Assert
    assert_eq!(by_session["data"]["projects"]["totalCount"], 2);
    assert_eq!(by_token["data"]["projects"]["totalCount"], 1, "{by_token}");
    assert_eq!(
        by_token["data"]["projects"]["edges"][0]["node"]["name"],
        "Leaky project"
    );
}

#[tokio::test]
async fn a_revoked_token_is_rejected() {
    // Arrange
    let app = spawn_app().await;
    let (session, _) = app.user_with_project("revoker", "Revoke project").await;
    let created = app
        .gql(
            As::Session(&session),
            CREATE_TOKEN,
            json!({ "input": { "name": "old" } }),
        )
        .await;
    let token = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = created["data"]["createApiToken"]["apiToken"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Act
    let revoked = app
        .gql(
            As::Session(&session),
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": id }),
        )
        .await;
    let after = app
        .gql(As::Token(&token), "{ apiTokens { id } }", json!({}))
        .await;

    // Assert
    assert!(revoked["data"]["revokeApiToken"]["revokedAt"].is_string());
    assert_eq!(after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        app.count(
            "select count(*) from audit_events where action in ('token.created', 'token.revoked')"
        )
        .await,
        2
    );
}
