//! The project's example phrases: seeding, listing, adding, enabling and deleting them.
use super::*;

/// An example phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamplePhrase {
    /// Id.
    pub id: Uuid,
    /// The type it exemplifies.
    pub signal_type: SignalType,
    /// Text.
    pub phrase: String,
    /// BCP 47 tag, or none for any language.
    pub language: Option<String>,
    /// Used by detection.
    pub enabled: bool,
    /// Whether a vector of the current model is cached.
    pub embedded: bool,
}

pub(super) fn phrase_from(m: signal_example_phrases::Model, model_id: &str) -> ExamplePhrase {
    ExamplePhrase {
        id: m.id,
        signal_type: m.signal_type,
        phrase: m.phrase,
        language: m.language,
        enabled: m.enabled,
        embedded: m.embedding_model.as_deref() == Some(model_id),
    }
}

/// Inserts [`DEFAULT_PHRASES`] when the project has no phrase at all.
pub async fn seed_default_phrases<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<u64> {
    let rows: Vec<Value> = DEFAULT_PHRASES
        .iter()
        .map(|(t, p)| json!({ "signal_type": type_str(*t), "phrase": p }))
        .collect();
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "insert into signal_example_phrases (project_id, account_scope_id, signal_type, \
               phrase, language) \
             select $1, $2, t.signal_type, t.phrase, 'en' \
             from jsonb_to_recordset($3::jsonb) as t(signal_type text, phrase text) \
             where not exists (select 1 from signal_example_phrases p where p.project_id = $1) \
             on conflict (project_id, signal_type, phrase) do nothing",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::from(Value::Array(rows)),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// The project's example phrases, by type then text, with whether each has a vector of
/// `model_id`.
pub async fn list_phrases<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    signal_type: Option<SignalType>,
    model_id: &str,
) -> DomainResult<Vec<ExamplePhrase>> {
    seed_default_phrases(db, scope).await?;
    let mut query = scope.rows::<signal_example_phrases::Entity>();
    if let Some(t) = signal_type {
        query = query.filter(signal_example_phrases::Column::SignalType.eq(t));
    }
    let rows = query
        .order_by_asc(signal_example_phrases::Column::SignalType)
        .order_by_asc(signal_example_phrases::Column::Phrase)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| phrase_from(m, model_id)).collect())
}

pub(super) fn check_language(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(tag) = optional_text("language", raw, 35)? else {
        return Ok(None);
    };
    let ok = tag.split('-').all(|part| {
        !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    if ok {
        Ok(Some(tag.to_ascii_lowercase()))
    } else {
        Err(FieldError::new(
            "language",
            "use a language tag such as en or de-CH",
        ))
    }
}

pub(super) async fn phrase_audit<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    action: &'static str,
    phrase: &signal_example_phrases::Model,
) -> DomainResult<()> {
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("signal_example_phrase"),
            target_id: Some(phrase.id.to_string()),
            evidence: vec![EvidenceRef::new("signal_example_phrase", phrase.id)],
            meta: json!({
                "signal_type": type_str(phrase.signal_type),
                "phrase": phrase.phrase,
                "enabled": phrase.enabled,
            }),
        },
    )
    .await
}

/// Adds an example phrase; records `crm.signal_phrase.created`.
pub async fn add_phrase(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    signal_type: SignalType,
    phrase: &str,
    language: Option<&str>,
) -> DomainResult<ExamplePhrase> {
    let mut checks = Checks::default();
    let phrase = checks.take(required_text("phrase", phrase, MAX_PHRASE_CHARS));
    let language = checks.take(check_language(language));
    checks.finish()?;
    let (Some(phrase), Some(language)) = (phrase, language) else {
        return Err(DomainError::Internal("validated phrase missing".to_owned()));
    };
    let txn = db.begin().await?;
    seed_default_phrases(&txn, scope).await?;
    let count =
        sea_orm::PaginatorTrait::count(scope.rows::<signal_example_phrases::Entity>(), &txn)
            .await?;
    if count >= MAX_PHRASES {
        return Err(DomainError::Conflict(format!(
            "A project keeps at most {MAX_PHRASES} example phrases"
        )));
    }
    let inserted = signal_example_phrases::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        signal_type: Set(signal_type),
        phrase: Set(phrase),
        language: Set(language),
        enabled: Set(true),
        embedding: sea_orm::NotSet,
        embedding_model: Set(None),
        created_at: Set(Utc::now().into()),
        updated_at: Set(Utc::now().into()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if crate::kernel::sql::violates_unique(
            &e,
            "signal_example_phrases_project_id_type_phrase_key",
        ) {
            DomainError::Validation(vec![FieldError::new(
                "phrase",
                "this type already has that phrase",
            )])
        } else {
            e.into()
        }
    })?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.created", &inserted).await?;
    txn.commit().await?;
    Ok(phrase_from(inserted, ""))
}

/// Turns an example phrase on or off; records `crm.signal_phrase.updated`.
pub async fn set_phrase_enabled(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> DomainResult<ExamplePhrase> {
    let txn = db.begin().await?;
    let current = signal_example_phrases::Entity::find_by_id(id)
        .filter(scope.filter_for::<signal_example_phrases::Entity>())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("example phrase"))?;
    let model = current.embedding_model.clone().unwrap_or_default();
    let mut active = current.into_active_model();
    active.enabled = Set(enabled);
    let updated = active.update(&txn).await?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.updated", &updated).await?;
    txn.commit().await?;
    Ok(phrase_from(updated, &model))
}

/// Deletes an example phrase; records `crm.signal_phrase.deleted`. Deleting a project's last
/// phrase brings the defaults back at the next detection: disable phrases to silence them.
pub async fn delete_phrase(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let txn = db.begin().await?;
    let current = signal_example_phrases::Entity::find_by_id(id)
        .filter(scope.filter_for::<signal_example_phrases::Entity>())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("example phrase"))?;
    phrase_audit(&txn, scope, actor, "crm.signal_phrase.deleted", &current).await?;
    signal_example_phrases::Entity::delete_by_id(current.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
