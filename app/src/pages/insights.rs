//! What the CRM reads out of conversations: the signals feed (with its example phrases and a
//! re-scan), the next-best-action inbox, the risk radar with the health weights, and the
//! account page's health, signals and actions. Filters are GET forms and every change is an
//! ActionForm with the CSRF token, so all of it works without JavaScript; with it, rows change
//! in place and "Load more" appends the next page.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        error_text, field_error,
        insights::{
            AccountInsightsView, ActionPage, ActionRow, AddPhrase, BackfillSignals, DecideAction,
            DeletePhrase, EvidenceLink, HEALTH_MEASURES, HealthPoint, HealthView, PhraseRow,
            RadarPageData, RadarRow, RecomputeHealth, SIGNAL_STATUSES, SIGNAL_TYPES,
            SetHealthWeights, SetPhraseEnabled, SetRiskStatus, SetSignalStatus, SignalPage,
            SignalRow, action_rules, health_weights, label_of, list_actions, list_phrases,
            list_signals, load_radar, measure_label, words,
        },
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{FormError, action_error},
        paging::{LoadMore, more_pages},
    },
    pages::crm::with_project,
};

/// `2024-05-01T10:20:30Z` → `2024-05-01 10:20`.
pub(crate) fn when(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// A query-string value, percent-encoded.
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query parameter of the current page, blank as none.
fn query_param(key: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// `the weights must …` → `The weights must ….`
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn percent(confidence: f64) -> String {
    format!("{:.0} %", (confidence * 100.0).clamp(0.0, 100.0))
}

fn band_class(band: &str) -> String {
    format!("band band-{}", band.to_lowercase().replace('_', "-"))
}

fn error_view(e: &ServerFnError) -> AnyView {
    view! { <p class="form-error" role="alert">{error_text(e)}</p> }.into_any()
}

/// `message` → `Messages`, `opportunity` → `Opportunities`.
fn plural_words(kind: &str) -> String {
    let one = words(kind);
    match one.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{one}s"),
    }
}

/// Evidence references grouped by kind, each a numbered link where it can be one.
#[component]
fn EvidenceLinks(evidence: Vec<EvidenceLink>) -> impl IntoView {
    let mut groups: Vec<(String, Vec<EvidenceLink>)> = Vec::new();
    for e in evidence {
        match groups.iter_mut().find(|(kind, _)| *kind == e.kind) {
            Some((_, items)) => items.push(e),
            None => groups.push((e.kind.clone(), vec![e])),
        }
    }
    (!groups.is_empty()).then(|| {
        view! {
            <ul class="evidence" aria-label="Evidence">
                {groups.into_iter().map(|(kind, items)| {
                    let single = items.len() == 1;
                    let heading = if single { words(&kind) } else { format!("{}:", plural_words(&kind)) };
                    let one = words(&kind);
                    let links = items.into_iter().enumerate().map(|(i, e)| {
                        let text = if single { String::new() } else { (i + 1).to_string() };
                        let label = if single { one.clone() } else { format!("{one} {}", i + 1) };
                        match (e.href, single) {
                            (Some(href), true) => view! { <a href=href title=e.id>{label}</a> }.into_any(),
                            (Some(href), false) => view! { " " <a href=href title=e.id aria-label=label>{text}</a> }.into_any(),
                            (None, true) => view! { <span title=e.id>{label}</span> }.into_any(),
                            (None, false) => view! { " " <span title=e.id aria-label=label>{text}</span> }.into_any(),
                        }
                    }).collect_view();
                    if single {
                        view! { <li>{links}</li> }.into_any()
                    } else {
                        view! { <li><span class="muted">{heading}</span>{links}</li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Signals

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

// ---------------------------------------------------------------------------------------------
// Next-best-actions

/// The next-best-action inbox.
#[component]
pub fn ActionsPage() -> impl IntoView {
    view! {
        <h1>"Next-best-actions"</h1>
        {with_project(|csrf| view! { <Actions csrf/> })}
    }
}

/// The inbox tabs: (query value, label).
const ACTION_TABS: &[(&str, &str)] = &[("", "Inbox"), ("done", "Done"), ("dismissed", "Dismissed")];

#[component]
fn Actions(csrf: String) -> impl IntoView {
    let tab = query_param("view");
    let after = query_param("after");
    let actions = Resource::new(
        move || (tab.get(), after.get()),
        |(tab, after)| list_actions(tab, after),
    );
    let rules = Resource::new(|| (), |_| action_rules());
    let csrf = StoredValue::new(csrf);
    let current = move || tab.get().unwrap_or_default();
    view! {
        <nav class="tabs" aria-label="Action lists">
            {ACTION_TABS.iter().map(|(value, label)| {
                let href = if value.is_empty() { "/actions".to_owned() } else { format!("/actions?view={value}") };
                view! {
                    <a href=href class="tab" aria-current=move || (current() == *value).then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
        {move || after.get().map(|_| {
            let href = match tab.get() { Some(t) => format!("/actions?view={}", query_escape(&t)), None => "/actions".to_owned() };
            view! { <p><a href=href>"← First page"</a></p> }
        })}
        <Transition fallback=|| view! { <Loading label="Loading actions…"/> }>
            {move || Suspend::new(async move {
                match actions.await {
                    Ok(page) if page.rows.is_empty() => {
                        let (title, hint) = match tab.get_untracked().as_deref() {
                            Some("done") => ("Nothing done yet", "Actions you mark done are listed here."),
                            Some("dismissed") => ("Nothing dismissed", "Actions you dismiss are listed here with your reason."),
                            _ => ("Your inbox is empty", "Actions are raised from signals and account health as conversations arrive."),
                        };
                        view! { <EmptyState title hint/> }.into_any()
                    }
                    Ok(page) => view! { <ActionList page tab=tab.get_untracked() csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
        <details class="panel rules" data-testid="nba-rules">
            <summary>"How actions are raised"</summary>
            <Transition fallback=|| view! { <Loading label="Loading rules…"/> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Ok(list) => view! {
                            <ul class="rule-list">
                                {list.into_iter().map(|r| view! {
                                    <li>
                                        <strong>{words(&r.key)}</strong>
                                        <span class="muted">{format!(" · priority {}", r.priority)}</span>
                                        <p>{r.description}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => error_view(&e),
                    }
                })}
            </Transition>
        </details>
    }
}

#[component]
fn ActionList(page: ActionPage, tab: Option<String>, csrf: String) -> impl IntoView {
    let t = tab.clone();
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| list_actions(t.clone(), Some(after)),
        |p: ActionPage| (p.rows, p.next),
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = tab.map(|t| ("view", t)).into_iter().collect();
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted" data-testid="nba-count">{format!("{} action(s), most urgent first", page.total)}</p>
        <ul class="nba-list" data-testid="nba-list">
            <For each=move || rows.get() key=|r| r.id.clone() let:row>
                <ActionItem row csrf=csrf.get_value() show_account=true/>
            </For>
        </ul>
        <LoadMore action="/actions" keep more/>
    }
}

/// One next-best-action with Accept / Done / Dismiss.
#[component]
pub(crate) fn ActionItem(row: ActionRow, csrf: String, show_account: bool) -> impl IntoView {
    let decide = ServerAction::<DecideAction>::new();
    let initial = row.status.clone();
    let status = Memo::new(move |_| match decide.value().get() {
        Some(Ok(s)) => s,
        _ => initial.clone(),
    });
    let live = move || matches!(status.get().as_str(), "OPEN" | "ACCEPTED");
    let error = action_error(decide.value());
    let id = StoredValue::new(row.id.clone());
    let csrf = StoredValue::new(csrf);
    let reason_id = StoredValue::new(format!("dismiss-reason-{}", row.id));
    let overdue = row.overdue;
    view! {
        <li class="nba" class:nba-overdue=move || overdue && live() data-testid="nba-row"
            data-id=row.id.clone() data-status=move || status.get()>
            <div class="nba-head">
                <span class="priority" title="Priority (0-100)">{format!("P{}", row.priority)}</span>
                <strong class="nba-title">{row.title.clone()}</strong>
                <span class=move || format!("status status-{}", status.get().to_lowercase()) data-testid="nba-status">
                    {move || words(&status.get())}
                </span>
            </div>
            <p class="nba-reason">{row.reason.clone()}</p>
            <p class="nba-meta muted">
                {row.due_at.clone().map(|d| view! {
                    <span class:overdue=move || overdue && live()>
                        {move || if overdue && live() { "Overdue since " } else { "Due " }}
                        <time datetime=d.clone()>{when(&d)}</time>
                    </span>
                })}
                {(show_account).then(|| row.account.clone().map(|a| view! {
                    " · " <a href=format!("/accounts/{}", a.id)>{a.name}</a>
                }))}
                {row.assignee.clone().map(|who| view! { " · for " <span data-testid="nba-assignee">{who}</span> })}
                {row.dismiss_reason.clone().map(|r| view! { " · dismissed: " {r} })}
            </p>
            <EvidenceLinks evidence=row.evidence.clone()/>
            <Show when=live>
                <div class="nba-buttons">
                    <ActionForm action=decide attr:class="actions">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <Show when=move || status.get() == "OPEN">
                            <button type="submit" class="btn-small" name="decision" value="accept">"Accept"</button>
                        </Show>
                        <button type="submit" class="btn-small" name="decision" value="done">"Done"</button>
                    </ActionForm>
                    <ActionForm action=decide attr:class="actions dismiss">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="decision" value="dismiss"/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <label for=reason_id.get_value() class="sr-only">"Reason for dismissing (optional)"</label>
                        <input id=reason_id.get_value() name="reason" class="reason" placeholder="reason (optional)" maxlength="500"/>
                        <button type="submit" class="btn-small">"Dismiss"</button>
                    </ActionForm>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </li>
    }
}

// ---------------------------------------------------------------------------------------------
// Risk radar and health weights

/// The risk radar and the health weights.
#[component]
pub fn RadarPage() -> impl IntoView {
    view! {
        <h1>"Risk radar"</h1>
        {with_project(|csrf| view! { <Radar csrf=csrf.clone()/> <WeightsSection csrf/> })}
    }
}

#[component]
fn Radar(csrf: String) -> impl IntoView {
    let after = query_param("after");
    let radar = Resource::new(move || after.get(), load_radar);
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted">"Accounts whose health dropped or whose customers signal risk, riskiest first."</p>
        {move || after.get().map(|_| view! { <p><a href="/radar">"← First page"</a></p> })}
        <Transition fallback=|| view! { <Loading label="Loading the radar…"/> }>
            {move || Suspend::new(async move {
                match radar.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No risks on the radar"
                            hint="Items appear when an account's health band drops or a churn or complaint signal is found."/>
                    }.into_any(),
                    Ok(page) => view! { <RadarList page csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn RadarList(page: RadarPageData, csrf: String) -> impl IntoView {
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| load_radar(Some(after)),
        |p: RadarPageData| (p.rows, p.next),
        |r| &r.id,
    );
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted">{format!("{} item(s)", page.total)}</p>
        <ol class="radar" data-testid="radar-list">
            <For each=move || rows.get() key=|r| r.id.clone() let:row>
                <RadarItem row csrf=csrf.get_value()/>
            </For>
        </ol>
        <LoadMore action="/radar" keep=Vec::new() more/>
    }
}

#[component]
fn RadarItem(row: RadarRow, csrf: String) -> impl IntoView {
    let set = ServerAction::<SetRiskStatus>::new();
    let initial = row.status.clone();
    let status = Memo::new(move |_| match set.value().get() {
        Some(Ok(s)) => s,
        _ => initial.clone(),
    });
    let error = action_error(set.value());
    let bands = match (&row.from_band, &row.to_band) {
        (Some(f), Some(t)) => Some(view! {
            <span class=band_class(f)>{words(f)}</span>" → "<span class=band_class(t)>{words(t)}</span>
        }),
        _ => None,
    };
    let choices: &[(&str, &str)] = &[
        ("ACKNOWLEDGED", "Acknowledge"),
        ("RESOLVED", "Resolve"),
        ("DISMISSED", "Dismiss"),
    ];
    let item_id = row.id.clone();
    view! {
        <li class="radar-item" data-testid="radar-item" data-id=item_id data-status=move || status.get()>
            <div class="radar-head">
                <span class="risk-score" title="Risk score">{format!("{:.0}", row.risk_score)}</span>
                <a href=format!("/accounts/{}", row.account.id)>{row.account.name.clone()}</a>
                <span class="badge badge-muted">{words(&row.kind)}</span>
                {bands}
                <time datetime=row.detected_at.clone()>{when(&row.detected_at)}</time>
            </div>
            <p>{row.explanation.clone()}</p>
            <EvidenceLinks evidence=row.evidence.clone()/>
            <div class="radar-foot">
                <span class=move || format!("status status-{}", status.get().to_lowercase())>{move || words(&status.get())}</span>
                <ActionForm action=set attr:class="actions">
                    <input type="hidden" name="id" value=row.id.clone()/>
                    <input type="hidden" name="csrf" value=csrf/>
                    {choices.iter().map(|(value, label)| {
                        let value = *value;
                        view! {
                            <Show when=move || status.get() != value>
                                <button type="submit" class="btn-small" name="status" value=value>{*label}</button>
                            </Show>
                        }
                    }).collect_view()}
                </ActionForm>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </li>
    }
}

/// The five health weights (whole numbers summing to 100).
#[component]
fn WeightsSection(csrf: String) -> impl IntoView {
    let set = ServerAction::<SetHealthWeights>::new();
    let weights = Resource::new(move || set.version().get(), |_| health_weights());
    let error = action_error(set.value());
    let saved = move || matches!(set.value().get(), Some(Ok(_)));
    let csrf = StoredValue::new(csrf);
    let api_fields: &'static [&'static str] = &[
        "replyLatency",
        "unresolvedConversations",
        "recentSignals",
        "activityRecency",
        "opportunityState",
        "weights",
    ];
    view! {
        <section class="panel" id="health-weights" data-testid="health-weights">
            <h2>"Health weights"</h2>
            <p class="muted">"How much each measure counts towards an account's health score. Whole numbers that sum to 100; scores use them from their next computation."</p>
            <Transition fallback=|| view! { <Loading label="Loading weights…"/> }>
                {move || Suspend::new(async move {
                    match weights.await {
                        Ok(list) => view! {
                            {list.iter().any(|w| w.is_default).then(|| view! {
                                <p class="muted" data-testid="default-weights">"These are the app's defaults; saving makes them this project's own."</p>
                            })}
                            <ActionForm action=set attr:class="form inline weights">
                                {HEALTH_MEASURES.iter().enumerate().map(|(i, (measure, label, field))| {
                                    let value = list.iter().find(|w| w.measure == *measure).map(|w| w.weight).unwrap_or_default();
                                    let api = api_fields[i];
                                    let message = move || error.get().and_then(|e| field_error(&e, api));
                                    let id = format!("weight-{field}");
                                    view! {
                                        <div class="field narrow-field">
                                            <label for=id.clone()>{*label}</label>
                                            <input id=id type="number" name=*field min="0" max="100" step="1" required=true
                                                value=value.to_string() aria-invalid=move || message().is_some().to_string()/>
                                            <Show when=move || message().is_some()>
                                                <p class="field-error" role="alert">{message}</p>
                                            </Show>
                                        </div>
                                    }
                                }).collect_view()}
                                <input type="hidden" name="csrf" value=csrf.get_value()/>
                                <button type="submit" class="btn-primary">"Save weights"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => error_view(&e),
                    }
                })}
            </Transition>
            <FormError error fields=api_fields/>
            {move || error.get().and_then(|e| field_error(&e, "weights")).map(|m| view! {
                <p class="form-error" role="alert" data-testid="weights-error">{sentence(&m)}</p>
            })}
            <Show when=saved>
                <p class="notice" role="status">"Weights saved."</p>
            </Show>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Account page sections

/// The account page's health, next-best-actions and signals, from one resource.
#[component]
pub fn AccountInsightsSections(
    account_id: String,
    insights: Resource<Result<AccountInsightsView, ServerFnError>>,
    recompute: ServerAction<RecomputeHealth>,
    csrf: String,
) -> impl IntoView {
    let csrf = StoredValue::new(csrf);
    let account_id = StoredValue::new(account_id);
    let recompute_error = action_error(recompute.value());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading health and signals…"/> }>
            {move || Suspend::new(async move {
                match insights.await {
                    Ok(i) => {
                        let AccountInsightsView { health, history, signals, signals_total, actions } = i;
                        view! {
                            <section class="panel" id="health" data-testid="health">
                                <h2>"Health"</h2>
                                {match health {
                                    Some(h) => view! { <HealthPanel health=h history/> }.into_any(),
                                    None => view! {
                                        <EmptyState title="No health score yet"
                                            hint="Health is computed in the background from the conversations of the account's confirmed contacts and its opportunities."/>
                                    }.into_any(),
                                }}
                                <div class="toolbar">
                                    <ActionForm action=recompute attr:class="form inline">
                                        <input type="hidden" name="account_id" value=account_id.get_value()/>
                                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                                        <button type="submit" class="btn-small">"Recompute now"</button>
                                    </ActionForm>
                                    <a href="/radar#health-weights">"Change the weights"</a>
                                </div>
                                <FormError error=recompute_error fields=&[]/>
                            </section>
                            <section class="panel" data-testid="account-actions">
                                <h2>"Next-best-actions"</h2>
                                {if actions.is_empty() {
                                    view! { <p class="muted">"No open actions for this account."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="nba-list">
                                            {actions.into_iter().map(|row| view! {
                                                <ActionItem row csrf=csrf.get_value() show_account=false/>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                            <section class="panel" data-testid="account-signals">
                                <h2>"Signals"</h2>
                                {if signals.is_empty() {
                                    view! { <p class="muted">"No signals from this account's conversations yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <p class="muted">{format!("Latest {} of {}", signals.len(), signals_total)}</p>
                                        <table class="data-table signals">
                                            <thead><tr>
                                                <th scope="col">"Type"</th><th scope="col">"Confidence"</th><th scope="col">"Detector"</th>
                                                <th scope="col">"Message"</th><th scope="col">"Occurred"</th><th scope="col">"Status"</th>
                                            </tr></thead>
                                            <tbody>
                                                {signals.into_iter().map(|row| view! {
                                                    <SignalItem row csrf=csrf.get_value() show_account=false/>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! {
                        <section class="panel"><h2>"Health"</h2>{error_view(&e)}</section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn trend_arrow(trend: &str) -> (&'static str, &'static str) {
    match trend {
        "UP" => ("↑", "rising"),
        "DOWN" => ("↓", "falling"),
        "FLAT" => ("→", "steady"),
        _ => ("•", "first score"),
    }
}

fn measure_value(measure: &str, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "—".to_owned();
    };
    match measure {
        "REPLY_LATENCY" => format!("{v:.1} h"),
        "ACTIVITY_RECENCY" => format!("{v:.0} day(s)"),
        "OPPORTUNITY_STATE" => format!("{v:.0} open"),
        _ => format!("{v:.0}"),
    }
}

#[component]
fn HealthPanel(health: HealthView, history: Vec<HealthPoint>) -> impl IntoView {
    let evidence = health.evidence.clone();
    let (arrow, trend_words) = trend_arrow(&health.trend);
    let trend_label = match health.previous_score {
        Some(p) => format!("{trend_words}, from {p:.0}"),
        None => trend_words.to_owned(),
    };
    let history = if history.is_empty() {
        vec![HealthPoint {
            score: health.score,
            band: health.band.clone(),
            computed_at: health.computed_at.clone(),
            at: 0,
        }]
    } else {
        history
    };
    view! {
        <div class="health-summary">
            <span class="health-score" data-testid="health-score">{format!("{:.0}", health.score)}</span>
            <span class=band_class(&health.band) data-testid="health-band">{words(&health.band)}</span>
            <span class="trend" title=trend_label.clone() aria-label=format!("Trend: {trend_label}")>{arrow}</span>
            <span class="muted">"computed " <time datetime=health.computed_at.clone()>{when(&health.computed_at)}</time></span>
        </div>
        <HealthChart points=history/>
        <table class="data-table measures" data-testid="health-measures">
            <caption class="sr-only">"Measures behind the score"</caption>
            <thead><tr>
                <th scope="col">"Measure"</th><th scope="col">"Value"</th>
                <th scope="col">"Sub-score"</th><th scope="col">"Weight"</th>
            </tr></thead>
            <tbody>
                {health.measures.into_iter().map(|m| view! {
                    <tr>
                        <th scope="row">{measure_label(&m.measure)}</th>
                        <td class="num">{measure_value(&m.measure, m.value)}</td>
                        <td class="num">{format!("{:.0}", m.score)}</td>
                        <td class="num">{format!("{} %", m.weight)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(!evidence.is_empty()).then(|| view! {
            <div class="health-evidence" data-testid="health-evidence">
                <h3>"What drove it"</h3>
                <EvidenceLinks evidence/>
            </div>
        })}
    }
}

/// Chart geometry: the plot inside the SVG's view box.
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 180.0;
const PAD_LEFT: f64 = 34.0;
const PAD_RIGHT: f64 = 10.0;
const PAD_Y: f64 = 10.0;

fn chart_y(score: f64) -> f64 {
    PAD_Y + (100.0 - score.clamp(0.0, 100.0)) / 100.0 * (CHART_H - 2.0 * PAD_Y)
}

/// x of each point: by time, or evenly spaced when the times coincide.
fn chart_xs(points: &[HealthPoint]) -> Vec<f64> {
    let width = CHART_W - PAD_LEFT - PAD_RIGHT;
    let first = points.first().map_or(0, |p| p.at);
    let last = points.last().map_or(0, |p| p.at);
    if points.len() == 1 {
        return vec![PAD_LEFT + width / 2.0];
    }
    if last > first {
        points
            .iter()
            .map(|p| PAD_LEFT + (p.at - first) as f64 / (last - first) as f64 * width)
            .collect()
    } else {
        let n = (points.len() - 1) as f64;
        (0..points.len())
            .map(|i| PAD_LEFT + i as f64 / n * width)
            .collect()
    }
}

/// The health history as an inline SVG line with the band thresholds, plus the same data as
/// a table for screen readers and anyone who prefers numbers.
#[component]
fn HealthChart(points: Vec<HealthPoint>) -> impl IntoView {
    let xs = chart_xs(&points);
    let line: String = points
        .iter()
        .zip(&xs)
        .map(|(p, x)| format!("{x:.1},{:.1}", chart_y(p.score)))
        .collect::<Vec<_>>()
        .join(" ");
    let first = points.first().cloned();
    let last = points.last().cloned();
    let summary = match (&first, &last) {
        (Some(f), Some(l)) if points.len() > 1 => format!(
            "Health score over time: {} scores from {:.0} on {} to {:.0} on {}",
            points.len(),
            f.score,
            when(&f.computed_at),
            l.score,
            when(&l.computed_at)
        ),
        (_, Some(l)) => format!("Health score: {:.0} on {}", l.score, when(&l.computed_at)),
        _ => "No health scores".to_owned(),
    };
    let threshold = |score: f64, label: &'static str| {
        let y = chart_y(score);
        view! {
            <line class="threshold" x1=PAD_LEFT.to_string() x2=(CHART_W - PAD_RIGHT).to_string()
                y1=format!("{y:.1}") y2=format!("{y:.1}")/>
            <text class="threshold-label" x="2" y=format!("{:.1}", y + 4.0)>{label}</text>
        }
    };
    let dots = points
        .iter()
        .zip(&xs)
        .map(|(p, x)| {
            let class = format!("dot dot-{}", p.band.to_lowercase().replace('_', "-"));
            view! {
                <circle class=class cx=format!("{x:.1}") cy=format!("{:.1}", chart_y(p.score)) r="3">
                    <title>{format!("{:.0} on {}", p.score, when(&p.computed_at))}</title>
                </circle>
            }
        })
        .collect_view();
    let rows = points
        .iter()
        .rev()
        .map(|p| {
            view! {
                <tr>
                    <td><time datetime=p.computed_at.clone()>{when(&p.computed_at)}</time></td>
                    <td class="num">{format!("{:.0}", p.score)}</td>
                    <td>{words(&p.band)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="health-chart">
            <svg data-testid="health-chart" role="img" aria-label=summary.clone()
                viewBox=format!("0 0 {CHART_W} {CHART_H}")>
                <title>{summary.clone()}</title>
                <rect class="zone zone-healthy" x=PAD_LEFT.to_string() y=format!("{:.1}", chart_y(100.0))
                    width=(CHART_W - PAD_LEFT - PAD_RIGHT).to_string() height=format!("{:.1}", chart_y(70.0) - chart_y(100.0))/>
                <rect class="zone zone-critical" x=PAD_LEFT.to_string() y=format!("{:.1}", chart_y(40.0))
                    width=(CHART_W - PAD_LEFT - PAD_RIGHT).to_string() height=format!("{:.1}", chart_y(0.0) - chart_y(40.0))/>
                {threshold(70.0, "70")}
                {threshold(40.0, "40")}
                <polyline class="score-line" points=line fill="none"/>
                {dots}
            </svg>
            <figcaption class="muted">"Score over time; lines at 70 (healthy) and 40 (critical)."</figcaption>
            <details>
                <summary>"Score history as a table"</summary>
                <table class="data-table" data-testid="health-history">
                    <thead><tr><th scope="col">"Computed"</th><th scope="col">"Score"</th><th scope="col">"Band"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(score: f64, at: i64) -> HealthPoint {
        HealthPoint {
            score,
            band: "HEALTHY".to_owned(),
            computed_at: String::new(),
            at,
        }
    }

    #[test]
    fn the_chart_spreads_points_over_time_and_maps_scores_top_down() {
        let xs = chart_xs(&[point(80.0, 100), point(50.0, 150), point(20.0, 300)]);
        assert_eq!(xs.first().copied(), Some(PAD_LEFT));
        assert_eq!(xs.last().copied(), Some(CHART_W - PAD_RIGHT));
        assert!(xs[1] < (xs[0] + xs[2]) / 2.0);
        assert!(chart_y(100.0) < chart_y(70.0) && chart_y(70.0) < chart_y(40.0));
        assert_eq!(chart_y(0.0), CHART_H - PAD_Y);
        assert_eq!(
            chart_xs(&[point(1.0, 5)]),
            vec![PAD_LEFT + (CHART_W - PAD_LEFT - PAD_RIGHT) / 2.0]
        );
        assert_eq!(
            chart_xs(&[point(1.0, 5), point(2.0, 5)]),
            vec![PAD_LEFT, CHART_W - PAD_RIGHT]
        );
    }

    #[test]
    fn evidence_kinds_read_as_plural_words() {
        assert_eq!(plural_words("message"), "Messages");
        assert_eq!(plural_words("health_score"), "Health scores");
        assert_eq!(plural_words("opportunity"), "Opportunities");
        assert_eq!(
            sentence("the weights must sum to 100"),
            "The weights must sum to 100."
        );
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(query_escape("OPEN"), "OPEN");
    }
}
