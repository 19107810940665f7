//! The CRM: accounts (listing with a filter and a create form), one account (contacts with
//! suggest/confirm/reject, opportunities, a create form) and the pipeline board. Every form is
//! an ActionForm with the CSRF token, so it works without JavaScript; the board moves cards
//! with a "Move to" select and a button, so it needs no dragging.
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        chatwoot::ConversationRow,
        crm::{
            AccountConversationsView, AccountDetail, BoardView, CreateAccount, CreateOpportunity,
            DecideContact, MoveOpportunity, SuggestContacts, TotalRow, account_conversations,
            list_accounts, load_account, load_board,
        },
        error_text,
        insights::{AccountInsightsView, RecomputeHealth, account_insights},
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{Field, FormError, action_error},
    },
    pages::insights::{AccountInsightsSections, when},
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
                    Ok(Some(session)) if session.active_project.is_some() => {
                        inner(session.csrf_token).into_any()
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

/// The accounts page.
#[component]
pub fn AccountsPage() -> impl IntoView {
    view! {
        <h1>"Accounts"</h1>
        {with_project(|csrf| view! { <Accounts csrf/> })}
    }
}

#[component]
fn Accounts(csrf: String) -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let query = use_query_map();
    let text = Memo::new(move |_| query.read().get("text").unwrap_or_default());
    let accounts = Resource::new(
        move || (text.get(), create.version().get()),
        |(text, _)| list_accounts(Some(text), None),
    );
    let error = action_error(create.value());
    view! {
        <form class="form inline" method="get" action="/accounts">
            <div class="field">
                <label for="accounts-text">"Filter"</label>
                <input id="accounts-text" name="text" placeholder="name or domain" value=move || text.get()/>
            </div>
            <button type="submit" class="btn-small">"Apply"</button>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading accounts…"/> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No accounts" hint="Create one below, or change the filter."/>
                    }.into_any(),
                    Ok(page) => view! {
                        <p class="muted">{format!("{} account(s)", page.total)}</p>
                        <table class="data-table" data-testid="accounts-table">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Domain"</th>
                                <th scope="col">"Industry"</th><th scope="col">"Status"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/accounts/{}", a.id)>{a.name}</a></td>
                                        <td>{a.domain.unwrap_or_default()}</td>
                                        <td>{a.industry.unwrap_or_default()}</td>
                                        <td>{a.status.to_lowercase()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"New account"</h2>
            <ActionForm action=create attr:class="form" attr:data-testid="create-account-form">
                <Field name="name" api_field="name" label="Name" error/>
                <Field name="domain" api_field="domain" label="Email domain" required=false error/>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "domain"]/>
                <button type="submit" class="btn-primary">"Create account"</button>
            </ActionForm>
        </section>
    }
}

/// One account: details, contacts and opportunities.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <p><a href="/accounts">"← Accounts"</a></p>
        {with_project(|csrf| view! { <Account csrf/> })}
    }
}

#[component]
fn Account(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let suggest = ServerAction::<SuggestContacts>::new();
    let decide = ServerAction::<DecideContact>::new();
    let create = ServerAction::<CreateOpportunity>::new();
    let account = Resource::new(
        move || {
            (
                id.get(),
                suggest.version().get(),
                decide.version().get(),
                create.version().get(),
            )
        },
        |(id, ..)| load_account(id),
    );
    // Health, signals and actions; recomputed health, confirmed contacts and new
    // opportunities change them.
    let recompute = ServerAction::<RecomputeHealth>::new();
    let insights = Resource::new(
        move || {
            (
                id.get(),
                recompute.version().get(),
                decide.version().get(),
                create.version().get(),
            )
        },
        |(id, ..)| account_insights(id),
    );
    let conversations = Resource::new(
        move || (id.get(), decide.version().get()),
        |(id, _)| account_conversations(id),
    );
    let csrf = StoredValue::new(csrf);
    let create_error = action_error(create.value());
    let decide_error = action_error(decide.value());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading account…"/> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(detail) => view! {
                        <AccountBody detail csrf=csrf.get_value() suggest decide create create_error decide_error
                            insights recompute conversations/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AccountBody(
    detail: AccountDetail,
    csrf: String,
    suggest: ServerAction<SuggestContacts>,
    decide: ServerAction<DecideContact>,
    create: ServerAction<CreateOpportunity>,
    create_error: Signal<Option<String>>,
    decide_error: Signal<Option<String>>,
    insights: Resource<Result<AccountInsightsView, ServerFnError>>,
    recompute: ServerAction<RecomputeHealth>,
    conversations: Resource<Result<AccountConversationsView, ServerFnError>>,
) -> impl IntoView {
    let a = detail.account;
    let insights_csrf = csrf.clone();
    // Each form's children own their copies.
    let (suggest_account, create_account) = (a.id.clone(), a.id.clone());
    let (suggest_csrf, create_csrf) = (csrf.clone(), csrf.clone());
    let contacts = detail
        .contacts
        .into_iter()
        .map(|c| {
            let confirm = c.status != "CONFIRMED";
            let reject = c.status != "REJECTED";
            let (id1, id2, csrf1, csrf2) = (c.id.clone(), c.id.clone(), csrf.clone(), csrf.clone());
            view! {
                <tr data-testid="contact-link">
                    <td><a href=format!("/contacts/{}", c.contact_id)>{c.label}</a></td>
                    <td>{c.email.unwrap_or_default()}</td>
                    <td>{c.status.to_lowercase()}</td>
                    <td>{c.source.to_lowercase().replace('_', " ")}</td>
                    <td class="actions">
                        {confirm.then(|| view! {
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id1/>
                                <input type="hidden" name="decision" value="confirm"/>
                                <input type="hidden" name="csrf" value=csrf1/>
                                <button type="submit" class="btn-small">"Confirm"</button>
                            </ActionForm>
                        })}
                        {reject.then(|| view! {
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id2/>
                                <input type="hidden" name="decision" value="reject"/>
                                <input type="hidden" name="csrf" value=csrf2/>
                                <button type="submit" class="btn-small">"Reject"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let opportunities = detail
        .opportunities
        .into_iter()
        .map(|o| {
            view! {
                <tr data-testid="account-opportunity">
                    <td>{o.name}</td>
                    <td class="num">{format!("{} {}", o.amount, o.currency)}</td>
                    <td>{o.stage}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1>{a.name.clone()}</h1>
        <dl class="facts panel">
            <dt>"Domain"</dt><dd>{a.domain.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Website"</dt><dd>{detail.website.unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Industry"</dt><dd>{a.industry.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Status"</dt><dd>{a.status.to_lowercase()}</dd>
        </dl>
        <AccountInsightsSections account_id=a.id.clone() insights recompute csrf=insights_csrf/>
        <section class="panel">
            <h2>"Contacts"</h2>
            <ActionForm action=suggest attr:class="form inline">
                <input type="hidden" name="account_id" value=suggest_account/>
                <input type="hidden" name="csrf" value=suggest_csrf/>
                <button type="submit" class="btn-small">"Suggest contacts"</button>
            </ActionForm>
            <FormError error=decide_error fields=&[]/>
            <table class="data-table">
                <thead><tr>
                    <th scope="col">"Contact"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                    <th scope="col">"Found by"</th><th scope="col">"Decision"</th>
                </tr></thead>
                <tbody>{contacts}</tbody>
            </table>
        </section>
        <AccountConversationsSection conversations/>
        <section class="panel">
            <h2>"Opportunities"</h2>
            <table class="data-table" data-testid="account-opportunities">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Amount"</th><th scope="col">"Stage"</th>
                </tr></thead>
                <tbody>{opportunities}</tbody>
            </table>
            <h3>"New opportunity"</h3>
            <ActionForm action=create attr:class="form" attr:data-testid="create-opportunity-form">
                <input type="hidden" name="account_id" value=create_account/>
                <Field name="name" api_field="name" label="Name" error=create_error/>
                <Field name="amount" api_field="amount" label="Amount" error=create_error/>
                <div class="field">
                    <label for="field-currency">"Currency"</label>
                    <input id="field-currency" name="currency" value="EUR" required=true maxlength="3"/>
                </div>
                <input type="hidden" name="csrf" value=create_csrf/>
                <FormError error=create_error fields=&["name", "amount"]/>
                <button type="submit" class="btn-primary">"Create opportunity"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The conversations of the account's confirmed contacts.
#[component]
fn AccountConversationsSection(
    conversations: Resource<Result<AccountConversationsView, ServerFnError>>,
) -> impl IntoView {
    view! {
        <section class="panel" data-testid="account-conversations">
            <h2>"Conversations"</h2>
            <Transition fallback=|| view! { <Loading label="Loading conversations…"/> }>
                {move || Suspend::new(async move {
                    match conversations.await {
                        Ok(c) if c.contacts == 0 => view! {
                            <p class="muted">"Confirm a contact above to see their conversations here."</p>
                        }.into_any(),
                        Ok(c) if c.rows.is_empty() => view! {
                            <p class="muted">"The confirmed contacts have no conversations yet."</p>
                        }.into_any(),
                        Ok(c) => view! {
                            <table class="data-table">
                                <thead><tr>
                                    <th scope="col">"#"</th><th scope="col">"Contact"</th>
                                    <th scope="col">"Status"</th><th scope="col">"Last activity"</th>
                                </tr></thead>
                                <tbody>
                                    {c.rows.into_iter().map(conversation_row).collect_view()}
                                </tbody>
                            </table>
                            {c.more.then(|| view! {
                                <p class="muted">"Showing each contact's latest conversations; their contact pages list all."</p>
                            })}
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn conversation_row(row: ConversationRow) -> impl IntoView {
    view! {
        <tr data-testid="account-conversation">
            <td><a href=format!("/conversations/{}", row.id)>{row.display_id.map(|d| format!("#{d}")).unwrap_or_else(|| "Open".to_owned())}</a></td>
            <td>{match row.contact_id.clone() {
                Some(id) => view! { <a href=format!("/contacts/{id}")>{row.contact_name.clone()}</a> }.into_any(),
                None => view! { <span>{row.contact_name.clone()}</span> }.into_any(),
            }}</td>
            <td><span class=format!("status status-{}", row.status)>{row.status.clone()}</span></td>
            <td>{row.last_activity.as_deref().map(when).unwrap_or_default()}</td>
        </tr>
    }
}

/// The pipeline board.
#[component]
pub fn PipelinePage() -> impl IntoView {
    view! {
        <h1>"Pipeline"</h1>
        {with_project(|csrf| view! { <Board csrf/> })}
    }
}

#[component]
fn Board(csrf: String) -> impl IntoView {
    let mover = ServerAction::<MoveOpportunity>::new();
    let board = Resource::new(move || mover.version().get(), |_| load_board());
    let error = action_error(mover.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <FormError error fields=&[]/>
        <Transition fallback=|| view! { <Loading label="Loading the board…"/> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(view) => view! { <BoardBody view csrf=csrf.get_value() mover/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BoardBody(view: BoardView, csrf: String, mover: ServerAction<MoveOpportunity>) -> impl IntoView {
    let stages: Vec<(String, String)> = view
        .columns
        .iter()
        .map(|c| (c.stage_id.clone(), c.name.clone()))
        .collect();
    let columns = view
        .columns
        .into_iter()
        .map(|c| {
            let cards = c
                .cards
                .into_iter()
                .map(|o| {
                    let select_id = format!("move-{}", o.id);
                    let csrf = csrf.clone();
                    let options = stages
                        .iter()
                        .map(|(id, name)| {
                            let selected = *id == c.stage_id;
                            view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
                        })
                        .collect_view();
                    view! {
                        <li class="board-card" data-testid="board-card">
                            <strong>{o.name}</strong>
                            <span class="muted">{o.account}</span>
                            <span class="num">{format!("{} {}", o.amount, o.currency)}</span>
                            <ActionForm action=mover attr:class="form inline">
                                <input type="hidden" name="opportunity_id" value=o.id/>
                                <input type="hidden" name="csrf" value=csrf/>
                                <label for=select_id.clone() class="sr-only">"Move to"</label>
                                <select id=select_id name="to_stage_id">{options}</select>
                                <button type="submit" class="btn-small">"Move"</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="board-column" data-testid="board-column" data-stage=c.name.clone()>
                    <h2>{c.name.clone()}</h2>
                    <p class="muted" data-testid="column-count">{format!("{} opportunit{} · {} %", c.count, if c.count == 1 { "y" } else { "ies" }, c.probability)}</p>
                    <p data-testid="column-totals">{totals_text(&c.totals)}</p>
                    <ul class="board-cards">{cards}</ul>
                </section>
            }
        })
        .collect_view();
    view! {
        <p class="panel" data-testid="open-totals">"Open pipeline: " {totals_text(&view.open_totals)}</p>
        <div class="board" data-testid="pipeline-board">{columns}</div>
    }
    .into_any()
}
