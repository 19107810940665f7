//! The signals feed: listing and triage, the re-scan, and the example phrases detection
//! learns from.
use leptos::prelude::*;

use super::*;

/// A page of the working project's signals, newest first. `kind` and `status` are API enum
/// names; blank means any.
#[server(endpoint = "signals/list")]
pub async fn list_signals(
    kind: Option<String>,
    status: Option<String>,
    after: Option<String>,
) -> Result<SignalPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let types: Option<Vec<signals_query::SignalType>> = nonblank(kind)
        .map(|k| {
            parse(
                "type",
                &k,
                &SIGNAL_TYPES.iter().map(|t| t.0).collect::<Vec<_>>(),
            )
        })
        .transpose()?
        .map(|t| vec![t]);
    let statuses: Option<Vec<signals_query::SignalStatus>> = nonblank(status)
        .map(|s| {
            parse(
                "status",
                &s,
                &SIGNAL_STATUSES.iter().map(|t| t.0).collect::<Vec<_>>(),
            )
        })
        .transpose()?
        .map(|s| vec![s]);
    let page = crate::api::executor::run::<SignalsQuery>(signals_query::Variables {
        types,
        statuses,
        account_id: None,
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .signals;
    Ok(SignalPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
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
                    account: s.account.map(|a| AccountRef {
                        id: a.id,
                        name: a.name,
                    }),
                    conversation_id: s.conversation_id,
                    message_id: s.message_id,
                    occurred_at: s.occurred_at,
                })
            })
            .collect(),
    })
}

/// Sets a signal's triage state; returns the new state.
#[server(endpoint = "signals/set-status")]
pub async fn set_signal_status(
    id: String,
    status: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status: set_signal_status_mutation::SignalStatus = parse(
        "status",
        &status,
        &SIGNAL_STATUSES.iter().map(|t| t.0).collect::<Vec<_>>(),
    )?;
    let done = crate::api::executor::run_mutation::<SetSignalStatusMutation>(
        set_signal_status_mutation::Variables { id, status },
        &csrf,
    )
    .await?;
    Ok(name(&done.set_signal_status.status))
}

/// Queues signal detection over every stored customer message again, then shows the feed
/// with how many were queued.
#[server(endpoint = "signals/backfill")]
pub async fn backfill_signals(csrf: String) -> Result<i64, ServerFnError> {
    use ops::*;

    let queued = crate::api::executor::run_mutation::<BackfillSignalsMutation>(
        backfill_signals_mutation::Variables {},
        &csrf,
    )
    .await?
    .backfill_signals;
    leptos_axum::redirect(&format!("/signals?queued={queued}"));
    Ok(queued)
}

/// The example phrases of every signal type.
#[server(endpoint = "signals/phrases")]
pub async fn list_phrases() -> Result<Vec<PhraseRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let phrases = crate::api::executor::run::<SignalExamplePhrasesQuery>(
        signal_example_phrases_query::Variables {},
    )
    .await?
    .signal_example_phrases;
    Ok(phrases
        .into_iter()
        .map(|p| PhraseRow {
            id: p.id,
            kind: name(&p.type_),
            phrase: p.phrase,
            language: p.language,
            enabled: p.enabled,
            embedded: p.embedded,
        })
        .collect())
}

/// Adds an example phrase.
#[server(endpoint = "signals/add-phrase")]
pub async fn add_phrase(
    kind: String,
    phrase: String,
    language: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use convert::*;
    use ops::*;

    let type_: add_signal_example_phrase_mutation::SignalType = parse(
        "type",
        &kind,
        &SIGNAL_TYPES.iter().map(|t| t.0).collect::<Vec<_>>(),
    )?;
    crate::api::executor::run_mutation::<AddSignalExamplePhraseMutation>(
        add_signal_example_phrase_mutation::Variables {
            type_,
            phrase: phrase.trim().to_owned(),
            language: nonblank(language),
        },
        &csrf,
    )
    .await?;
    Ok(())
}

/// Turns an example phrase on (`enabled` = "true") or off.
#[server(endpoint = "signals/phrase-enabled")]
pub async fn set_phrase_enabled(
    id: String,
    enabled: String,
    csrf: String,
) -> Result<bool, ServerFnError> {
    use ops::*;

    let done = crate::api::executor::run_mutation::<SetSignalExamplePhraseEnabledMutation>(
        set_signal_example_phrase_enabled_mutation::Variables {
            id,
            enabled: enabled == "true",
        },
        &csrf,
    )
    .await?;
    Ok(done.set_signal_example_phrase_enabled.enabled)
}

/// Deletes an example phrase.
#[server(endpoint = "signals/delete-phrase")]
pub async fn delete_phrase(id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<DeleteSignalExamplePhraseMutation>(
        delete_signal_example_phrase_mutation::Variables { id },
        &csrf,
    )
    .await?;
    Ok(())
}
