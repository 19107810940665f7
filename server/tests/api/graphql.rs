use axum::http::StatusCode;
use serde_json::json;
use server::config::AppEnv;

use testkit::app::{As, spawn_app, spawn_app_in};

const PROJECTS: &str = "query($first: Int, $after: String) { projects(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name createdAt } } } }";

#[tokio::test]
async fn projects_lists_the_demo_workspace_to_its_member() {
    // Arrange
    let app = spawn_app().await;
    let demo = app.login_demo().await;

    // Act
    let body = app.gql(As::Session(&demo), PROJECTS, json!({})).await;

    // Assert
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["projects"]["totalCount"], 1);
    assert_eq!(
        body["data"]["projects"]["edges"][0]["node"]["name"],
        "Demo workspace"
    );
}

#[tokio::test]
async fn projects_pages_with_cursors_without_gaps_or_repeats() {
    // Arrange
    let app = spawn_app().await;
    let demo = app.login_demo().await;
    for n in 1..=4 {
        let created = app
            .gql(
                As::Session(&demo),
                "mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }",
                json!({ "input": { "name": format!("Extra {n}") } }),
            )
            .await;
        assert!(created["errors"].is_null(), "{created}");
    }

    // Act
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let body = app
            .gql(
                As::Session(&demo),
                PROJECTS,
                json!({ "first": 2, "after": after }),
            )
            .await;
        let page = &body["data"]["projects"];
        assert_eq!(page["totalCount"], 5, "{body}");
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }

    // Assert
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 5);
    assert_eq!(unique.len(), 5);
}

#[tokio::test]
async fn an_out_of_range_page_size_is_a_validation_error() {
    // Arrange
    let app = spawn_app().await;
    let demo = app.login_demo().await;

    // Act
    let body = app
        .gql(As::Session(&demo), PROJECTS, json!({ "first": 1000 }))
        .await;

    // Assert
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"][0]["field"],
        "first"
    );
}

#[tokio::test]
async fn a_forged_cursor_is_a_validation_error() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let body = app
        .graphql(PROJECTS, json!({ "after": "bm90IGEgY3Vyc29y" }))
        .await;

    // Assert
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn batched_requests_are_refused() {
    // Arrange
    let app = spawn_app().await;
    let batch =
        json!([{ "query": "{ health { database } }" }, { "query": "{ health { database } }" }]);

    // Act
    let response = app.post_graphql_raw(batch.to_string()).await;

    // Assert
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(!response.body.contains("\"data\""));
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let padding = " ".repeat(2 * 1024 * 1024);
    let body = format!("{{\"query\": \"{{ health {{ database }} }}{padding}\"}}");

    // Act
    let response = app.post_graphql_raw(body).await;

    // Assert
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_query_deeper_than_the_limit_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";

    // Act
    let body = app.graphql(deep, json!({})).await;

    // Assert
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.to_lowercase().contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn get_on_graphql_never_executes_an_operation() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app.get("/graphql?query=%7Bhealth%7Bdatabase%7D%7D").await;

    // Assert: GraphiQL's page, not a result.
    assert_eq!(response.status, StatusCode::OK);
    assert!(!response.body.contains("\"data\""));
    assert!(response.body.to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn production_hides_introspection_suggestions_and_graphiql() {
    // Arrange
    let app = spawn_app_in(AppEnv::Production).await;

    // Act
    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    let typo = app.graphql("{ projectz { totalCount } }", json!({})).await;
    let anonymous = app.graphql(PROJECTS, json!({})).await;
    let graphiql = app.get("/graphql").await;

    // Assert
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
    let typo_message = typo["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!typo_message.contains("Did you mean"), "{typo_message}");
    assert_eq!(graphiql.status, StatusCode::NOT_FOUND);
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}
