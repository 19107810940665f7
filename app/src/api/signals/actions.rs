//! The next-best-action inbox and the rules that raise actions.
use leptos::prelude::*;

use super::*;

/// A page of next-best-actions: `view` "done", "dismissed", else the inbox (open and
/// accepted).
#[server(endpoint = "signals/actions")]
pub async fn list_actions(
    view: Option<String>,
    after: Option<String>,
) -> Result<ActionPage, ServerFnError> {
    use std::collections::HashMap;

    use convert::*;
    use next_best_actions_query::NextBestActionStatus as S;
    use ops::*;

    let statuses = match view.as_deref() {
        Some("done") => vec![S::DONE],
        Some("dismissed") => vec![S::DISMISSED],
        _ => vec![S::OPEN, S::ACCEPTED],
    };
    let page =
        crate::api::executor::run::<NextBestActionsQuery>(next_best_actions_query::Variables {
            statuses: Some(statuses),
            account_id: None,
            first: Some(25),
            after: nonblank(after),
        })
        .await?
        .next_best_actions;
    // Where the evidence messages were said.
    let mut messages = HashMap::new();
    let refs: Vec<(String, String)> = page
        .edges
        .iter()
        .flat_map(|e| {
            e.node
                .evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
        })
        .collect();
    resolve_messages(message_ids(&refs), &mut messages).await;
    Ok(ActionPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let a = e.node;
                ActionRow::from_fields(
                    ActionFields {
                        id: a.id,
                        title: a.title,
                        reason: a.reason,
                        rule: a.rule,
                        priority: a.priority,
                        due_at: a.due_at,
                        status: name(&a.status),
                        account: a.account.map(|a| AccountRef {
                            id: a.id,
                            name: a.name,
                        }),
                        account_id: a.account_id,
                        conversation_id: a.conversation_id,
                        evidence: a.evidence.into_iter().map(|r| (r.kind, r.id)).collect(),
                        dismiss_reason: a.dismiss_reason,
                        assignee: a.assignee.map(|m| m.user.username),
                    },
                    &messages,
                )
            })
            .collect(),
    })
}

/// The rules that raise next-best-actions.
#[server(endpoint = "signals/action-rules")]
pub async fn action_rules() -> Result<Vec<RuleRow>, ServerFnError> {
    use ops::*;

    let rules = crate::api::executor::run::<NextBestActionRulesQuery>(
        next_best_action_rules_query::Variables {},
    )
    .await?
    .next_best_action_rules;
    Ok(rules
        .into_iter()
        .map(|r| RuleRow {
            key: r.key,
            description: r.description,
            priority: r.priority,
        })
        .collect())
}

/// Accepts (`decision` = "accept"), completes ("done") or dismisses ("dismiss", with an
/// optional reason) a next-best-action; returns its new status.
#[server(endpoint = "signals/decide-action")]
pub async fn decide_action(
    id: String,
    decision: String,
    reason: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = match decision.as_str() {
        "accept" => name(
            &crate::api::executor::run_mutation::<AcceptNextBestActionMutation>(
                accept_next_best_action_mutation::Variables { id },
                &csrf,
            )
            .await?
            .accept_next_best_action
            .status,
        ),
        "done" => name(
            &crate::api::executor::run_mutation::<CompleteNextBestActionMutation>(
                complete_next_best_action_mutation::Variables { id },
                &csrf,
            )
            .await?
            .complete_next_best_action
            .status,
        ),
        "dismiss" => name(
            &crate::api::executor::run_mutation::<DismissNextBestActionMutation>(
                dismiss_next_best_action_mutation::Variables {
                    id,
                    reason: nonblank(reason),
                },
                &csrf,
            )
            .await?
            .dismiss_next_best_action
            .status,
        ),
        _ => {
            return Err(crate::api::executor::invalid_input(
                "Invalid input: decision: is not one of the choices".to_owned(),
            )
            .into());
        }
    };
    Ok(status)
}
