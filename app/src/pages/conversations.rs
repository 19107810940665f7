//! Conversations: the list (filters, newest activity first), a thread, and a contact.
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    api::{
        conversations::{
            list_conversations, load_contact, load_thread,
            ops::conversations_query::ConversationsQueryConversationsEdgesNode,
        },
        crm::{ConversationAccountView, CreateAccountFromContact, conversation_account},
        error_text, field_error,
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{FormError, action_error},
    },
    session_state::use_session,
};

/// `%XX` escapes decoded (a fragment may arrive encoded); invalid escapes stay as they are.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = raw.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn when(rfc3339: &Option<String>) -> String {
    rfc3339
        .as_deref()
        .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
        .unwrap_or_default()
}

/// Paged conversation list with status and text filters; `contact_id` pins it to one contact.
#[component]
fn ConversationList(#[prop(optional)] contact_id: Option<String>) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<ConversationsQueryConversationsEdgesNode>::new());
    let next = RwSignal::new(None::<String>);
    let total = RwSignal::new(None::<i64>);
    let error = RwSignal::new(None::<String>);
    let contact = StoredValue::new(contact_id);
    let load = Action::new(move |after: &Option<String>| {
        let after = after.clone();
        let (s, t) = (status.get_untracked(), text.get_untracked());
        async move {
            (
                after.is_some(),
                list_conversations(Some(s), Some(t), contact.get_value(), after).await,
            )
        }
    });
    Effect::new(move |_| {
        if let Some((appending, result)) = load.value().get() {
            match result {
                Ok(page) => {
                    next.set(page.next());
                    total.set(Some(page.total_count));
                    rows.update(|r| {
                        if !appending {
                            r.clear();
                        }
                        r.extend(page.into_rows());
                    });
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        }
    });
    Effect::new(move |_| {
        load.dispatch(None);
    });
    view! {
        <form class="form inline" on:submit=move |ev| {
            ev.prevent_default();
            load.dispatch(None);
        }>
            <div class="field">
                <label for="conv-status">"Status"</label>
                <select id="conv-status" on:change=move |ev| {
                    status.set(event_target_value(&ev));
                    load.dispatch(None);
                }>
                    <option value="">"All"</option>
                    <option value="open">"Open"</option>
                    <option value="pending">"Pending"</option>
                    <option value="snoozed">"Snoozed"</option>
                    <option value="resolved">"Resolved"</option>
                </select>
            </div>
            <div class="field">
                <label for="conv-text">"Search"</label>
                <input id="conv-text" placeholder="words in messages, contact name or email"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="btn-small">"Apply"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || match total.get() {
            None => view! { <Loading label="Loading conversations…"/> }.into_any(),
            Some(0) => view! {
                <EmptyState title="No conversations" hint="Bind a Chatwoot account in Settings and run a sync, or change the filters."/>
            }.into_any(),
            Some(n) => view! { <p class="muted">{format!("{n} conversation(s)")}</p> }.into_any(),
        }}
        <table class="data-table" data-testid="conversations-table">
            <thead><tr>
                <th scope="col">"#"</th><th scope="col">"Contact"</th><th scope="col">"Status"</th>
                <th scope="col">"Inbox"</th><th scope="col">"Labels"</th><th scope="col">"Last activity"</th>
            </tr></thead>
            <tbody>
                <For each=move || rows.get() key=|r| r.id.clone() let:row>
                    <tr>
                        <td><a href=format!("/conversations/{}", row.id)>{row.conversation_id.map(|d| format!("#{d}")).unwrap_or_default()}</a></td>
                        <td>{match row.contact_id() {
                            Some(id) => view! { <a href=format!("/contacts/{id}")>{row.contact_name()}</a> }.into_any(),
                            None => view! { <span>{row.contact_name()}</span> }.into_any(),
                        }}</td>
                        <td><span class=format!("status status-{}", row.state())>{row.state().to_owned()}</span></td>
                        <td>{row.inbox_id.map(|i| i.to_string()).unwrap_or_default()}</td>
                        <td>{row.labels.join(", ")}</td>
                        <td>{when(&row.last_activity_at)}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || next.get().is_some()>
            <button class="btn-small" on:click=move |_| {
                load.dispatch(next.get_untracked());
            }>"Load more"</button>
        </Show>
    }
}

/// The conversations page.
#[component]
pub fn ConversationsPage() -> impl IntoView {
    view! {
        <h1>"Conversations"</h1>
        <ConversationList/>
    }
}

/// One conversation's thread.
#[component]
pub fn ThreadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let thread = Resource::new(id, |id| load_thread(id, None));
    let crm = Resource::new(id, conversation_account);
    // The message a link points at (`#cwmsg:…`). CSS `:target` covers full page loads; the
    // router's in-app navigation changes the URL without updating `:target`, so the fragment
    // is also read here and marks the message with a class.
    let location = use_location();
    let target = Memo::new(move |_| {
        let hash = location.hash.get();
        let raw = hash.trim_start_matches('#');
        percent_decode(raw)
    });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let id = target.get();
        if id.is_empty() || thread.get().is_none() {
            return;
        }
        if let Some(el) = document().get_element_by_id(&id) {
            el.scroll_into_view();
        }
    });
    view! {
        <p><a href="/conversations">"← Conversations"</a></p>
        <Transition fallback=|| view! { <Loading label="Loading conversation…"/> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok(c) => {
                        let more = c.messages.next();
                        view! {
                            <h1>{format!("Conversation #{}", c.conversation_id.unwrap_or_default())}</h1>
                            <p class="muted">
                                {match c.contact_id() {
                                    Some(cid) => view! { <a href=format!("/contacts/{cid}")>{c.contact_name()}</a> }.into_any(),
                                    None => view! { <span>{c.contact_name()}</span> }.into_any(),
                                }}
                                {format!(" · {} · inbox {} · {} message(s)", c.state(), c.inbox_id.unwrap_or_default(), c.messages.total_count)}
                            </p>
                            <ConversationCrm crm/>
                            <ol class="thread" data-testid="thread">
                                {c.messages.edges.into_iter().map(|e| {
                                    let m = e.node;
                                    let class = format!(
                                        "msg msg-{}{}",
                                        m.kind(),
                                        if m.private { " msg-private" } else { "" }
                                    );
                                    let own_id = m.id.clone();
                                    view! {
                                        <li class=class id=m.id.clone() class:msg-target=move || target.get() == own_id>
                                            <div class="msg-head">
                                                <strong>{m.sender()}</strong>
                                                {m.private.then(|| view! { <span class="badge">"private note"</span> })}
                                                <time datetime=m.created_at.clone().unwrap_or_default()>{when(&m.created_at)}</time>
                                            </div>
                                            <div class="msg-body">
                                                {m.content.clone().filter(|c| !c.is_empty()).unwrap_or_default()}
                                                {(m.attachment_count > 0).then(|| view! {
                                                    <span class="muted">{format!(" [{} attachment(s)]", m.attachment_count)}</span>
                                                })}
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            {more.map(|_| view! { <p class="muted">"Showing the first 100 messages."</p> })}
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The account the conversation's contact belongs to, or a form creating one from the contact.
#[component]
fn ConversationCrm(crm: Resource<Result<ConversationAccountView, ServerFnError>>) -> impl IntoView {
    let state = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let csrf = match state.session.await {
                    Ok(Some(s)) => s.csrf_token(),
                    _ => String::new(),
                };
                match crm.await {
                    Ok(ConversationAccountView { account: Some(a), .. }) => view! {
                        <div class="crm-link" data-testid="conversation-account">
                            "Account: " <strong>{a.name}</strong> " · "
                            <a href=format!("/accounts/{}", a.id)>"Open account"</a>
                        </div>
                    }.into_any(),
                    Ok(ConversationAccountView { account: None, contact: Some(contact) }) => view! {
                        <CreateAccountFromContactForm contact csrf/>
                    }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CreateAccountFromContactForm(
    contact: crate::api::crm::ContactSeed,
    csrf: String,
) -> impl IntoView {
    let create = ServerAction::<CreateAccountFromContact>::new();
    let error = action_error(create.value());
    let name_error = move || error.get().and_then(|e| field_error(&e, "name"));
    let domain_error = move || error.get().and_then(|e| field_error(&e, "domain"));
    view! {
        <div class="crm-link" data-testid="create-account-from-contact">
            <p class="crm-link-title">{format!("{} is not on an account yet.", contact.label)}</p>
            <ActionForm action=create attr:class="form inline">
                <input type="hidden" name="contact_id" value=contact.contact_id.clone()/>
                <input type="hidden" name="csrf" value=csrf/>
                <div class="field">
                    <label for="new-account-name">"Account name"</label>
                    <input id="new-account-name" name="name" required=true maxlength="200"
                        value=contact.account_name.clone() aria-invalid=move || name_error().is_some().to_string()/>
                    <Show when=move || name_error().is_some()>
                        <p class="field-error" role="alert">{name_error}</p>
                    </Show>
                </div>
                <div class="field">
                    <label for="new-account-domain">"Email domain"</label>
                    <input id="new-account-domain" name="domain" value=contact.domain.clone().unwrap_or_default()
                        aria-invalid=move || domain_error().is_some().to_string()/>
                    <Show when=move || domain_error().is_some()>
                        <p class="field-error" role="alert">{domain_error}</p>
                    </Show>
                </div>
                <button type="submit" class="btn-primary">"Create account from this contact"</button>
            </ActionForm>
            <FormError error fields=&["name", "domain"]/>
        </div>
    }
}

/// A contact and their conversations.
#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let contact = Resource::new(id, load_contact);
    view! {
        <p><a href="/conversations">"← Conversations"</a></p>
        <Transition fallback=|| view! { <Loading label="Loading contact…"/> }>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => view! {
                        <h1>{c.name.clone().unwrap_or_else(|| "Unnamed contact".to_owned())}</h1>
                        <dl class="facts panel">
                            <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                            <dt>"Phone"</dt><dd>{c.phone_number.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                            <dt>"Identifier"</dt><dd>{c.identifier.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                            <dt>"Chatwoot id"</dt><dd>{c.contact_id}</dd>
                        </dl>
                        <crate::pages::outbound::ChannelPoliciesSection contact_id=c.id.clone()/>
                        <h2>"Conversations"</h2>
                        <ConversationList contact_id=c.id.clone()/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
