//! A project's pipeline: its ordered stages (open ones, exactly one won, at least one lost).
//! A project gets the default stages the first time anything reads or writes its pipeline.
//! Structural changes lock all of the project's stages first, so two concurrent edits cannot
//! together break the won/lost rules; positions are kept contiguous from 0.
use chrono::{DateTime, Utc};
use entity::{crm_opportunities, crm_pipeline_stages};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::kernel::{
    Actor,
    checks::Checks,
    sql::{violates_foreign_key, violates_unique},
};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};

/// A pipeline stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Stage id.
    pub id: Uuid,
    /// Stable key (`^[a-z0-9_]+$`), copied into stage history.
    pub key: String,
    /// Display name.
    pub name: String,
    /// 0-based position in the pipeline.
    pub position: i32,
    /// Win probability used when an opportunity has none of its own.
    pub default_probability: i32,
    /// The won stage.
    pub is_won: bool,
    /// A lost stage.
    pub is_lost: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Stage {
    /// Whether opportunities in it are closed (won or lost).
    pub fn is_closed(&self) -> bool {
        self.is_won || self.is_lost
    }
}

impl From<crm_pipeline_stages::Model> for Stage {
    fn from(m: crm_pipeline_stages::Model) -> Self {
        Self {
            id: m.id,
            key: m.key,
            name: m.name,
            position: m.position,
            default_probability: m.default_probability,
            is_won: m.is_won,
            is_lost: m.is_lost,
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// What a stage means for the opportunities in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StageKind {
    /// Still being worked.
    #[default]
    Open,
    /// Won (a pipeline has exactly one).
    Won,
    /// Lost (a pipeline has at least one).
    Lost,
}

/// Input of [`create_stage`].
#[derive(Debug, Clone, Default)]
pub struct NewStage {
    /// 1-80 characters.
    pub name: String,
    /// `^[a-z0-9_]{1,40}$`; derived from the name when absent.
    pub key: Option<String>,
    /// 0..=100.
    pub default_probability: i32,
    /// Open or lost (the won stage already exists).
    pub kind: StageKind,
    /// Where to insert it (0 = first); by default after the last open stage for an open stage,
    /// at the end for a lost one.
    pub position: Option<i32>,
}

/// Input of [`update_stage`]; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct StagePatch {
    /// New name.
    pub name: Option<String>,
    /// New default probability.
    pub default_probability: Option<i32>,
}

/// The stages a project starts with: (key, name, default probability, kind).
pub const DEFAULT_STAGES: [(&str, &str, i32, StageKind); 6] = [
    ("lead", "Lead", 10, StageKind::Open),
    ("qualified", "Qualified", 25, StageKind::Open),
    ("proposal", "Proposal", 50, StageKind::Open),
    ("negotiation", "Negotiation", 75, StageKind::Open),
    ("won", "Won", 100, StageKind::Won),
    ("lost", "Lost", 0, StageKind::Lost),
];

const MAX_STAGE_NAME_CHARS: usize = 80;
const MAX_KEY_CHARS: usize = 40;

/// Gives a project without stages the [`DEFAULT_STAGES`]; a no-op once it has any.
pub async fn ensure_default_stages<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<()> {
    if scope
        .rows::<crm_pipeline_stages::Entity>()
        .count(db)
        .await?
        > 0
    {
        return Ok(());
    }
    let mut values = Vec::new();
    let mut rows = Vec::new();
    for (position, (key, name, probability, kind)) in DEFAULT_STAGES.iter().enumerate() {
        let n = values.len();
        rows.push(format!(
            "(${}, ${}, ${}, ${}, ${}, ${})",
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7,
            n + 8
        ));
        values.push((*key).into());
        values.push((*name).into());
        values.push(i32::try_from(position).unwrap_or(i32::MAX).into());
        values.push((*probability).into());
        values.push((*kind == StageKind::Won).into());
        values.push((*kind == StageKind::Lost).into());
    }
    let mut all: Vec<sea_orm::Value> =
        vec![scope.project_id().into(), scope.account_scope_id().into()];
    all.extend(values);
    // Two first uses at once: the loser waits on the winner's keys, then inserts nothing.
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "insert into crm_pipeline_stages \
               (project_id, account_scope_id, key, name, position, default_probability, is_won, is_lost) \
             select $1, $2, v.key, v.name, v.position, v.probability, v.is_won, v.is_lost \
             from (values {}) as v(key, name, position, probability, is_won, is_lost) \
             where not exists (select 1 from crm_pipeline_stages s where s.project_id = $1) \
             on conflict (project_id, key) do nothing",
            rows.join(", ")
        ),
        all,
    ))
    .await?;
    Ok(())
}

/// The project's stages in pipeline order (creating the defaults on first use).
pub async fn list_stages<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Vec<Stage>> {
    ensure_default_stages(db, scope).await?;
    Ok(scope
        .rows::<crm_pipeline_stages::Entity>()
        .order_by_asc(crm_pipeline_stages::Column::Position)
        .order_by_asc(crm_pipeline_stages::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One stage of the scope.
pub async fn get_stage<C: ConnectionTrait>(db: &C, scope: &Scope, id: Uuid) -> DomainResult<Stage> {
    Ok(find_stage(db, scope, id).await?.into())
}

pub(crate) async fn find_stage<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<crm_pipeline_stages::Model> {
    scope
        .rows::<crm_pipeline_stages::Entity>()
        .filter(crm_pipeline_stages::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("stage"))
}

/// All stages of the project in order, locked until the transaction ends.
async fn lock_stages<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
) -> DomainResult<Vec<crm_pipeline_stages::Model>> {
    ensure_default_stages(txn, scope).await?;
    Ok(scope
        .rows::<crm_pipeline_stages::Entity>()
        .order_by_asc(crm_pipeline_stages::Column::Position)
        .order_by_asc(crm_pipeline_stages::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?)
}

/// Writes position = index for every stage in `order` whose position differs (positions are
/// unique only at commit, so swaps need no temporary values).
async fn renumber<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
    current: &[crm_pipeline_stages::Model],
    order: &[Uuid],
) -> DomainResult<()> {
    for (index, id) in order.iter().enumerate() {
        let position = i32::try_from(index).unwrap_or(i32::MAX);
        if current
            .iter()
            .any(|s| s.id == *id && s.position == position)
        {
            continue;
        }
        crm_pipeline_stages::Entity::update_many()
            .col_expr(crm_pipeline_stages::Column::Position, Expr::value(position))
            .filter(scope.filter_for::<crm_pipeline_stages::Entity>())
            .filter(crm_pipeline_stages::Column::Id.eq(*id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn check_key(raw: &str) -> Result<String, FieldError> {
    let key = raw.trim();
    if key.is_empty()
        || key.len() > MAX_KEY_CHARS
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(FieldError::new(
            "key",
            "use 1-40 lowercase letters, digits or underscores",
        ));
    }
    Ok(key.to_owned())
}

fn key_from_name(name: &str) -> String {
    let mut key = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key: String = key
        .trim_end_matches('_')
        .chars()
        .take(MAX_KEY_CHARS - 4)
        .collect();
    if key.is_empty() {
        "stage".to_owned()
    } else {
        key
    }
}

fn check_probability(field: &str, p: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&p) {
        Ok(p)
    } else {
        Err(FieldError::new(field, "must be between 0 and 100"))
    }
}

fn stage_audit(
    scope: &Scope,
    actor: &Actor,
    action: &'static str,
    stage: &crm_pipeline_stages::Model,
) -> AuditEntry {
    AuditEntry {
        scope: Some(*scope),
        actor: actor.audit.clone(),
        action,
        target_kind: Some("pipeline_stage"),
        target_id: Some(stage.id.to_string()),
        evidence: vec![EvidenceRef::new("pipeline_stage", stage.id)],
        meta: json!({ "key": stage.key, "name": stage.name }),
    }
}

/// Adds an open or lost stage and records `crm.stage.created`.
pub async fn create_stage(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewStage,
) -> DomainResult<Stage> {
    let mut checks = Checks::default();
    let name = checks
        .take(crate::kernel::checks::required_text(
            "name",
            &input.name,
            MAX_STAGE_NAME_CHARS,
        ))
        .unwrap_or_default();
    let key = match input.key.as_deref() {
        Some(k) => checks.take(check_key(k)),
        None => None,
    };
    checks.take(check_probability(
        "defaultProbability",
        input.default_probability,
    ));
    if input.kind == StageKind::Won {
        checks.fail("kind", "a pipeline has exactly one won stage");
    }
    if input.position.is_some_and(|p| p < 0) {
        checks.fail("position", "must be 0 or more");
    }
    checks.finish()?;

    let txn = db.begin().await?;
    let stages = lock_stages(&txn, scope).await?;
    if input.position.is_some_and(|p| p as usize > stages.len()) {
        return Err(DomainError::Validation(vec![FieldError::new(
            "position",
            format!("must be between 0 and {}", stages.len()),
        )]));
    }
    let key = match key {
        Some(key) => {
            if stages.iter().any(|s| s.key == key) {
                return Err(DomainError::Conflict(format!(
                    "The pipeline already has a stage with key {key}"
                )));
            }
            key
        }
        None => {
            let base = key_from_name(&name);
            let mut key = base.clone();
            let mut n = 2;
            while stages.iter().any(|s| s.key == key) {
                key = format!("{base}_{n}");
                n += 1;
            }
            key
        }
    };
    let index = match input.position {
        Some(p) => p as usize,
        None if input.kind == StageKind::Open => stages
            .iter()
            .rposition(|s| !s.is_won && !s.is_lost)
            .map_or(0, |i| i + 1),
        None => stages.len(),
    };
    let now = Utc::now();
    let inserted = crm_pipeline_stages::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        key: Set(key),
        name: Set(name),
        position: Set(i32::try_from(index).unwrap_or(i32::MAX)),
        default_probability: Set(input.default_probability),
        is_won: Set(false),
        is_lost: Set(input.kind == StageKind::Lost),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await;
    let stage = match inserted {
        Ok(stage) => stage,
        Err(e) if violates_unique(&e, "crm_pipeline_stages_project_id_key_key") => {
            return Err(DomainError::Conflict(
                "The pipeline already has a stage with this key".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut order: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    order.insert(index, stage.id);
    renumber(&txn, scope, &stages, &order).await?;
    audit::record(&txn, stage_audit(scope, actor, "crm.stage.created", &stage)).await?;
    txn.commit().await?;
    Ok(stage.into())
}

/// Renames a stage or changes its default probability; records `crm.stage.updated`.
pub async fn update_stage(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: StagePatch,
) -> DomainResult<Stage> {
    let mut checks = Checks::default();
    let name = patch.name.as_deref().and_then(|n| {
        checks.take(crate::kernel::checks::required_text(
            "name",
            n,
            MAX_STAGE_NAME_CHARS,
        ))
    });
    let probability = patch
        .default_probability
        .and_then(|p| checks.take(check_probability("defaultProbability", p)));
    checks.finish()?;

    let txn = db.begin().await?;
    let stage = scope
        .rows::<crm_pipeline_stages::Entity>()
        .filter(crm_pipeline_stages::Column::Id.eq(id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("stage"))?;
    let mut active = stage.clone().into_active_model();
    if let Some(name) = name.filter(|n| *n != stage.name) {
        active.name = Set(name);
    }
    if let Some(p) = probability.filter(|p| *p != stage.default_probability) {
        active.default_probability = Set(p);
    }
    if !active.is_changed() {
        return Ok(stage.into());
    }
    let stage = active.update(&txn).await?;
    audit::record(&txn, stage_audit(scope, actor, "crm.stage.updated", &stage)).await?;
    txn.commit().await?;
    Ok(stage.into())
}

/// Puts the stages in the order of `stage_ids` (every stage exactly once), in one
/// transaction; records `crm.pipeline.reordered`.
pub async fn reorder_stages(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    stage_ids: &[Uuid],
) -> DomainResult<Vec<Stage>> {
    let txn = db.begin().await?;
    let stages = lock_stages(&txn, scope).await?;
    let mut given = stage_ids.to_vec();
    given.sort_unstable();
    given.dedup();
    let mut existing: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    existing.sort_unstable();
    if given.len() != stage_ids.len() || given != existing {
        return Err(DomainError::Validation(vec![FieldError::new(
            "stageIds",
            "list every stage of the pipeline exactly once",
        )]));
    }
    renumber(&txn, scope, &stages, stage_ids).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.pipeline.reordered",
            target_kind: Some("pipeline"),
            target_id: Some(scope.project_id().to_string()),
            evidence: stage_ids
                .iter()
                .map(|id| EvidenceRef::new("pipeline_stage", id))
                .collect(),
            meta: json!({ "order": stage_ids }),
        },
    )
    .await?;
    let reordered = list_stages(&txn, scope).await?;
    txn.commit().await?;
    Ok(reordered)
}

/// Deletes a stage no opportunity is in, unless it is the won stage, the last lost stage or
/// the last open stage; records `crm.stage.deleted`. Stage history keeps its key.
pub async fn delete_stage(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let txn = db.begin().await?;
    let stages = lock_stages(&txn, scope).await?;
    let stage = stages
        .iter()
        .find(|s| s.id == id)
        .cloned()
        .ok_or(DomainError::NotFound("stage"))?;
    if stage.is_won {
        return Err(DomainError::Conflict(
            "The won stage cannot be deleted".to_owned(),
        ));
    }
    if stage.is_lost && stages.iter().filter(|s| s.is_lost).count() == 1 {
        return Err(DomainError::Conflict(
            "The pipeline needs at least one lost stage".to_owned(),
        ));
    }
    if !stage.is_lost && stages.iter().filter(|s| !s.is_won && !s.is_lost).count() == 1 {
        return Err(DomainError::Conflict(
            "The pipeline needs at least one open stage".to_owned(),
        ));
    }
    // The stage row is locked, so no opportunity can enter it between this count and the
    // delete (its foreign key check waits for the lock).
    let in_use = scope
        .rows::<crm_opportunities::Entity>()
        .filter(crm_opportunities::Column::StageId.eq(id))
        .count(&txn)
        .await?;
    if in_use > 0 {
        return Err(DomainError::Conflict(format!(
            "Move the {in_use} opportunities in this stage to another stage first"
        )));
    }
    let deleted = crm_pipeline_stages::Entity::delete_many()
        .filter(scope.filter_for::<crm_pipeline_stages::Entity>())
        .filter(crm_pipeline_stages::Column::Id.eq(id))
        .exec(&txn)
        .await;
    match deleted {
        Ok(_) => {}
        Err(e) if violates_foreign_key(&e, "crm_opportunities_stage_fkey") => {
            return Err(DomainError::Conflict(
                "Move the opportunities in this stage to another stage first".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let rest: Vec<crm_pipeline_stages::Model> =
        stages.iter().filter(|s| s.id != id).cloned().collect();
    let order: Vec<Uuid> = rest.iter().map(|s| s.id).collect();
    renumber(&txn, scope, &rest, &order).await?;
    audit::record(&txn, stage_audit(scope, actor, "crm.stage.deleted", &stage)).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_derive_from_names() {
        assert_eq!(key_from_name("Discovery call"), "discovery_call");
        assert_eq!(key_from_name("  Demo / Trial!! "), "demo_trial");
        assert_eq!(key_from_name("Подписание"), "stage");
        assert!(check_key(&key_from_name(&"x".repeat(100))).is_ok());
    }

    #[test]
    fn explicit_keys_are_checked() {
        assert!(check_key("closing_2").is_ok());
        assert!(check_key("Closing").is_err());
        assert!(check_key("").is_err());
    }

    #[test]
    fn default_stages_have_one_won_and_one_lost() {
        assert_eq!(
            DEFAULT_STAGES
                .iter()
                .filter(|s| s.3 == StageKind::Won)
                .count(),
            1
        );
        assert_eq!(
            DEFAULT_STAGES
                .iter()
                .filter(|s| s.3 == StageKind::Lost)
                .count(),
            1
        );
    }
}
