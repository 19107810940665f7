//! The outbox: every outbound message (written by hand, from offers, campaigns or
//! next-best-actions) with status tabs, its attempts, Approve / Reject / Cancel, and a form to
//! write a message; and the contact page's channel policies (opt-out / opt-in, frequency cap).
use leptos::prelude::*;

use crate::{
    api::{
        field_error,
        outbound::{
            OUTBOUND_STATUSES, OutboundAction, SetChannelPolicy, WriteMessage, channel_policies,
            list_outbound,
            ops::{
                contact_channel_policies_query::ContactChannelPoliciesQueryContactChannelPolicies,
                outbound_messages_query::{
                    OutboundMessagesQueryOutboundMessages,
                    OutboundMessagesQueryOutboundMessagesEdgesNode,
                },
            },
            window_words,
        },
        text::{label_of, name, query_escape, words},
    },
    components::page::{error_view, query_param, with_csrf},
    components::{
        feedback::{EmptyState, Loading},
        forms::action_error,
        paging::{LoadMore, more_pages},
    },
    pages::{crm::with_project, signals::when},
};

/// The outbox tabs: (status, label); blank is every message.
const TABS: &[(&str, &str)] = &[
    ("", "All"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("QUEUED", "Queued"),
    ("SENT", "Sent"),
    ("FAILED", "Failed"),
    ("BLOCKED", "Blocked"),
    ("CANCELLED", "Cancelled"),
    ("DRAFT", "Drafts"),
];

/// The outbound queue and the "Write a message" form.
#[component]
pub fn OutboxPage() -> impl IntoView {
    view! {
        <h1>"Outbox"</h1>
        {with_project(|csrf| view! { <Outbox csrf/> })}
    }
}

#[component]
fn Outbox(csrf: String) -> impl IntoView {
    let status = query_param("status");
    let after = query_param("after");
    let write = ServerAction::<WriteMessage>::new();
    let messages = Resource::new(
        move || (status.get(), after.get(), write.version().get()),
        |(status, after, _)| list_outbound(status, after),
    );
    let current = move || status.get().unwrap_or_default();
    let csrf = StoredValue::new(csrf);
    view! {
        <p><a href="#write">"Write a message"</a></p>
        <nav class="tabs" aria-label="Outbound messages by status" data-testid="outbox-tabs">
            {TABS.iter().map(|(value, label)| {
                let href = if value.is_empty() { "/outbox".to_owned() } else { format!("/outbox?status={value}") };
                view! {
                    <a href=href class="tab" aria-current=move || (current() == *value).then_some("page")>{*label}</a>
                }
            }).collect_view()}
        </nav>
        {move || after.get().map(|_| {
            let href = match status.get() { Some(s) => format!("/outbox?status={s}"), None => "/outbox".to_owned() };
            view! { <p><a href=href>"← First page"</a></p> }
        })}
        <Transition fallback=|| view! { <Loading label="Loading messages…"/> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Ok(page) if page.edges.is_empty() => view! {
                        <div data-testid="outbox-list">
                            <EmptyState title="No messages here"
                                hint="Messages written below, offers sent and running campaigns appear in the outbox."/>
                        </div>
                    }.into_any(),
                    Ok(page) => view! { <OutboxList page status=status.get_untracked() csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
        <WriteMessageSection write csrf=csrf.get_value()/>
    }
}

#[component]
fn OutboxList(
    page: OutboundMessagesQueryOutboundMessages,
    status: Option<String>,
    csrf: String,
) -> impl IntoView {
    let s = status.clone();
    let total = page.total_count;
    let next = page.next();
    let (rows, more) = more_pages(
        page.into_rows(),
        next,
        move |after| list_outbound(s.clone(), Some(after)),
        |p: OutboundMessagesQueryOutboundMessages| {
            let next = p.next();
            (p.into_rows(), next)
        },
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = status.map(|s| ("status", s)).into_iter().collect();
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted" data-testid="outbox-count">{format!("{total} message(s), newest first")}</p>
        <ul class="outbox" data-testid="outbox-list">
            <For each=move || rows.get() key=|r| (r.id.clone(), r.status_name()) let:row>
                <OutboxItem row csrf=csrf.get_value()/>
            </For>
        </ul>
        <LoadMore action="/outbox" keep more/>
    }
}

/// One message with its attempts and the actions its status allows.
#[component]
fn OutboxItem(row: OutboundMessagesQueryOutboundMessagesEdgesNode, csrf: String) -> impl IntoView {
    let act = ServerAction::<OutboundAction>::new();
    let initial = row.status_name();
    let status = Memo::new(move |_| match act.value().get() {
        Some(Ok(s)) => s,
        _ => initial.clone(),
    });
    let error = action_error(act.value());
    let sending = row.sending;
    let can_cancel = move || {
        !sending
            && matches!(
                status.get().as_str(),
                "DRAFT" | "PENDING_APPROVAL" | "APPROVED" | "QUEUED"
            )
    };
    let id = StoredValue::new(row.id.clone());
    let csrf = StoredValue::new(csrf);
    let reason_id = StoredValue::new(format!("reject-reason-{}", row.id));
    let origin_kind = row.origin_name();
    let origin = match (row.origin_href(), origin_kind.as_str()) {
        (Some(href), kind) => view! { <a href=href>{words(kind)}</a> }.into_any(),
        (None, kind) => view! { <span>{words(kind)}</span> }.into_any(),
    };
    let display_id = row.conversation_display_id();
    let conversation = row.conversation_id.clone().map(|c| {
        let label = display_id
            .map(|d| format!("conversation #{d}"))
            .unwrap_or_else(|| "conversation".to_owned());
        view! { " · " <a href=format!("/conversations/{c}")>{label}</a> }
    });
    let attempts = row.attempts.clone();
    let attempt_count = row.attempt_count;
    let attempts_view = (!attempts.is_empty()).then(|| {
        view! {
            <details class="attempts" data-testid="outbox-attempts">
                <summary>{format!("{} attempt(s) of {}", attempt_count, row.max_attempts)}</summary>
                <table class="data-table">
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Outcome"</th><th scope="col">"HTTP"</th>
                        <th scope="col">"Error"</th><th scope="col">"When"</th>
                    </tr></thead>
                    <tbody>
                        {attempts.into_iter().map(|a| view! {
                            <tr>
                                <td class="num">{a.attempt_no}</td>
                                <td>{words(&name(&a.status))}{a.retryable.filter(|r| *r).map(|_| " (will retry)")}</td>
                                <td class="num">{a.http_status.map(|s| s.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                                <td>{a.error.unwrap_or_default()}</td>
                                <td><time datetime=a.started_at.clone()>{when(&a.started_at)}</time></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        }
    });
    view! {
        <li class="outbox-item panel" data-testid="outbox-row" data-id=row.id.clone()
            data-status=move || status.get() data-origin=origin_kind.clone()
            data-display-id=display_id.map(|d| d.to_string())>
            <div class="outbox-head">
                <span class=move || format!("status status-{}", status.get().to_lowercase().replace('_', "-"))
                    data-testid="outbox-status">
                    {move || label_of(OUTBOUND_STATUSES, &status.get())}
                </span>
                " to " <a href=format!("/contacts/{}", row.contact_id)>{row.contact_label()}</a>
                {conversation}
                " · from " {origin}
                " · " <time datetime=row.created_at.clone()>{when(&row.created_at)}</time>
                {row.sending.then(|| view! { " · " <span class="badge">"sending now"</span> })}
            </div>
            <p class="outbox-content prewrap" data-testid="outbox-content">{row.content.clone()}</p>
            {row.blocked_reason.clone().map(|r| view! {
                <p class="muted" data-testid="outbox-blocked-reason">{format!("Reason: {}", words(&r))}</p>
            })}
            {row.last_error.clone().map(|e| view! { <p class="muted">{format!("Last error: {e}")}</p> })}
            {row.next_attempt_at.clone().filter(|_| row.status_name() == "QUEUED").map(|at| view! {
                <p class="muted">"Next try " <time datetime=at.clone()>{when(&at)}</time></p>
            })}
            {attempts_view}
            <div class="outbox-actions">
                <Show when=move || status.get() == "DRAFT">
                    <ActionForm action=act attr:class="actions">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <input type="hidden" name="action" value="submit"/>
                        <button type="submit" class="btn-small">"Submit for approval"</button>
                    </ActionForm>
                </Show>
                <Show when=move || status.get() == "PENDING_APPROVAL">
                    <ActionForm action=act attr:class="actions">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <input type="hidden" name="action" value="approve"/>
                        <button type="submit" class="btn-small btn-primary">"Approve"</button>
                    </ActionForm>
                    <ActionForm action=act attr:class="actions">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <input type="hidden" name="action" value="reject"/>
                        <label for=reason_id.get_value() class="sr-only">"Reason for rejecting (optional)"</label>
                        <input id=reason_id.get_value() name="reason" class="reason" placeholder="reason (optional)" maxlength="2000"/>
                        <button type="submit" class="btn-small">"Reject"</button>
                    </ActionForm>
                </Show>
                <Show when=can_cancel>
                    <ActionForm action=act attr:class="actions">
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <input type="hidden" name="action" value="cancel"/>
                        <button type="submit" class="btn-small btn-danger">"Cancel"</button>
                    </ActionForm>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </li>
    }
}

#[component]
fn WriteMessageSection(write: ServerAction<WriteMessage>, csrf: String) -> impl IntoView {
    let contact = query_param("contact");
    let error = action_error(write.value());
    let done = move || matches!(write.value().get(), Some(Ok(_)));
    let contact_error = move || error.get().and_then(|e| field_error(&e, "contactId"));
    let content_error = move || error.get().and_then(|e| field_error(&e, "content"));
    let general = move || {
        error
            .get()
            .filter(|_| contact_error().is_none() && content_error().is_none())
    };
    view! {
        <section class="panel" id="write" data-testid="write-message">
            <h2>"Write a message"</h2>
            <p class="muted">"Goes to the contact's latest conversation once a member approves it. Open a contact's page and use “Write a message” to fill in its id."</p>
            <ActionForm action=write attr:class="form" attr:data-testid="write-message-form">
                <div class="field">
                    <label for="write-contact">"Contact id"</label>
                    <input id="write-contact" name="contact_id" required=true placeholder="cwc:…"
                        value=move || contact.get().unwrap_or_default()
                        aria-invalid=move || contact_error().is_some().to_string()/>
                    <Show when=move || contact_error().is_some()>
                        <p class="field-error" role="alert">{contact_error}</p>
                    </Show>
                </div>
                <div class="field">
                    <label for="write-content">"Message"</label>
                    <textarea id="write-content" name="content" rows="4" maxlength="4000" required=true
                        aria-invalid=move || content_error().is_some().to_string()></textarea>
                    <Show when=move || content_error().is_some()>
                        <p class="field-error" role="alert">{content_error}</p>
                    </Show>
                </div>
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" class="btn-primary" disabled=move || write.pending().get()>"Submit for approval"</button>
            </ActionForm>
            <Show when=move || general().is_some()>
                <p class="form-error" role="alert">{general}</p>
            </Show>
            <Show when=done>
                <p class="notice" role="status" data-testid="write-message-done">"Message submitted for approval."</p>
            </Show>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Contact page

/// Channels a policy can be set on (value, label).
const CHANNELS: &[(&str, &str)] = &[("all", "Every channel"), ("chatwoot", "Chatwoot")];

/// The contact page's channel policies: opt-out / opt-in and the frequency cap, with a link
/// to write the contact a message.
#[component]
pub fn ChannelPoliciesSection(contact_id: String) -> impl IntoView {
    let contact_id = StoredValue::new(contact_id);
    view! {
        <section class="panel" data-testid="channel-policies">
            <h2>"Channel policies"</h2>
            {with_csrf(move |csrf| view! { <ChannelPolicies contact_id=contact_id.get_value() csrf/> })}
            <p>
                <a href=move || format!("/outbox?contact={}#write", query_escape(&contact_id.get_value()))
                    data-testid="write-to-contact">"Write a message"</a>
            </p>
        </section>
    }
}

#[component]
fn ChannelPolicies(contact_id: String, csrf: String) -> impl IntoView {
    let set = ServerAction::<SetChannelPolicy>::new();
    let id = StoredValue::new(contact_id);
    let policies = Resource::new(
        move || (id.get_value(), set.version().get()),
        |(id, _)| channel_policies(id),
    );
    let error = action_error(set.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading policies…"/> }>
            {move || Suspend::new(async move {
                match policies.await {
                    Ok(view) => policies_table(view).into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
        <div class="policy-forms">
            <ActionForm action=set attr:class="form inline" attr:data-testid="opt-out-form">
                <input type="hidden" name="contact_id" value=id.get_value()/>
                <input type="hidden" name="csrf" value=csrf.get_value()/>
                <input type="hidden" name="action" value="opt_out"/>
                <div class="field">
                    <label for="opt-out-channel">"Channel"</label>
                    <select id="opt-out-channel" name="channel">{channel_options()}</select>
                </div>
                <div class="field grow">
                    <label for="opt-out-reason">"Reason (optional)"</label>
                    <input id="opt-out-reason" name="reason" maxlength="2000"/>
                </div>
                <button type="submit" class="btn-small btn-danger">"Opt out"</button>
            </ActionForm>
            <ActionForm action=set attr:class="form inline" attr:data-testid="opt-in-form">
                <input type="hidden" name="contact_id" value=id.get_value()/>
                <input type="hidden" name="csrf" value=csrf.get_value()/>
                <input type="hidden" name="action" value="opt_in"/>
                <div class="field">
                    <label for="opt-in-channel">"Channel"</label>
                    <select id="opt-in-channel" name="channel">{channel_options()}</select>
                </div>
                <button type="submit" class="btn-small">"Opt in"</button>
            </ActionForm>
            <ActionForm action=set attr:class="form inline" attr:data-testid="frequency-cap-form">
                <input type="hidden" name="contact_id" value=id.get_value()/>
                <input type="hidden" name="csrf" value=csrf.get_value()/>
                <input type="hidden" name="action" value="cap"/>
                <div class="field">
                    <label for="cap-channel">"Channel"</label>
                    <select id="cap-channel" name="channel">{channel_options()}</select>
                </div>
                <div class="field narrow-field">
                    <label for="cap-count">"At most (messages)"</label>
                    <input id="cap-count" name="cap" type="number" min="0" max="10000" placeholder="default"/>
                </div>
                <div class="field narrow-field">
                    <label for="cap-days">"Per (days)"</label>
                    <input id="cap-days" name="window_days" type="number" min="1" max="365" value="7"/>
                </div>
                <button type="submit" class="btn-small">"Save cap"</button>
            </ActionForm>
            <p class="muted">"Leave “At most” empty to use the project's default again."</p>
        </div>
        <Show when=move || error.get().is_some()>
            <p class="form-error" role="alert" data-testid="policy-error">{move || error.get()}</p>
        </Show>
    }
}

fn channel_options() -> impl IntoView {
    CHANNELS
        .iter()
        .map(|(v, l)| view! { <option value=*v>{*l}</option> })
        .collect_view()
}

fn policies_table(view: ContactChannelPoliciesQueryContactChannelPolicies) -> impl IntoView {
    let default = format!(
        "{} per {}",
        view.default_frequency_cap,
        window_words(view.default_frequency_window_seconds)
    );
    if view.policies.is_empty() {
        return view! {
            <p class="muted" data-testid="policies-empty">
                {format!("No policies of its own: the contact can be messaged, at most {default} per channel (the project default).")}
            </p>
        }
        .into_any();
    }
    let rows = view
        .policies
        .into_iter()
        .map(|p| {
            let channel = CHANNELS
                .iter()
                .find(|(v, _)| *v == p.channel)
                .map(|(_, l)| (*l).to_owned())
                .unwrap_or_else(|| p.channel.clone());
            let cap = match (p.frequency_cap, p.frequency_window_seconds) {
                (Some(c), Some(w)) => format!("{c} per {}", window_words(w)),
                (Some(c), None) => format!("{c} per default window"),
                _ => format!("project default ({default})"),
            };
            view! {
                <tr data-testid="policy-row" data-channel=p.channel.clone() data-opted-out=p.opted_out.to_string()>
                    <td>{channel}</td>
                    <td>
                        {if p.opted_out { "Opted out" } else { "Receives messages" }}
                        {p.opt_out_reason.clone().filter(|_| p.opted_out).map(|r| view! { <span class="muted">{format!(" ({})", words(&r))}</span> })}
                        {p.opted_out_at.clone().filter(|_| p.opted_out).map(|at| view! { " since " <time datetime=at.clone()>{when(&at)}</time> })}
                        {p.opted_in_at.clone().filter(|_| !p.opted_out).map(|at| view! { " · opted in again " <time datetime=at.clone()>{when(&at)}</time> })}
                    </td>
                    <td>{cap}</td>
                    <td class="muted">{p.changed_by.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data-table" data-testid="policies-table">
            <thead><tr>
                <th scope="col">"Channel"</th><th scope="col">"Consent"</th>
                <th scope="col">"Frequency cap"</th><th scope="col">"Changed by"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
