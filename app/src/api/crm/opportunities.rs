//! Opportunities: creating one, its page, editing it and moving it with a note.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

use super::*;

/// Creates an opportunity on an account.
#[server(endpoint = "crm/create-opportunity")]
pub async fn create_opportunity(
    account_id: String,
    name: String,
    amount: String,
    currency: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<CreateOpportunityMutation>(
        create_opportunity_mutation::Variables {
            input: create_opportunity_mutation::CreateOpportunityInput {
                account_id,
                name,
                amount,
                currency: currency.trim().to_uppercase(),
                stage_id: None,
                probability: None,
                expected_close_date: None,
                owner_user_id: None,
                source_conversation_id: None,
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// One opportunity with its stage history and the pipeline's stages.
#[server(endpoint = "crm/opportunity")]
pub async fn load_opportunity(id: String) -> Result<OpportunityDetail, ServerFnError> {
    use ops::*;

    let data =
        crate::api::executor::run::<OpportunityQuery>(opportunity_query::Variables { id }).await?;
    let o = data.opportunity;
    let stage_name = |key: &str| {
        data.pipeline_stages
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    Ok(OpportunityDetail {
        history: o
            .stage_history
            .into_iter()
            .map(|h| StageEventRow {
                id: h.id,
                from: h.from_stage_key.as_deref().map(stage_name),
                to: stage_name(&h.to_stage_key),
                changed_by: h.changed_by,
                changed_by_name: h.changed_by_member.map(|m| m.user.username),
                changed_at: h.changed_at,
                note: h.note.filter(|n| !n.trim().is_empty()),
                amount: h.amount.map(|a| match &h.currency {
                    Some(c) => format!("{a} {c}"),
                    None => a,
                }),
                probability: h.probability,
            })
            .collect(),
        stages: data
            .pipeline_stages
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        id: o.id,
        name: o.name,
        amount: o.amount,
        currency: o.currency,
        probability: o.probability,
        effective_probability: o.effective_probability,
        weighted: o.weighted_amount,
        expected_close: o.expected_close_date,
        closed_at: o.closed_at,
        lost_reason: o.lost_reason,
        created_at: o.created_at,
        stage_id: o.stage.id,
        stage: o.stage.name,
        stage_kind: convert::name(&o.stage.kind),
        account: AccountRef {
            id: o.account.id,
            name: o.account.name,
        },
        owner: OwnerView {
            id: o.owner_user_id,
            username: o.owner.map(|m| m.user.username),
        },
        members: data
            .project_members
            .into_iter()
            .map(|m| MemberChoice {
                id: m.user.id,
                username: m.user.username,
            })
            .collect(),
    })
}

/// Changes an opportunity's name, amount, currency, own probability (blank: the stage's
/// default), expected close date and owner (blank clears).
#[server(endpoint = "crm/update-opportunity")]
pub async fn update_opportunity(
    id: String,
    name: String,
    amount: String,
    currency: String,
    probability: Option<String>,
    expected_close_date: Option<String>,
    owner_user_id: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let probability = convert::nonblank(probability)
        .map(|p| percent_field("probability", &p))
        .transpose()?;
    let expected_close_date = convert::nonblank(expected_close_date)
        .map(|d| {
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|_| d)
                .map_err(|_| invalid("expectedCloseDate", "use a date like 2025-06-30"))
        })
        .transpose()?;
    crate::api::executor::run_mutation::<UpdateOpportunityMutation>(
        update_opportunity_mutation::Variables {
            id,
            name: name.trim().to_owned(),
            amount: amount.trim().to_owned(),
            currency: currency.trim().to_uppercase(),
            probability,
            expected_close_date,
            owner_user_id: convert::nonblank(owner_user_id),
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Moves an opportunity to another stage with an optional note (and lost reason).
#[server(endpoint = "crm/move-opportunity-note")]
pub async fn move_opportunity_with_note(
    opportunity_id: String,
    to_stage_id: String,
    note: Option<String>,
    lost_reason: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<MoveOpportunityWithNoteMutation>(
        move_opportunity_with_note_mutation::Variables {
            opportunity_id,
            to_stage_id,
            note: convert::nonblank(note),
            lost_reason: convert::nonblank(lost_reason),
        },
        &csrf,
    )
    .await?;
    Ok(())
}
