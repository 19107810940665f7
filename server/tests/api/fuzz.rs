//! Fuzzing as a test: generated GraphQL documents (random fields and arguments, variables of
//! the wrong types, huge strings, deep nesting, broken syntax) and webhook bodies (random,
//! truncated, wrong encodings, huge) go through the whole router. Nothing may answer 5xx or
//! panic, and the refused requests write nothing. The run is bounded by a count and a time
//! budget (about a minute on CI); `FUZZ_SEED` replays a run.
use std::time::{Duration, Instant};

use axum::{
    body::Body,
    http::{Request, header},
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use testkit::app::{As, TestApp, spawn_app};

const DOCUMENTS: usize = 2_500;
const WEBHOOK_BODIES: usize = 1_500;
const BUDGET: Duration = Duration::from_secs(50);

/// Root fields of the schema, read from its SDL.
fn root_fields(kind: &str) -> Vec<String> {
    let sdl = server::graphql::sdl();
    let Some(body) = sdl.split(&format!("type {kind} {{")).nth(1) else {
        return Vec::new();
    };
    let body = body.split("\n}").next().unwrap_or_default();
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('"') && !l.is_empty())
        .filter_map(|l| l.split(['(', ':']).next())
        .map(str::to_owned)
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => "x".repeat(rng.random_range(10_000..200_000)),
        1 => (0..rng.random_range(0..40))
            .map(|_| char::from_u32(rng.random_range(0..0x3000)).unwrap_or('?'))
            .collect(),
        2 => "\\\"'\n\t{}[]$@!".to_owned(),
        3 => "00000000-0000-0000-0000-000000000000".to_owned(),
        4 => "cw:1:2:3".to_owned(),
        _ => format!("{}", rng.random::<i64>()),
    }
}

fn random_value(rng: &mut StdRng, depth: u32) -> String {
    match rng.random_range(0..9) {
        0 => rng.random::<i64>().to_string(),
        1 => format!("{}", rng.random::<f64>() * 1e12),
        2 => serde_json::to_string(&random_text(rng)).unwrap_or_default(),
        3 => "true".to_owned(),
        4 => "null".to_owned(),
        5 if depth < 4 => format!(
            "{{ {} }}",
            (0..rng.random_range(0..5))
                .map(|i| format!("f{i}: {}", random_value(rng, depth + 1)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        6 if depth < 4 => format!(
            "[{}]",
            (0..rng.random_range(0..5))
                .map(|_| random_value(rng, depth + 1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        7 => "$v".to_owned(),
        _ => "ACTIVE".to_owned(),
    }
}

const ARGUMENTS: [&str; 10] = [
    "first",
    "after",
    "id",
    "input",
    "filter",
    "query",
    "definition",
    "projectId",
    "sourceId",
    "i",
];
const SUBFIELDS: [&str; 10] = [
    "id",
    "name",
    "totalCount",
    "edges",
    "node",
    "pageInfo",
    "__typename",
    "status",
    "hits",
    "errors",
];

fn random_selection(rng: &mut StdRng, depth: u32) -> String {
    if depth == 0 || rng.random_bool(0.3) {
        return pick(rng, &SUBFIELDS).to_string();
    }
    format!(
        "{} {{ {} }}",
        pick(rng, &SUBFIELDS),
        (0..rng.random_range(1..4))
            .map(|_| random_selection(rng, depth - 1))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// One generated request body for `/graphql` (usually JSON, sometimes not).
fn random_document(rng: &mut StdRng, queries: &[String], mutations: &[String]) -> Vec<u8> {
    let mutation = rng.random_bool(0.4) && !mutations.is_empty();
    let field = if mutation {
        pick(rng, mutations)
    } else {
        pick(rng, queries)
    };
    let args = (0..rng.random_range(0..4))
        .map(|_| format!("{}: {}", pick(rng, &ARGUMENTS), random_value(rng, 0)))
        .collect::<Vec<_>>()
        .join(", ");
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({args})")
    };
    let aliases = rng.random_range(1..4);
    let selection = (0..aliases)
        .map(|n| format!("a{n}: {field}{args} {{ {} }}", random_selection(rng, 4)))
        .collect::<Vec<_>>()
        .join(" ");
    let mut document = format!(
        "{} ($v: {}) {{ {selection} }}",
        if mutation { "mutation" } else { "query" },
        pick(rng, &["Int", "String!", "ID", "[Int!]!", "Boolean", "JSON"])
    );
    match rng.random_range(0..10) {
        0 => document = "{".repeat(rng.random_range(50..5_000)),
        1 => {
            let keep = rng.random_range(0..document.chars().count().max(1));
            document = document.chars().take(keep).collect();
        }
        2 => document = format!("{{ {} }}", "a { ".repeat(200) + &"}".repeat(200)),
        _ => {}
    }
    let variables = match rng.random_range(0..5) {
        0 => json!({ "v": random_text(rng) }),
        1 => json!({ "v": [1, "two", null, {"x": 3}] }),
        2 => json!("not an object"),
        3 => Value::Null,
        _ => json!({ "v": rng.random::<i64>() }),
    };
    let body = json!({ "query": document, "variables": variables }).to_string();
    match rng.random_range(0..12) {
        0 => body.as_bytes()[..rng.random_range(0..body.len())].to_vec(),
        1 => vec![0xff, 0xfe, 0x00, 0xc3, 0x28],
        2 => json!([{ "query": "{ me { username } }" }, { "query": "{ health { database } }" }])
            .to_string()
            .into_bytes(),
        _ => body.into_bytes(),
    }
}

/// One generated webhook body.
fn random_webhook(rng: &mut StdRng) -> Vec<u8> {
    let event = pick(
        rng,
        &[
            "message_created",
            "message_updated",
            "contact_created",
            "conversation_updated",
            "x",
        ],
    );
    let body = json!({
        "event": event,
        "id": rng.random::<i64>(),
        "account": { "id": rng.random_range(-2..3) },
        "content": random_text(rng),
        "conversation": { "id": rng.random::<i32>(), "messages": [random_text(rng)] },
        "sender": { "id": "not-a-number", "type": random_text(rng) },
        "created_at": random_text(rng),
    })
    .to_string();
    match rng.random_range(0..6) {
        0 => body.as_bytes()[..rng.random_range(0..body.len())].to_vec(),
        1 => (0..rng.random_range(0..5_000))
            .map(|_| rng.random::<u8>())
            .collect(),
        2 => "[".repeat(rng.random_range(100..20_000)).into_bytes(),
        3 => format!(
            "{{\"event\":\"message_created\",\"pad\":\"{}\"}}",
            "y".repeat(2_000_000)
        )
        .into_bytes(),
        _ => body.into_bytes(),
    }
}

/// Rows in every table a request could write, but the attempt counters (a refused login is
/// still counted, on purpose).
async fn written(app: &TestApp) -> i64 {
    let tables: Vec<String> = testkit::strings(
        &app.db,
        "select table_name::text from information_schema.tables \
         where table_schema = 'public' and table_type = 'BASE TABLE' \
           and table_name not in ('rate_limits', 'schema_migrations')",
    )
    .await;
    let sum = tables
        .iter()
        .map(|t| format!("(select count(*) from \"{t}\")"))
        .collect::<Vec<_>>()
        .join(" + ");
    app.count(&format!("select {sum}")).await
}

#[tokio::test]
async fn generated_documents_and_webhook_bodies_never_answer_5xx_or_write_when_refused() {
    // Arrange: a signed webhook source, a signed-in browser that will not send its CSRF token,
    // and the schema's root fields.
    let app = spawn_app().await;
    app.db
        .execute_unprepared(
            "with p as (select id, account_scope_id from projects limit 1) \
         insert into project_sources (project_id, account_scope_id, source_kind, external_id, \
           source_key, base_url, api_access_token, webhook_secret, verify_signatures) \
         select id, account_scope_id, 'chatwoot_account', '4242', 'fuzz-source', \
           'http://127.0.0.1:9', 'token', 'secret', true from p",
        )
        .await
        .expect("a signed source");
    let session = app.login_demo().await;
    let (queries, mutations) = (root_fields("QueryRoot"), root_fields("MutationRoot"));
    assert!(
        queries.len() > 20 && mutations.len() > 20,
        "{queries:?} {mutations:?}"
    );
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207_u64);
    let mut rng = StdRng::seed_from_u64(seed);
    let before = written(&app).await;
    let started = Instant::now();

    // Act
    let mut failures = Vec::new();
    let mut sent = 0;
    for n in 0..DOCUMENTS {
        if started.elapsed() > BUDGET {
            break;
        }
        let body = random_document(&mut rng, &queries, &mutations);
        let who = if n % 2 == 0 {
            As::Anonymous
        } else {
            As::SessionWithoutCsrf(&session)
        };
        let response = match String::from_utf8(body.clone()) {
            Ok(text) => app.post_graphql_as(who, text).await,
            // Not UTF-8: sent as it is.
            Err(_) => {
                app.send(
                    Request::post("/graphql")
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body.clone()))
                        .unwrap(),
                )
                .await
            }
        };
        sent += 1;
        if response.status.is_server_error() {
            failures.push(format!(
                "graphql {}: {}",
                response.status,
                String::from_utf8_lossy(&body)
            ));
        }
    }
    for _ in 0..WEBHOOK_BODIES {
        if started.elapsed() > BUDGET * 2 {
            break;
        }
        let body = random_webhook(&mut rng);
        let request = Request::post("/webhooks/chatwoot/fuzz-source")
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                "x-chatwoot-timestamp",
                chrono::Utc::now().timestamp().to_string(),
            )
            .header("x-chatwoot-signature", "sha256=00")
            .header(
                "x-chatwoot-delivery",
                format!("fuzz-{}", rng.random::<u32>()),
            )
            .body(Body::from(body.clone()))
            .unwrap();
        let response = app.send(request).await;
        sent += 1;
        if response.status.is_server_error() || response.status.is_success() {
            failures.push(format!(
                "webhook {}: {}",
                response.status,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
    }

    // Assert
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(
        written(&app).await,
        before,
        "seed {seed}: a refused request wrote rows"
    );
    assert!(sent >= 500, "only {sent} requests fit the budget");
}
