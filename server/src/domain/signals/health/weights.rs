//! The project's measure weights: reading them, and setting them (validated to sum to 100).
use super::*;

/// The project's weights of every measure, in [`MEASURES`] order; [`DEFAULT_WEIGHTS`] when it
/// has set none.
pub async fn weights<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Vec<Weight>> {
    let rows = scope.rows::<crm_health_weights::Entity>().all(db).await?;
    if rows.is_empty() {
        return Ok(DEFAULT_WEIGHTS
            .iter()
            .map(|(measure, weight)| Weight {
                measure: *measure,
                weight: *weight,
                is_default: true,
            })
            .collect());
    }
    let stored: HashMap<Measure, i32> = rows.into_iter().map(|r| (r.measure, r.weight)).collect();
    Ok(MEASURES
        .iter()
        .map(|measure| Weight {
            measure: *measure,
            weight: stored.get(measure).copied().unwrap_or(0),
            is_default: false,
        })
        .collect())
}

pub(super) fn check_weights(input: &[(Measure, i32)]) -> DomainResult<()> {
    let mut checks = Checks::default();
    let mut seen = HashSet::new();
    for (measure, _) in input {
        if !seen.insert(*measure) {
            checks.fail(
                "weights",
                &format!("{} is given more than once", measure_key(*measure)),
            );
        }
    }
    for measure in MEASURES {
        if !seen.contains(&measure) {
            checks.fail(
                "weights",
                &format!(
                    "{} is missing: give every measure once",
                    measure_key(measure)
                ),
            );
        }
    }
    if input.iter().any(|(_, w)| !(0..=100).contains(w)) {
        checks.fail("weights", "every weight must be between 0 and 100");
    }
    let sum: i64 = input.iter().map(|(_, w)| i64::from(*w)).sum();
    if sum != 100 {
        checks.fail(
            "weights",
            &format!("the weights must sum to 100 (they sum to {sum})"),
        );
    }
    checks.finish()
}

pub(super) fn weights_json(weights: &[Weight]) -> Value {
    Value::Object(
        weights
            .iter()
            .map(|w| (measure_key(w.measure).to_owned(), json!(w.weight)))
            .collect(),
    )
}

/// Sets the project's weights: every measure exactly once, each 0..=100, summing to 100 (else
/// `Validation` on `weights` and nothing is written). Writes all of them in one transaction
/// and records `crm.health_weights.updated`. Setting the weights the project already has
/// writes nothing. Scores are not recomputed here: the caller enqueues that.
pub async fn set_weights(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: &[(Measure, i32)],
) -> DomainResult<Vec<Weight>> {
    check_weights(input)?;
    let txn = db.begin().await?;
    let before = weights(&txn, scope).await?;
    let wanted: HashMap<Measure, i32> = input.iter().copied().collect();
    let unchanged = before
        .iter()
        .all(|w| !w.is_default && wanted.get(&w.measure) == Some(&w.weight));
    if unchanged {
        txn.commit().await?;
        return Ok(before);
    }
    for measure in MEASURES {
        let weight = wanted.get(&measure).copied().unwrap_or(0);
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into crm_health_weights (project_id, account_scope_id, measure, weight) \
             values ($1, $2, $3, $4) \
             on conflict (project_id, measure) do update set weight = excluded.weight",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                measure_key(measure).into(),
                weight.into(),
            ],
        ))
        .await?;
    }
    let after = weights(&txn, scope).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.health_weights.updated",
            target_kind: Some("project"),
            target_id: Some(scope.project_id().to_string()),
            evidence: vec![EvidenceRef::new("project", scope.project_id())],
            meta: json!({
                "weights": weights_json(&after),
                "previous": weights_json(&before),
                "previousWereDefaults": before.iter().all(|w| w.is_default),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
