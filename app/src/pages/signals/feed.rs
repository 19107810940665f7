//! The signals feed (filters, triage), its example phrases and the re-scan.
use leptos::prelude::*;

use super::*;

/// The signals feed, its example phrases and the re-scan.
#[component]
pub fn SignalsPage() -> impl IntoView {
    view! {
        <h1>"Signals"</h1>
        {with_project(|csrf| view! { <Signals csrf/> })}
    }
}

#[component]
fn Signals(csrf: String) -> impl IntoView {
    let kind = query_param("type");
    let status = query_param("status");
    let after = query_param("after");
    let queued = query_param("queued");
    let backfill = ServerAction::<BackfillSignals>::new();
    let backfill_error = action_error(backfill.value());
    let signals = Resource::new(
        move || (kind.get(), status.get(), after.get()),
        |(kind, status, after)| list_signals(kind, status, after),
    );
    let csrf = StoredValue::new(csrf);
    let type_options = move || {
        SIGNAL_TYPES
            .iter()
            .map(|(v, l)| view! { <option value=*v selected=move || kind.get().as_deref() == Some(*v)>{*l}</option> })
            .collect_view()
    };
    let status_options = move || {
        SIGNAL_STATUSES
            .iter()
            .map(|(v, l)| view! { <option value=*v selected=move || status.get().as_deref() == Some(*v)>{*l}</option> })
            .collect_view()
    };
    view! {
        <div class="toolbar">
            <form class="form inline" method="get" action="/signals" data-testid="signals-filter">
                <div class="field">
                    <label for="signals-type">"Type"</label>
                    <select id="signals-type" name="type">
                        <option value="" selected=move || kind.get().is_none()>"All types"</option>
                        {type_options}
                    </select>
                </div>
                <div class="field">
                    <label for="signals-status">"Status"</label>
                    <select id="signals-status" name="status">
                        <option value="" selected=move || status.get().is_none()>"All states"</option>
                        {status_options}
                    </select>
                </div>
                <button type="submit" class="btn-small">"Apply"</button>
            </form>
            <ActionForm action=backfill attr:class="form inline" attr:data-testid="backfill-form">
                <input type="hidden" name="csrf" value=move || csrf.get_value()/>
                <button type="submit" class="btn-small" disabled=move || backfill.pending().get()>
                    "Scan all messages again"
                </button>
            </ActionForm>
        </div>
        <FormError error=backfill_error fields=&[]/>
        {move || queued.get().map(|n| view! {
            <p class="notice" role="status" data-testid="backfill-result">
                {format!("{n} message(s) queued for signal detection; new signals appear here as they are found.")}
            </p>
        })}
        {move || after.get().map(|_| {
            let mut href = "/signals".to_owned();
            let params: Vec<String> = [("type", kind.get()), ("status", status.get())]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k}={}", query_escape(&v))))
                .collect();
            if !params.is_empty() {
                href = format!("{href}?{}", params.join("&"));
            }
            view! { <p><a href=href>"← Newest signals"</a></p> }
        })}
        <Transition fallback=|| view! { <Loading label="Loading signals…"/> }>
            {move || Suspend::new(async move {
                match signals.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No signals"
                            hint="Signals are found in customers' messages as they arrive. Change the filters, or scan all messages again."/>
                    }.into_any(),
                    Ok(page) => view! {
                        <SignalList page kind=kind.get_untracked() status=status.get_untracked() csrf=csrf.get_value()/>
                    }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
        <PhrasesSection csrf=csrf.get_value()/>
    }
}

#[component]
fn SignalList(
    page: SignalPage,
    kind: Option<String>,
    status: Option<String>,
    csrf: String,
) -> impl IntoView {
    let (k, s) = (kind.clone(), status.clone());
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| list_signals(k.clone(), s.clone(), Some(after)),
        |p: SignalPage| (p.rows, p.next),
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = [("type", kind), ("status", status)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted" data-testid="signals-count">{format!("{} signal(s), newest first", page.total)}</p>
        <table class="data-table signals" data-testid="signals-table">
            <thead><tr>
                <th scope="col">"Type"</th><th scope="col">"Confidence"</th><th scope="col">"Detector"</th>
                <th scope="col">"Message"</th><th scope="col">"Account"</th><th scope="col">"Occurred"</th>
                <th scope="col">"Status"</th>
            </tr></thead>
            <tbody>
                <For each=move || rows.get() key=|r| r.id.clone() let:row>
                    <SignalItem row csrf=csrf.get_value() show_account=true/>
                </For>
            </tbody>
        </table>
        <LoadMore action="/signals" keep more/>
    }
}

/// A signal's table row with its triage buttons.
#[component]
pub(crate) fn SignalItem(row: SignalRow, csrf: String, show_account: bool) -> impl IntoView {
    let set = ServerAction::<SetSignalStatus>::new();
    let initial = row.status.clone();
    let status = Memo::new(move |_| match set.value().get() {
        Some(Ok(s)) => s,
        _ => initial.clone(),
    });
    let error = action_error(set.value());
    let href = row.message_href();
    let kind_class = format!(
        "badge signal-type signal-{}",
        row.kind.to_lowercase().replace('_', "-")
    );
    let id = row.id.clone();
    let csrf = StoredValue::new(csrf);
    let choices: &[(&str, &str)] = &[
        ("ACKNOWLEDGED", "Acknowledge"),
        ("RESOLVED", "Resolve"),
        ("DISMISSED", "Dismiss"),
        ("OPEN", "Reopen"),
    ];
    view! {
        <tr data-testid="signal-row" data-id=row.id.clone() data-type=row.kind.clone() data-status=move || status.get()>
            <td><span class=kind_class>{label_of(SIGNAL_TYPES, &row.kind)}</span></td>
            <td class="num">{percent(row.confidence)}</td>
            <td>{words(&row.detector)}</td>
            <td class="summary">
                {row.summary.clone().unwrap_or_default()}
                {href.map(|h| view! { " " <a href=h>"Open message"</a> })}
            </td>
            {show_account.then(|| view! {
                <td>{match row.account.clone() {
                    Some(a) => view! { <a href=format!("/accounts/{}", a.id)>{a.name}</a> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}</td>
            })}
            <td><time datetime=row.occurred_at.clone()>{when(&row.occurred_at)}</time></td>
            <td>
                <span class=move || format!("status status-{}", status.get().to_lowercase()) data-testid="signal-status">
                    {move || label_of(SIGNAL_STATUSES, &status.get())}
                </span>
                <ActionForm action=set attr:class="actions">
                    <input type="hidden" name="id" value=id.clone()/>
                    <input type="hidden" name="csrf" value=csrf.get_value()/>
                    {choices.iter().map(|(value, label)| {
                        let value = *value;
                        view! {
                            <Show when=move || status.get() != value>
                                <button type="submit" class="btn-small" name="status" value=value>{*label}</button>
                            </Show>
                        }
                    }).collect_view()}
                </ActionForm>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}

#[component]
fn PhrasesSection(csrf: String) -> impl IntoView {
    let add = ServerAction::<AddPhrase>::new();
    let toggle = ServerAction::<SetPhraseEnabled>::new();
    let delete = ServerAction::<DeletePhrase>::new();
    let phrases = Resource::new(
        move || {
            (
                add.version().get(),
                toggle.version().get(),
                delete.version().get(),
            )
        },
        |_| list_phrases(),
    );
    let add_error = action_error(add.value());
    let change_error = Signal::derive(move || {
        action_error(toggle.value())
            .get()
            .or_else(|| action_error(delete.value()).get())
    });
    let csrf = StoredValue::new(csrf);
    let phrase_error = move || add_error.get().and_then(|e| field_error(&e, "phrase"));
    view! {
        <section class="panel" id="phrases" data-testid="phrases">
            <h2>"Example phrases"</h2>
            <p class="muted">"Messages close in meaning to an enabled phrase raise a signal of its type."</p>
            <FormError error=change_error fields=&[]/>
            <Transition fallback=|| view! { <Loading label="Loading phrases…"/> }>
                {move || Suspend::new(async move {
                    match phrases.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No example phrases" hint="Add one below."/>
                        }.into_any(),
                        Ok(list) => {
                            let groups = SIGNAL_TYPES.iter().filter_map(|(kind, label)| {
                                let mine: Vec<PhraseRow> = list.iter().filter(|p| p.kind == *kind).cloned().collect();
                                (!mine.is_empty()).then(|| view! {
                                    <h3>{*label}</h3>
                                    <ul class="phrases">
                                        {mine.into_iter().map(|p| view! {
                                            <PhraseItem phrase=p csrf=csrf.get_value() toggle delete/>
                                        }).collect_view()}
                                    </ul>
                                })
                            }).collect_view();
                            view! { <div>{groups}</div> }.into_any()
                        }
                        Err(e) => error_view(&e),
                    }
                })}
            </Transition>
            <h3>"Add a phrase"</h3>
            <ActionForm action=add attr:class="form inline" attr:data-testid="add-phrase-form">
                <div class="field">
                    <label for="phrase-type">"Type"</label>
                    <select id="phrase-type" name="kind">
                        {SIGNAL_TYPES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field grow">
                    <label for="phrase-text">"Phrase"</label>
                    <input id="phrase-text" name="phrase" required=true maxlength="300"
                        aria-invalid=move || phrase_error().is_some().to_string()/>
                    <Show when=move || phrase_error().is_some()>
                        <p class="field-error" role="alert">{phrase_error}</p>
                    </Show>
                </div>
                <div class="field">
                    <label for="phrase-language">"Language (optional)"</label>
                    <input id="phrase-language" name="language" placeholder="e.g. en" maxlength="16"/>
                </div>
                <input type="hidden" name="csrf" value=move || csrf.get_value()/>
                <button type="submit" class="btn-primary">"Add phrase"</button>
            </ActionForm>
            <FormError error=add_error fields=&["phrase"]/>
        </section>
    }
}

#[component]
fn PhraseItem(
    phrase: PhraseRow,
    csrf: String,
    toggle: ServerAction<SetPhraseEnabled>,
    delete: ServerAction<DeletePhrase>,
) -> impl IntoView {
    let (id1, id2) = (phrase.id.clone(), phrase.id.clone());
    let (csrf1, csrf2) = (csrf.clone(), csrf);
    let enabled = phrase.enabled;
    let toggle_label = format!(
        "{} “{}”",
        if enabled { "Disable" } else { "Enable" },
        phrase.phrase
    );
    let delete_label = format!("Delete “{}”", phrase.phrase);
    view! {
        <li class=if enabled { "phrase" } else { "phrase phrase-disabled" } data-testid="phrase">
            <span class="phrase-text">{phrase.phrase.clone()}</span>
            {phrase.language.clone().map(|l| view! { <span class="badge badge-muted">{l}</span> })}
            {(!enabled).then(|| view! { <span class="badge badge-muted">"disabled"</span> })}
            {(enabled && !phrase.embedded).then(|| view! { <span class="muted small">"(not yet embedded)"</span> })}
            <ActionForm action=toggle attr:class="actions">
                <input type="hidden" name="id" value=id1/>
                <input type="hidden" name="enabled" value=if enabled { "false" } else { "true" }/>
                <input type="hidden" name="csrf" value=csrf1/>
                <button type="submit" class="btn-small" aria-label=toggle_label>
                    {if enabled { "Disable" } else { "Enable" }}
                </button>
            </ActionForm>
            <ActionForm action=delete attr:class="actions">
                <input type="hidden" name="id" value=id2/>
                <input type="hidden" name="csrf" value=csrf2/>
                <button type="submit" class="btn-small btn-danger" aria-label=delete_label>"Delete"</button>
            </ActionForm>
        </li>
    }
}
