//! The CRM: accounts (listing with a filter and a create form), one account (edit, archive,
//! merge a duplicate into it; contacts with suggest/confirm/reject and a link form;
//! opportunities and a create form), one opportunity (edit, move with a note, stage history),
//! the pipeline board and its stages (add, edit, reorder, delete). Every form is an ActionForm
//! with the CSRF token, so it works without JavaScript; ordering and moving use buttons and
//! selects, so nothing needs dragging.
pub mod accounts;
pub mod opportunities;
pub mod pipeline;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        conversations::ops::conversations_query::ConversationsQueryConversationsEdgesNode,
        crm::{
            AccountConversationsView, AccountDetail, AccountRef, ArchiveAccount, BoardView,
            CreateAccount, CreateOpportunity, CreateStage, DecideContact, DeleteStage, LinkContact,
            MemberChoice, MergeAccounts, MoveOpportunity, MoveOpportunityWithNote, MoveStage,
            OpportunityDetail, StageRow, SuggestContacts, TotalRow, UpdateAccount,
            UpdateOpportunity, UpdateStage, account_conversations, list_accounts, load_account,
            load_board, load_opportunity, load_stages, merge_candidates,
        },
        error_text, field_error,
        signals::{AccountInsightsView, RecomputeHealth, account_insights},
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{EditField, Field, FormError, action_error},
    },
    pages::signals::{health::AccountInsightsSections, when},
    session_state::use_session,
};

/// Renders `inner(csrf)` for a signed-in user with a working project, guidance otherwise.
pub(crate) fn with_project<V: IntoView + 'static>(
    inner: impl Fn(String) -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let state = use_session();
    view! {
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) if session.me.active_project.is_some() => {
                        inner(session.csrf_token()).into_any()
                    }
                    Ok(Some(_)) => view! {
                        <EmptyState title="No project selected" hint="Create or switch to a project first."/>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <div class="empty-state"><p><a href="/login">"Sign in"</a>" to see the CRM."</p></div>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn totals_text(totals: &[TotalRow]) -> String {
    if totals.is_empty() {
        return "—".to_owned();
    }
    totals
        .iter()
        .map(|t| format!("{} {} (weighted {})", t.amount, t.currency, t.weighted))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Changes only when `action` completes successfully, so a failed submission does not reload
/// (and reset) the forms it came from.
pub(crate) fn ok_version<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Memo::new(move |prev: Option<&usize>| {
        let version = action.version().get();
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            version
        } else {
            prev.copied().unwrap_or(0)
        }
    })
}
