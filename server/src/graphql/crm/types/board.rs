//! API types of pipeline stages and the board.
use super::*;

/// A stage of the project's pipeline.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineStage {
    /// Stage id.
    pub id: ID,
    /// Stable key, copied into stage history.
    pub key: String,
    /// Display name.
    pub name: String,
    /// 0-based position.
    pub position: i32,
    /// Win probability (0-100) of opportunities without their own.
    pub default_probability: i32,
    /// Open, won or lost.
    pub kind: PipelineStageKind,
    /// Whether opportunities in it are closed (won or lost).
    pub is_closed: bool,
}

impl From<Stage> for PipelineStage {
    fn from(s: Stage) -> Self {
        let kind = if s.is_won {
            PipelineStageKind::Won
        } else if s.is_lost {
            PipelineStageKind::Lost
        } else {
            PipelineStageKind::Open
        };
        Self {
            id: id(s.id),
            is_closed: s.is_closed(),
            key: s.key,
            name: s.name,
            position: s.position,
            default_probability: s.default_probability,
            kind,
        }
    }
}

/// Amount and weighted forecast of one currency.
#[derive(SimpleObject, Debug, Clone)]
pub struct CurrencyAmount {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of amounts, as a decimal string.
    pub amount: String,
    /// Sum of amount x effective probability / 100 (exact), as a decimal string.
    pub weighted: String,
}

impl From<&CurrencyTotal> for CurrencyAmount {
    fn from(t: &CurrencyTotal) -> Self {
        Self {
            currency: t.currency.clone(),
            amount: money(t.amount),
            weighted: money(t.weighted),
        }
    }
}

/// One stage of the pipeline board.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineBoardColumn {
    /// The stage.
    pub stage: PipelineStage,
    /// All opportunities in the stage (matching the board's filter).
    pub count: i64,
    /// Totals per currency, by currency code.
    pub totals: Vec<CurrencyAmount>,
    /// Its opportunities, most recently changed first, at most `perStage`.
    pub opportunities: Vec<OpportunityNode>,
}

/// The pipeline board: a column per stage, in pipeline order.
#[derive(SimpleObject, Debug, Clone)]
pub struct PipelineBoard {
    /// The stages with their opportunities.
    pub columns: Vec<PipelineBoardColumn>,
    /// Totals per currency over the open stages (the forecast).
    pub open_totals: Vec<CurrencyAmount>,
}

impl PipelineBoard {
    /// The API view of the domain board within `scope`.
    pub fn new(columns: Vec<BoardColumn>, scope: Scope) -> Self {
        let mut open: std::collections::BTreeMap<String, (Decimal, Decimal)> =
            std::collections::BTreeMap::new();
        for column in columns.iter().filter(|c| !c.stage.is_closed()) {
            for t in &column.totals {
                let entry = open.entry(t.currency.clone()).or_default();
                entry.0 += t.amount;
                entry.1 += t.weighted;
            }
        }
        let open_totals = open
            .into_iter()
            .map(|(currency, (amount, weighted))| CurrencyAmount {
                currency,
                amount: money(amount),
                weighted: money(weighted),
            })
            .collect();
        let columns = columns
            .into_iter()
            .map(|c| PipelineBoardColumn {
                count: i64::try_from(c.count).unwrap_or(i64::MAX),
                totals: c.totals.iter().map(Into::into).collect(),
                opportunities: c
                    .opportunities
                    .into_iter()
                    .map(|o| OpportunityNode::new(o, Some(c.stage.clone()), scope))
                    .collect(),
                stage: c.stage.into(),
            })
            .collect();
        Self {
            columns,
            open_totals,
        }
    }
}
