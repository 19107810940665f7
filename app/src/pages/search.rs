//! Search by meaning: the query form (a plain GET form, so results are linkable and work
//! without JavaScript), results with highlighted snippets that open the conversation at the
//! message, and the embedding pipeline's status panel with "retry failed".
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        error_text,
        search::{
            RetryFailed, SearchRequest, embedding_status,
            ops::embedding_status_query::EmbeddingStatusQueryEmbeddingStatus, run_search,
        },
    },
    components::feedback::{EmptyState, Loading},
    session_state::use_session,
};

fn when(rfc3339: &Option<String>) -> String {
    rfc3339
        .as_deref()
        .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
        .unwrap_or_default()
}

/// The search page of the working project.
#[component]
pub fn SearchPage() -> impl IntoView {
    let state = use_session();
    view! {
        <h1>"Search conversations"</h1>
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) if session.me.active_project.is_some() => {
                        view! {
                            <div class="search-layout">
                                <div class="search-main"><SearchForm/><SearchResults/></div>
                                <EmbeddingStatusPanel csrf=session.csrf_token()/>
                            </div>
                        }.into_any()
                    }
                    Ok(Some(_)) => view! {
                        <EmptyState title="No project selected" hint="Create or switch to a project first."/>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <div class="empty-state"><p><a href="/login">"Sign in"</a>" to search."</p></div>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The current request, read from the page's query string.
fn current_request() -> Memo<SearchRequest> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        SearchRequest {
            q: get("q").unwrap_or_default(),
            conversation: get("conversation"),
            contact: get("contact"),
            inbox: get("inbox").and_then(|v| v.parse().ok()),
            from: get("from"),
            to: get("to"),
        }
    })
}

#[component]
fn SearchForm() -> impl IntoView {
    let request = current_request();
    let r = move || request.get();
    view! {
        <form class="form search-form" method="get" action="/search" role="search" data-testid="search-form">
            <div class="field grow">
                <label for="search-q">"Search"</label>
                <input id="search-q" name="q" type="search" required maxlength="2000"
                    placeholder="a question or words, e.g. customer cannot log in after reset"
                    prop:value=move || r().q/>
            </div>
            <details class="filters" open=move || {
                let r = r();
                r.conversation.is_some() || r.contact.is_some() || r.inbox.is_some() || r.from.is_some() || r.to.is_some()
            }>
                <summary>"Filters"</summary>
                <div class="form inline">
                    <div class="field">
                        <label for="search-inbox">"Inbox id"</label>
                        <input id="search-inbox" name="inbox" type="number" min="1"
                            prop:value=move || r().inbox.map(|i| i.to_string()).unwrap_or_default()/>
                    </div>
                    <div class="field">
                        <label for="search-from">"From"</label>
                        <input id="search-from" name="from" type="date" prop:value=move || r().from.unwrap_or_default()/>
                    </div>
                    <div class="field">
                        <label for="search-to">"To"</label>
                        <input id="search-to" name="to" type="date" prop:value=move || r().to.unwrap_or_default()/>
                    </div>
                    <div class="field">
                        <label for="search-conversation">"Conversation id"</label>
                        <input id="search-conversation" name="conversation" placeholder="cw:…"
                            prop:value=move || r().conversation.unwrap_or_default()/>
                    </div>
                    <div class="field">
                        <label for="search-contact">"Contact id"</label>
                        <input id="search-contact" name="contact" placeholder="cwc:…"
                            prop:value=move || r().contact.unwrap_or_default()/>
                    </div>
                </div>
            </details>
            <button type="submit">"Search"</button>
        </form>
    }
}

#[component]
fn SearchResults() -> impl IntoView {
    let request = current_request();
    let results = Resource::new(
        move || request.get(),
        |request| async move {
            if request.q.is_empty() {
                None
            } else {
                Some(run_search(request).await)
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Searching…"/> }>
            {move || Suspend::new(async move {
                match results.await {
                    None => view! {
                        <p class="muted">"Search finds messages by meaning as well as by their words: ask the way a customer would put it."</p>
                    }.into_any(),
                    Some(Err(e)) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Some(Ok(answer)) if answer.hits.is_empty() => view! {
                        {answer.notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <EmptyState title="No matching messages" hint="Try other words, or loosen the filters."/>
                    }.into_any(),
                    Some(Ok(answer)) => view! {
                        {answer.notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        <p class="muted">{format!("{} result(s), best first", answer.hits.len())}</p>
                        <ol class="results" data-testid="search-results">
                            {answer.hits.into_iter().map(|row| {
                                let href = row.href();
                                let title = format!(
                                    "{} · conversation #{}{}",
                                    row.contact_name(),
                                    row.display_id().unwrap_or_default(),
                                    row.inbox_id().map(|i| format!(" · inbox {i}")).unwrap_or_default()
                                );
                                let sender = row.sender();
                                view! {
                                    <li class="result" data-testid="search-result">
                                        <div class="result-head">
                                            {match href {
                                                Some(h) => view! { <a href=h>{title}</a> }.into_any(),
                                                None => view! { <span>{title}</span> }.into_any(),
                                            }}
                                            {row.private().then(|| view! { <span class="badge">"private note"</span> })}
                                            <time datetime=row.message_created_at.clone().unwrap_or_default()>{when(&row.message_created_at)}</time>
                                        </div>
                                        <p class="snippet">
                                            {(!sender.is_empty()).then(|| view! { <strong>{format!("{sender}: ")}</strong> })}
                                            {row.snippet.into_iter().map(|s| if s.highlight {
                                                view! { <mark>{s.text}</mark> }.into_any()
                                            } else {
                                                view! { <span>{s.text}</span> }.into_any()
                                            }).collect_view()}
                                        </p>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn percent(p: f64) -> String {
    format!("{:.0} %", (p * 100.0).clamp(0.0, 100.0))
}

/// Counts by status, backlog progress, failures and "retry failed"; refreshes every two
/// seconds while work is queued.
#[component]
fn EmbeddingStatusPanel(csrf: String) -> impl IntoView {
    let retry = ServerAction::<RetryFailed>::new();
    let tick = RwSignal::new(0u64);
    let status = Resource::new(
        move || (tick.get(), retry.version().get()),
        |_| embedding_status(),
    );
    let busy = Memo::new(move |_| {
        status
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|p: EmbeddingStatusQueryEmbeddingStatus| p.busy())
    });
    Effect::new(move |_| {
        if busy.get() {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_secs(2),
            );
        }
    });
    let csrf = StoredValue::new(csrf);
    view! {
        <aside class="panel status-panel" data-testid="embedding-status">
            <h2>"Embeddings"</h2>
            <Transition fallback=|| view! { <Loading label="Loading status…"/> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(p) => {
                            let failures = p.failed_chunks.clone();
                            view! {
                                <p class="muted">{format!("Model {}", p.model)}</p>
                                <progress max="1" value=p.progress.to_string() aria-label="Chunks with vectors"></progress>
                                <p data-testid="embedding-progress">{format!(
                                    "{} of {} chunks searchable by meaning ({})",
                                    p.current_model_vectors,
                                    p.total,
                                    percent(p.progress)
                                )}</p>
                                <dl class="facts">
                                    <dt>"Ready"</dt><dd data-testid="count-ready">{p.ready}</dd>
                                    <dt>"Pending"</dt><dd data-testid="count-pending">{format!(
                                        "{}{}", p.pending,
                                        if p.backing_off > 0 { format!(" ({} waiting to retry)", p.backing_off) } else { String::new() }
                                    )}</dd>
                                    <dt>"Processing"</dt><dd>{p.processing}</dd>
                                    <dt>"Failed"</dt><dd data-testid="count-failed">{p.failed}</dd>
                                    <dt>"Messages to chunk"</dt><dd>{format!("{} batch(es)", p.indexing_backlog)}</dd>
                                </dl>
                                {(!failures.is_empty()).then(|| view! {
                                    <h3>"Failed chunks"</h3>
                                    <ul class="failures" data-testid="failed-chunks">
                                        {failures.into_iter().map(|f| view! {
                                            <li>
                                                <p class="snippet">{f.text_preview.clone()}</p>
                                                <p class="form-error">{format!("{} (after {} attempt(s))", f.error.clone().unwrap_or_default(), f.attempts)}</p>
                                                {f.conversation_id.clone().map(|c| view! {
                                                    <a href=format!("/conversations/{c}#{}", f.message_id.clone().unwrap_or_default())>"Open conversation"</a>
                                                })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                    <ActionForm action=retry>
                                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                                        <button type="submit" class="btn-small">"Retry failed"</button>
                                    </ActionForm>
                                })}
                                {move || retry.value().get().map(|r| match r {
                                    Ok(n) => view! { <p role="status" data-testid="retry-result">{format!("{n} chunk(s) queued again")}</p> }.into_any(),
                                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                                })}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </aside>
    }
}
