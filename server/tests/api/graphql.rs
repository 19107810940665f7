use axum::http::StatusCode;
use sea_orm::ConnectionTrait;
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

/// Whether a GraphQL answer was refused for its cost or depth.
fn refused_as_too_costly(body: &serde_json::Value) -> bool {
    body["errors"].as_array().is_some_and(|errors| {
        errors.iter().any(|e| {
            let message = e["message"].as_str().unwrap_or_default();
            message.contains("too complex") || message.contains("nested too deep")
        })
    })
}

#[tokio::test]
async fn forty_aliases_of_a_hundred_accounts_with_their_signals_are_refused_before_running() {
    // Arrange: the request a free account could send to hold the pool.
    let app = spawn_app().await;
    let demo = app.login_demo().await;
    let alias = "crmAccounts(first: 100) { edges { node { id name \
                 signals(first: 100) { edges { node { id kind } } } \
                 healthHistory { score } nextBestActions { id } } } }";
    let query = format!(
        "{{ {} }}",
        (0..40)
            .map(|n| format!("a{n}: {alias}"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    // Act
    let body = app.gql(As::Session(&demo), &query, json!({})).await;
    let one = app
        .gql(As::Session(&demo), &format!("{{ {alias} }}"), json!({}))
        .await;

    // Assert: refused whole, and so is a single such page of pages.
    assert!(refused_as_too_costly(&body), "{body}");
    assert!(body["data"].is_null());
    assert!(refused_as_too_costly(&one), "{one}");
}

#[tokio::test]
async fn a_dozen_searches_in_one_request_are_refused() {
    // Arrange
    let app = spawn_app().await;
    let demo = app.login_demo().await;
    let query = format!(
        "{{ {} }}",
        (0..12)
            .map(|n| format!("s{n}: search(query: \"refund\", first: 5) {{ hits {{ score }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    // Act
    let body = app.gql(As::Session(&demo), &query, json!({})).await;

    // Assert
    assert!(refused_as_too_costly(&body), "{body}");
}

/// A value for a variable of GraphQL type `name`, or None when the test cannot make one.
fn sample_variable(var: &str, name: &str) -> Option<serde_json::Value> {
    match name {
        "Int" if var == "first" => Some(json!(100)),
        "Int" => Some(json!(1)),
        "ID" => Some(json!("00000000-0000-0000-0000-000000000000")),
        "String" => Some(json!("x")),
        "Boolean" => Some(json!(false)),
        _ => None,
    }
}

#[tokio::test]
async fn every_query_the_app_sends_fits_the_cost_limit_at_the_largest_page() {
    // Arrange: each query of app/graphql, with every `first` at its largest.
    use async_graphql::parser::{
        parse_query,
        types::{BaseType, DocumentOperations, OperationType},
    };
    let app = spawn_app().await;
    let demo = app.login_demo().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/graphql");
    let mut checked = Vec::new();
    let mut refused = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let document = parse_query(&text).unwrap();
        let DocumentOperations::Multiple(operations) = &document.operations else {
            continue;
        };
        for (name, operation) in operations {
            if operation.node.ty != OperationType::Query {
                continue;
            }
            let mut variables = serde_json::Map::new();
            let mut complete = true;
            for def in &operation.node.variable_definitions {
                let var = def.node.name.node.as_str();
                let value = match &def.node.var_type.node.base {
                    BaseType::Named(ty) => sample_variable(var, ty.as_str()),
                    BaseType::List(_) => None,
                };
                match value {
                    Some(v) => {
                        variables.insert(var.to_owned(), v);
                    }
                    None if def.node.var_type.node.nullable => {}
                    None => complete = false,
                }
            }
            if !complete {
                continue;
            }

            // Act
            let body = app
                .post_graphql_as(
                    As::Session(&demo),
                    json!({ "query": text, "operationName": name.as_str(), "variables": variables })
                        .to_string(),
                )
                .await
                .json();
            checked.push(name.to_string());
            if refused_as_too_costly(&body) {
                refused.push(name.to_string());
            }
        }
    }

    // Assert
    assert!(
        checked.len() >= 25,
        "only {} queries checked: {checked:?}",
        checked.len()
    );
    assert!(refused.is_empty(), "refused: {refused:?}");
}

#[tokio::test]
async fn requests_run_under_a_statement_timeout() {
    // Arrange
    let app = spawn_app().await;

    // Act: the pool the router serves requests with.
    let timeout = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "show statement_timeout",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    let cancelled = app.db.execute_unprepared("select pg_sleep(11)").await;

    // Assert
    assert_eq!(timeout, "10s");
    assert!(cancelled.is_err_and(|e| e.to_string().contains("statement timeout")));
}
