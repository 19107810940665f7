//! The pipeline: the board of open opportunities by stage, and the stages themselves.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

use super::*;

/// The working project's pipeline board.
#[server(endpoint = "crm/board")]
pub async fn load_board() -> Result<BoardView, ServerFnError> {
    use ops::*;

    let board = crate::api::executor::run::<PipelineBoardQuery>(pipeline_board_query::Variables {})
        .await?
        .pipeline_board;
    let totals = |list: Vec<pipeline_board_query::PipelineBoardQueryPipelineBoardOpenTotals>| {
        list.into_iter()
            .map(|t| TotalRow {
                currency: t.currency,
                amount: t.amount,
                weighted: t.weighted,
            })
            .collect::<Vec<_>>()
    };
    Ok(BoardView {
        open_totals: totals(board.open_totals),
        columns: board
            .columns
            .into_iter()
            .map(|c| BoardColumnView {
                stage_id: c.stage.id,
                name: c.stage.name,
                probability: c.stage.default_probability,
                count: c.count,
                totals: c
                    .totals
                    .into_iter()
                    .map(|t| TotalRow {
                        currency: t.currency,
                        amount: t.amount,
                        weighted: t.weighted,
                    })
                    .collect(),
                cards: c
                    .opportunities
                    .into_iter()
                    .map(|o| OpportunityRow {
                        id: o.id,
                        name: o.name,
                        amount: o.amount,
                        currency: o.currency,
                        stage: String::new(),
                        account: o.account.name,
                        probability: Some(o.effective_probability),
                        expected_close: None,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// Moves an opportunity to another stage.
#[server(endpoint = "crm/move-opportunity")]
pub async fn move_opportunity(
    opportunity_id: String,
    to_stage_id: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<MoveOpportunityStageMutation>(
        move_opportunity_stage_mutation::Variables {
            input: move_opportunity_stage_mutation::MoveOpportunityStageInput {
                opportunity_id,
                to_stage_id,
                note: None,
                lost_reason: None,
                evidence: Vec::new(),
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// The working project's pipeline stages, in order.
#[server(endpoint = "crm/stages")]
pub async fn load_stages() -> Result<Vec<StageRow>, ServerFnError> {
    use ops::*;

    let stages =
        crate::api::executor::run::<PipelineStagesQuery>(pipeline_stages_query::Variables {})
            .await?
            .pipeline_stages;
    Ok(stages
        .into_iter()
        .map(|s| StageRow {
            id: s.id,
            key: s.key,
            name: s.name,
            probability: s.default_probability,
            kind: convert::name(&s.kind),
        })
        .collect())
}

/// Adds an open or lost stage (a blank key is derived from the name).
#[server(endpoint = "crm/create-stage")]
pub async fn create_stage(
    name: String,
    key: Option<String>,
    default_probability: String,
    kind: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use create_pipeline_stage_mutation::PipelineStageKind as Kind;
    use ops::*;

    let kind = match kind.as_str() {
        "OPEN" => Kind::OPEN,
        "LOST" => Kind::LOST,
        _ => return Err(invalid("kind", "choose open or lost")),
    };
    let default_probability = percent_field("defaultProbability", &default_probability)?;
    crate::api::executor::run_mutation::<CreatePipelineStageMutation>(
        create_pipeline_stage_mutation::Variables {
            input: create_pipeline_stage_mutation::CreatePipelineStageInput {
                name: name.trim().to_owned(),
                key: convert::nonblank(key),
                default_probability,
                kind,
                position: None,
            },
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Renames a stage and sets its default probability, then closes the edit form.
#[server(endpoint = "crm/update-stage")]
pub async fn update_stage(
    id: String,
    name: String,
    default_probability: String,
    csrf: String,
) -> Result<(), ServerFnError> {
    use ops::*;

    let default_probability = percent_field("defaultProbability", &default_probability)?;
    crate::api::executor::run_mutation::<UpdatePipelineStageMutation>(
        update_pipeline_stage_mutation::Variables {
            id,
            input: update_pipeline_stage_mutation::UpdatePipelineStageInput {
                name: Some(name.trim().to_owned()),
                default_probability: Some(default_probability),
            },
        },
        &csrf,
    )
    .await?;
    leptos_axum::redirect("/pipeline/stages");
    Ok(())
}

/// Moves a stage one place `direction` ("up" or "down"), sending the whole new order; returns
/// the stage and direction (so the page can keep the keyboard focus on it).
#[server(endpoint = "crm/move-stage")]
pub async fn move_stage(
    id: String,
    direction: String,
    csrf: String,
) -> Result<(String, String), ServerFnError> {
    use ops::*;

    let mut order: Vec<String> = load_stages().await?.into_iter().map(|s| s.id).collect();
    let Some(at) = order.iter().position(|s| *s == id) else {
        return Err(crate::api::ApiError::Api("stage not found".to_owned()).into());
    };
    let other = match direction.as_str() {
        "up" if at > 0 => at - 1,
        "down" if at + 1 < order.len() => at + 1,
        "up" => {
            return Err(crate::api::ApiError::Api("The stage is already first".to_owned()).into());
        }
        "down" => {
            return Err(crate::api::ApiError::Api("The stage is already last".to_owned()).into());
        }
        _ => return Err(invalid("direction", "is not one of the choices")),
    };
    order.swap(at, other);
    crate::api::executor::run_mutation::<ReorderPipelineStagesMutation>(
        reorder_pipeline_stages_mutation::Variables { stage_ids: order },
        &csrf,
    )
    .await?;
    Ok((id, direction))
}

/// Deletes a stage; the API's refusal (opportunities still in it, the last open or lost
/// stage, the won stage) comes back naming the stage.
#[server(endpoint = "crm/delete-stage")]
pub async fn delete_stage(id: String, name: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<DeletePipelineStageMutation>(
        delete_pipeline_stage_mutation::Variables { id },
        &csrf,
    )
    .await
    .map_err(|e| match e {
        crate::api::ApiError::Api(message) => {
            crate::api::ApiError::Api(format!("“{name}” was not deleted: {message}"))
        }
        other => other,
    })?;
    Ok(())
}
