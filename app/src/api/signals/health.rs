//! Account health: the project's weights, one account's health with its signals and
//! actions, and recomputing it.
use leptos::prelude::*;

use super::*;

/// The working project's health weights.
#[server(endpoint = "signals/health-weights")]
pub async fn health_weights() -> Result<Vec<WeightRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let weights =
        crate::api::executor::run::<HealthWeightsQuery>(health_weights_query::Variables {})
            .await?
            .health_weights;
    Ok(weights
        .into_iter()
        .map(|w| WeightRow {
            measure: name(&w.measure),
            weight: w.weight,
            is_default: w.is_default,
        })
        .collect())
}

/// Sets the five health weights (whole numbers summing to 100).
#[server(endpoint = "signals/set-health-weights")]
pub async fn set_health_weights(
    reply_latency: String,
    unresolved_conversations: String,
    recent_signals: String,
    activity_recency: String,
    opportunity_state: String,
    csrf: String,
) -> Result<Vec<WeightRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let fields = [
        ("replyLatency", &reply_latency),
        ("unresolvedConversations", &unresolved_conversations),
        ("recentSignals", &recent_signals),
        ("activityRecency", &activity_recency),
        ("opportunityState", &opportunity_state),
    ];
    let mut values = [0i64; 5];
    let mut problems = Vec::new();
    for (i, (field, raw)) in fields.iter().enumerate() {
        match raw.trim().parse::<i64>() {
            Ok(v) => values[i] = v,
            Err(_) => problems.push(format!("{field}: enter a whole number")),
        }
    }
    if !problems.is_empty() {
        return Err(crate::api::executor::invalid_input(format!(
            "Invalid input: {}",
            problems.join("; ")
        ))
        .into());
    }
    let [a, b, c, d, e] = values;
    let set = crate::api::executor::run_mutation::<SetHealthWeightsMutation>(
        set_health_weights_mutation::Variables {
            reply_latency: a,
            unresolved_conversations: b,
            recent_signals: c,
            activity_recency: d,
            opportunity_state: e,
        },
        &csrf,
    )
    .await?
    .set_health_weights;
    Ok(set
        .into_iter()
        .map(|w| WeightRow {
            measure: name(&w.measure),
            weight: w.weight,
            is_default: w.is_default,
        })
        .collect())
}

/// An account's health (latest and history), latest signals and open actions.
#[server(endpoint = "signals/account")]
pub async fn account_insights(account_id: String) -> Result<AccountInsightsView, ServerFnError> {
    use std::collections::HashMap;

    use convert::*;
    use ops::*;

    let a = crate::api::executor::run::<AccountInsightsQuery>(account_insights_query::Variables {
        id: account_id,
    })
    .await?
    .crm_account;
    let mut history: Vec<HealthPoint> = a
        .health_history
        .into_iter()
        .map(|h| HealthPoint {
            score: h.score,
            band: name(&h.band),
            at: epoch(&h.computed_at),
            computed_at: h.computed_at,
        })
        .collect();
    history.sort_by_key(|p| p.at);
    // Where the evidence messages were said: the signals listed here place theirs; the rest
    // are looked up.
    let said: SignalPlaces = a
        .signals
        .edges
        .iter()
        .map(|e| {
            (
                e.node.id.clone(),
                (e.node.conversation_id.clone(), e.node.message_id.clone()),
            )
        })
        .collect();
    let mut messages: HashMap<String, String> = said
        .values()
        .filter_map(|(c, m)| Some((m.clone()?, c.clone()?)))
        .collect();
    let health_refs: Vec<(String, String)> = a
        .health
        .as_ref()
        .map(|h| {
            h.evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
                .collect()
        })
        .unwrap_or_default();
    let action_refs: Vec<(String, String)> = a
        .next_best_actions
        .iter()
        .flat_map(|n| n.evidence.iter().map(|r| (r.kind.clone(), r.id.clone())))
        .collect();
    resolve_messages(
        message_ids(health_refs.iter().chain(&action_refs)),
        &mut messages,
    )
    .await;
    let health_evidence = evidence(
        health_refs,
        &EvidenceContext {
            conversation: None,
            account: Some(&a.id),
            signal_href: None,
            signals: Some(&said),
            message_conversations: Some(&messages),
        },
    );
    Ok(AccountInsightsView {
        health: a.health.map(|h| HealthView {
            score: h.score,
            band: name(&h.band),
            previous_score: h.previous_score,
            trend: name(&h.trend),
            measures: h
                .measures
                .into_iter()
                .map(|m| MeasureRow {
                    measure: name(&m.measure),
                    value: m.value,
                    score: m.score,
                    weight: m.weight,
                })
                .collect(),
            evidence: health_evidence,
            computed_at: h.computed_at,
        }),
        history,
        signals_total: a.signals.total_count,
        signals: a
            .signals
            .edges
            .into_iter()
            .map(|e| {
                let s = e.node;
                SignalRow::from(SignalFields {
                    id: s.id,
                    kind: name(&s.type_),
                    status: name(&s.status),
                    confidence: s.confidence,
                    detector: name(&s.detector),
                    summary: s.summary,
                    account: None,
                    conversation_id: s.conversation_id,
                    message_id: s.message_id,
                    occurred_at: s.occurred_at,
                })
            })
            .collect(),
        actions: a
            .next_best_actions
            .into_iter()
            .map(|n| {
                ActionRow::from_fields(
                    ActionFields {
                        id: n.id,
                        title: n.title,
                        reason: n.reason,
                        rule: n.rule,
                        priority: n.priority,
                        due_at: n.due_at,
                        status: name(&n.status),
                        account: None,
                        account_id: n.account_id,
                        conversation_id: n.conversation_id,
                        evidence: n.evidence.into_iter().map(|r| (r.kind, r.id)).collect(),
                        dismiss_reason: n.dismiss_reason,
                        assignee: n.assignee.map(|m| m.user.username),
                    },
                    &messages,
                )
            })
            .collect(),
    })
}

/// Computes an account's health now.
#[server(endpoint = "signals/recompute-health")]
pub async fn recompute_health(account_id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<RecomputeAccountHealthMutation>(
        recompute_account_health_mutation::Variables { account_id },
        &csrf,
    )
    .await?;
    Ok(())
}
