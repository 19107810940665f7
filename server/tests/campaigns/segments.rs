//! Segments against known data: every leaf type and and/or/not give exactly the expected
//! contacts, the live count agrees, and saving validates, counts and keeps names unique.
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use server::{
    domain::campaigns::segments::{self, SegmentInput},
    kernel::Scope,
};

use crate::helpers::OfferFixtures;
use crate::helpers::{TestDb, contact_id, fields};

/// Five contacts of a project (and a look-alike of Ann in another project):
///
/// | # | name | email | city | plan | account | conversations | activity | signals |
/// |---|---|---|---|---|---|---|---|---|
/// | 1 | Ann Lee | ann@acme.com | Berlin | pro | Acme (confirmed, critical) | inbox 1, vip + emea | in 2 days ago | |
/// | 2 | Bob Stone | bob@beta.io | Paris | free | Beta (confirmed, healthy) | inbox 2 | out 40 days ago (private note yesterday) | |
/// | 3 | Cat | - | "berlin " | | - | inbox 1, churn | none | |
/// | 4 | Dan Brown | blank | | pro trial | Acme (only suggested) | - | none | buying_intent 60 days ago, churn_risk dismissed |
/// | 5 | Eve | eve@gamma.org | | | - | - | none | buying_intent 3 days ago |
async fn arrange(test: &TestDb) -> Scope {
    let now = Utc::now();
    let scope = test.project("p").await;
    let acme = test
        .account(&scope, "Acme", Some("acme.com"), Some("Retail"))
        .await;
    let beta = test
        .account(&scope, "Beta", Some("beta.io"), Some("Software"))
        .await;
    test.health(&scope, acme.id, "healthy", now - Duration::days(2))
        .await;
    test.health(&scope, acme.id, "critical", now - Duration::days(1))
        .await;
    test.health(&scope, beta.id, "critical", now - Duration::days(3))
        .await;
    test.health(&scope, beta.id, "healthy", now - Duration::hours(1))
        .await;

    let ann = test
        .contact(
            &scope,
            1,
            "Ann Lee",
            Some("ann@acme.com"),
            json!({ "city": "Berlin", "company_name": "Acme GmbH" }),
            json!({ "plan": "pro" }),
        )
        .await;
    test.link(&scope, acme.id, &ann, "confirmed").await;
    let c = test
        .conversation(
            &scope,
            11,
            &ann,
            1,
            &["vip", "emea"],
            now - Duration::days(1),
        )
        .await;
    test.message(&scope, 101, &c, "incoming", false, now - Duration::days(2))
        .await;

    let bob = test
        .contact(
            &scope,
            2,
            "Bob Stone",
            Some("bob@beta.io"),
            json!({ "city": "Paris" }),
            json!({ "plan": "free" }),
        )
        .await;
    test.link(&scope, beta.id, &bob, "confirmed").await;
    let c = test
        .conversation(&scope, 12, &bob, 2, &[], now - Duration::days(1))
        .await;
    test.message(&scope, 102, &c, "outgoing", false, now - Duration::days(40))
        .await;
    test.message(&scope, 103, &c, "outgoing", true, now - Duration::days(1))
        .await;

    let cat = test
        .contact(
            &scope,
            3,
            "Cat",
            None,
            json!({ "city": "berlin " }),
            json!({}),
        )
        .await;
    test.conversation(&scope, 13, &cat, 1, &["churn"], now)
        .await;

    let dan = test
        .contact(
            &scope,
            4,
            "Dan Brown",
            Some("  "),
            json!({}),
            json!({ "plan": "pro trial" }),
        )
        .await;
    test.link(&scope, acme.id, &dan, "suggested").await;
    test.signal(
        &scope,
        &dan,
        "buying_intent",
        "open",
        now - Duration::days(60),
    )
    .await;
    test.signal(
        &scope,
        &dan,
        "churn_risk",
        "dismissed",
        now - Duration::days(1),
    )
    .await;

    let eve = test
        .contact(
            &scope,
            5,
            "Eve",
            Some("eve@gamma.org"),
            json!({ "company_name": "Gamma" }),
            json!({}),
        )
        .await;
    test.signal(
        &scope,
        &eve,
        "buying_intent",
        "acknowledged",
        now - Duration::days(3),
    )
    .await;

    // Another project's Ann: never part of this project's segments.
    let other = test.project("other").await;
    let other_acme = test
        .account(&other, "Acme", Some("acme.com"), Some("Retail"))
        .await;
    let twin = test
        .contact(
            &other,
            1,
            "Ann Lee",
            Some("ann@acme.com"),
            json!({ "city": "Berlin" }),
            json!({ "plan": "pro" }),
        )
        .await;
    test.link(&other, other_acme.id, &twin, "confirmed").await;
    let c = test
        .conversation(&other, 11, &twin, 1, &["vip", "churn"], now)
        .await;
    test.message(&other, 101, &c, "incoming", false, now).await;
    scope
}

/// Checks each (tree, expected contact numbers) against the live count and the sample.
async fn check(test: &TestDb, scope: &Scope, cases: Vec<(Value, Vec<i64>)>) {
    for (definition, expected) in cases {
        let preview = segments::preview(&test.db, scope, &definition)
            .await
            .unwrap_or_else(|e| panic!("{definition}: {e:?}"));
        let sample: Vec<String> = preview.sample.iter().map(|c| c.id.clone()).collect();
        let wanted: Vec<String> = expected.iter().map(|n| contact_id(scope, *n)).collect();
        assert_eq!(sample, wanted, "{definition}");
        assert_eq!(preview.count, expected.len() as u64, "{definition}");
        let parsed = segments::parse(&definition).expect("valid");
        assert_eq!(
            segments::count_segment(&test.db, scope, &parsed)
                .await
                .expect("count"),
            expected.len() as u64,
            "{definition}"
        );
    }
}

#[tokio::test]
async fn each_leaf_matches_exactly_the_expected_contacts() {
    // Arrange
    let test = TestDb::new().await;
    let scope = arrange(&test).await;
    let attr = |key: &str, op: &str, value: Option<&str>| {
        let mut leaf = json!({ "key": key, "op": op });
        if let Some(value) = value {
            leaf["value"] = json!(value);
        }
        json!({ "contact_attribute": leaf })
    };
    let account = |field: &str, op: &str, value: Option<&str>| {
        let mut leaf = json!({ "field": field, "op": op });
        if let Some(value) = value {
            leaf["value"] = json!(value);
        }
        json!({ "account_attribute": leaf })
    };

    // Act + Assert
    check(
        &test,
        &scope,
        vec![
            (attr("name", "eq", Some(" ann lee ")), vec![1]),
            (attr("email", "contains", Some("ACME.COM")), vec![1]),
            (attr("email", "exists", None), vec![1, 2, 5]),
            (attr("additional.city", "eq", Some("Berlin")), vec![1, 3]),
            (attr("additional.company_name", "exists", None), vec![1, 5]),
            (attr("custom.plan", "contains", Some("pro")), vec![1, 4]),
            (attr("custom.plan", "eq", Some("pro")), vec![1]),
            (attr("custom.plan", "contains", Some("_")), vec![]),
            (attr("phone_number", "exists", None), vec![]),
            (account("industry", "eq", Some("retail")), vec![1]),
            (account("domain", "contains", Some("beta")), vec![2]),
            (account("name", "exists", None), vec![1, 2]),
            (account("status", "eq", Some("active")), vec![1, 2]),
            (json!({ "chatwoot_label": { "label": "vip" } }), vec![1]),
            (json!({ "chatwoot_label": { "label": "churn" } }), vec![3]),
            (json!({ "chatwoot_label": { "label": "VIP" } }), vec![]),
            (json!({ "inbox": { "inbox_id": 1 } }), vec![1, 3]),
            (json!({ "inbox": { "inbox_id": 2 } }), vec![2]),
            (json!({ "health_band": { "band": "critical" } }), vec![1]),
            (json!({ "health_band": { "band": "healthy" } }), vec![2]),
            (json!({ "health_band": { "band": "at_risk" } }), vec![]),
            (
                json!({ "signal": { "type": "buying_intent", "within_days": 30 } }),
                vec![5],
            ),
            (
                json!({ "signal": { "type": "buying_intent", "within_days": 90 } }),
                vec![4, 5],
            ),
            (
                json!({ "signal": { "type": "churn_risk", "within_days": 30 } }),
                vec![],
            ),
            (json!({ "last_activity": { "within_days": 7 } }), vec![1]),
            (
                json!({ "last_activity": { "within_days": 60 } }),
                vec![1, 2],
            ),
            (
                json!({ "last_activity": { "older_than_days": 30 } }),
                vec![2],
            ),
            (
                json!({ "last_activity": { "older_than_days": 1 } }),
                vec![1, 2],
            ),
            (json!({ "has_email": {} }), vec![1, 2, 5]),
        ],
    )
    .await;
    test.drop().await;
}

#[tokio::test]
async fn and_or_not_combine_leaves_exactly() {
    // Arrange
    let test = TestDb::new().await;
    let scope = arrange(&test).await;

    // Act + Assert
    check(
        &test,
        &scope,
        vec![
            (json!({ "and": [] }), vec![1, 2, 3, 4, 5]),
            (
                json!({ "and": [{ "has_email": {} }, { "inbox": { "inbox_id": 1 } }] }),
                vec![1],
            ),
            (
                json!({ "or": [
                    { "chatwoot_label": { "label": "churn" } },
                    { "health_band": { "band": "healthy" } }
                ] }),
                vec![2, 3],
            ),
            (json!({ "not": { "has_email": {} } }), vec![3, 4]),
            // A contact without any account is "not critical" too.
            (
                json!({ "not": { "health_band": { "band": "critical" } } }),
                vec![2, 3, 4, 5],
            ),
            // A missing email is "not equal" as well.
            (
                json!({ "not": { "contact_attribute":
                    { "key": "email", "op": "eq", "value": "bob@beta.io" } } }),
                vec![1, 3, 4, 5],
            ),
            (
                json!({ "and": [
                    { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "berlin" } },
                    { "not": { "has_email": {} } }
                ] }),
                vec![3],
            ),
            (
                json!({ "or": [
                    { "and": [{ "inbox": { "inbox_id": 1 } }, { "chatwoot_label": { "label": "vip" } }] },
                    { "and": [
                        { "signal": { "type": "buying_intent", "within_days": 90 } },
                        { "not": { "last_activity": { "within_days": 7 } } }
                    ] }
                ] }),
                vec![1, 4, 5],
            ),
            (
                json!({ "not": { "or": [
                    { "has_email": {} },
                    { "not": { "contact_attribute": { "key": "name", "op": "contains", "value": "a" } } }
                ] } }),
                vec![3, 4],
            ),
        ],
    )
    .await;
    test.drop().await;
}

#[tokio::test]
async fn saving_a_segment_stores_the_canonical_tree_and_its_count_under_a_unique_name() {
    // Arrange
    let test = TestDb::new().await;
    let scope = arrange(&test).await;
    let person = test.member(&scope, "marketer").await;
    let input = |name: &str, definition: Value| SegmentInput {
        id: None,
        name: name.to_owned(),
        description: Some("Berliners".to_owned()),
        definition,
    };

    // Act
    let saved = segments::save_segment(
        &test.db,
        &scope,
        &person.actor,
        input(
            "Berlin",
            json!({ "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } }),
        ),
    )
    .await
    .expect("saved");
    let duplicate = segments::save_segment(
        &test.db,
        &scope,
        &person.actor,
        input(" Berlin ", json!({ "has_email": {} })),
    )
    .await;
    let changed = segments::save_segment(
        &test.db,
        &scope,
        &person.actor,
        SegmentInput {
            id: Some(saved.id),
            ..input("Berlin", json!({ "has_email": {} }))
        },
    )
    .await
    .expect("changed");

    // Assert
    assert_eq!(saved.last_count, Some(2));
    assert_eq!(saved.created_by, Some(person.id));
    assert_eq!(fields(duplicate), vec!["name"]);
    assert_eq!(changed.definition, json!({ "has_email": {} }));
    assert_eq!(changed.last_count, Some(3));
    assert_eq!(test.count("campaign_segments").await, 1);
    assert_eq!(test.audits("campaign.segment_saved").await, 2);
    test.drop().await;
}

#[tokio::test]
async fn a_bad_tree_is_refused_with_its_path_and_nothing_is_saved() {
    // Arrange
    let test = TestDb::new().await;
    let scope = arrange(&test).await;
    let person = test.member(&scope, "marketer").await;

    // Act
    let result = segments::save_segment(
        &test.db,
        &scope,
        &person.actor,
        SegmentInput {
            id: None,
            name: "Broken".to_owned(),
            description: None,
            definition: json!({ "and": [
                { "has_email": {} },
                { "contact_attribute": { "key": "password", "op": "eq", "value": "x" } }
            ] }),
        },
    )
    .await;
    let preview = segments::preview(&test.db, &scope, &json!({ "everyone": true })).await;

    // Assert
    match result {
        Err(server::kernel::DomainError::Validation(errors)) => {
            assert_eq!(errors[0].field, "definition");
            assert!(
                errors[0]
                    .message
                    .contains("definition.and[1].contact_attribute: unknown key `password`"),
                "{}",
                errors[0].message
            );
        }
        other => panic!("expected validation, got {other:?}"),
    }
    assert_eq!(fields(preview), vec!["definition"]);
    assert_eq!(test.count("campaign_segments").await, 0);
    test.drop().await;
}
