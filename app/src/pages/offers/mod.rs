//! Offers: the listing (status filter, "Load more"), the approval inbox, the builder (new and
//! edit) and one offer's page (lines with the server's totals, approvals, the message the
//! customer gets, its deliveries and the actions its status allows). Every form posts without
//! JavaScript; the builder's "Add line", "Remove" and account choice post the form back (past
//! the browser's required-field checks, which only "Save offer" applies) and return to the
//! builder with the changed draft in its URL.
pub mod editor;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::{
    api::{
        offers::{
            AccountChoices, ItemDraft, OFFER_STATUSES, OfferAction, OfferDraft, OfferPage,
            OfferRow, OfferView, SaveOfferForm, list_offers, load_offer, offer_account_choices,
            offer_accounts, offer_approval_inbox,
        },
        outbound::{
            OUTBOUND_STATUSES,
            ops::outbound_messages_query::OutboundMessagesQueryOutboundMessagesEdgesNode,
        },
        records::Named,
        text::words,
    },
    components::page::{
        FieldMessage, GeneralError, StatusBadge, StatusFilter, draft_param, error_view, money,
        query_param, readable_error,
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::action_error,
        paging::{LoadMore, more_pages},
    },
    pages::{crm::with_project, signals::when},
};

/// The offer listing.
#[component]
pub fn OffersPage() -> impl IntoView {
    view! {
        <h1>"Offers"</h1>
        {with_project(|_| view! { <Offers/> })}
    }
}

#[component]
fn Offers() -> impl IntoView {
    let status = query_param("status");
    let after = query_param("after");
    let offers = Resource::new(
        move || (status.get(), after.get()),
        |(status, after)| list_offers(status, after),
    );
    view! {
        <div class="toolbar">
            <a class="btn-primary" href="/offers/new" data-testid="new-offer">"New offer"</a>
            <a class="btn-small" href="/offers/approvals">"Approval inbox"</a>
            <StatusFilter listing="offers" table=OFFER_STATUSES status/>
        </div>
        {move || after.get().map(|_| {
            let href = match status.get() { Some(s) => format!("/offers?status={s}"), None => "/offers".to_owned() };
            view! { <p><a href=href>"← First page"</a></p> }
        })}
        <Transition fallback=|| view! { <Loading label="Loading offers…"/> }>
            {move || Suspend::new(async move {
                match offers.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No offers"
                            hint="Build one with “New offer”, or change the filter."/>
                    }.into_any(),
                    Ok(page) => view! { <OfferList page status=status.get_untracked()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn OfferList(page: OfferPage, status: Option<String>) -> impl IntoView {
    let s = status.clone();
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| list_offers(s.clone(), Some(after)),
        |p: OfferPage| (p.rows, p.next),
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = status.map(|s| ("status", s)).into_iter().collect();
    view! {
        <p class="muted" data-testid="offers-count">{format!("{} offer(s), latest change first", page.total)}</p>
        <OfferTable rows=Signal::derive(move || rows.get()) testid="offers-table"/>
        <LoadMore action="/offers" keep more/>
    }
}

#[component]
fn OfferTable(rows: Signal<Vec<OfferRow>>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="data-table" data-testid=testid>
            <thead><tr>
                <th scope="col">"Offer"</th><th scope="col">"Account"</th><th scope="col">"Recipient"</th>
                <th scope="col">"Total"</th><th scope="col">"Largest discount"</th>
                <th scope="col">"Status"</th><th scope="col">"Changed"</th>
            </tr></thead>
            <tbody>
                <For each=move || rows.get() key=|r| (r.id.clone(), r.status.clone()) let:row>
                    <tr data-testid="offer-row" data-id=row.id.clone() data-status=row.status.clone()>
                        <td><a href=format!("/offers/{}", row.id)>{row.title.clone()}</a></td>
                        <td>{row.account.clone().map(|a| view! { <a href=format!("/accounts/{}", a.id)>{a.name}</a> })}</td>
                        <td>{row.contact.clone().map(|c| view! { <a href=format!("/contacts/{}", c.id)>{c.label}</a> })}</td>
                        <td class="num">{money(&row.total, &row.currency)}</td>
                        <td class="num">
                            {format!("{} %", row.max_discount_pct)}
                            {row.requires_approval.then(|| view! { " " <span class="badge badge-muted">"needs approval"</span> })}
                        </td>
                        <td><StatusBadge table=OFFER_STATUSES status=row.status.clone()/></td>
                        <td><time datetime=row.updated_at.clone()>{when(&row.updated_at)}</time></td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// Offers waiting for the signed-in member's approval.
#[component]
pub fn OfferApprovalsPage() -> impl IntoView {
    view! {
        <p><a href="/offers">"← Offers"</a></p>
        <h1>"Approval inbox"</h1>
        <p class="muted">"Offers whose discount is above the project's threshold wait here for a member other than their author."</p>
        {with_project(|_| view! { <ApprovalInbox/> })}
    }
}

#[component]
fn ApprovalInbox() -> impl IntoView {
    let inbox = Resource::new(|| (), |_| offer_approval_inbox());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the inbox…"/> }>
            {move || Suspend::new(async move {
                match inbox.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <div data-testid="approval-inbox">
                            <EmptyState title="Nothing waits for your approval"
                                hint="Offers submitted with a discount above the threshold appear here."/>
                        </div>
                    }.into_any(),
                    Ok(rows) => view! {
                        <ul class="approval-inbox" data-testid="approval-inbox">
                            {rows.into_iter().map(|o| view! {
                                <li class="panel" data-testid="approval-row" data-id=o.id.clone()>
                                    <a href=format!("/offers/{}", o.id)><strong>{o.title.clone()}</strong></a>
                                    <span class="muted">
                                        {o.account.clone().map(|a| a.name).unwrap_or_default()}
                                        {o.contact.clone().map(|c| format!(" · to {}", c.label))}
                                    </span>
                                    <span class="num">{money(&o.total, &o.currency)}</span>
                                    <span class="badge">{format!("discount up to {} %", o.max_discount_pct)}</span>
                                    <span class="muted">"submitted " <time datetime=o.updated_at.clone()>{when(&o.updated_at)}</time></span>
                                    <a class="btn-small" href=format!("/offers/{}#decide", o.id)
                                        aria-label=format!("Review “{}”", o.title)>"Review"</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

/// One offer.
#[component]
pub fn OfferPage() -> impl IntoView {
    view! {
        <p><a href="/offers">"← Offers"</a></p>
        {with_project(|csrf| view! { <OfferDetail csrf/> })}
    }
}

#[component]
fn OfferDetail(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let act = ServerAction::<OfferAction>::new();
    let offer = Resource::new(
        move || (id.get(), act.version().get()),
        |(id, _)| load_offer(id),
    );
    let error = action_error(act.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the offer…"/> }>
            {move || Suspend::new(async move {
                match offer.await {
                    Ok(o) => view! { <OfferBody offer=o act error csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn OfferBody(
    offer: OfferView,
    act: ServerAction<OfferAction>,
    error: Signal<Option<String>>,
    csrf: String,
) -> impl IntoView {
    let o = offer;
    let items = o
        .items
        .iter()
        .map(|i| {
            view! {
                <tr data-testid="offer-item">
                    <td>{i.name.clone()}{i.description.clone().map(|d| view! { <br/><span class="muted">{d}</span> })}</td>
                    <td class="num">{i.quantity.clone()}</td>
                    <td class="num">{money(&i.unit_price, &o.currency)}</td>
                    <td class="num">{format!("{} %", i.discount_pct)}</td>
                    <td class="num">{money(&i.line_total, &o.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let approvals = o
        .approvals
        .iter()
        .map(|a| {
            let who = if a.by_author {
                "the author".to_owned()
            } else {
                format!("another member ({})", a.decided_by.get(..8).unwrap_or(&a.decided_by))
            };
            let how = match a.mode.as_deref() {
                Some("auto") => " automatically, the discount being within the threshold",
                _ => "",
            };
            view! {
                <li data-testid="offer-approval" data-decision=a.decision.clone()>
                    <strong>{words(&a.decision)}</strong>
                    {format!(" by {who}{how}")}
                    {a.threshold.clone().map(|t| view! { <span class="muted">{format!(" · threshold {t} %")}</span> })}
                    " · " <time datetime=a.created_at.clone()>{when(&a.created_at)}</time>
                    {a.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                </li>
            }
        })
        .collect_view();
    let has_approvals = !o.approvals.is_empty();
    let deliveries = o.messages.clone();
    let live_delivery = deliveries
        .iter()
        .any(|m| !matches!(m.status_name().as_str(), "FAILED" | "BLOCKED" | "CANCELLED"));
    let timeline = o
        .timeline
        .iter()
        .map(|(label, at)| view! { <dt>{label.clone()}</dt><dd><time datetime=at.clone()>{when(at)}</time></dd> })
        .collect_view();
    view! {
        <h1>{o.title.clone()}</h1>
        <p class="offer-head">
            <StatusBadge table=OFFER_STATUSES status=o.status.clone() testid="offer-status"/>
            {o.requires_approval.then(|| view! { " " <span class="badge">"needs another member's approval"</span> })}
        </p>
        <dl class="facts panel">
            <dt>"Account"</dt>
            <dd>{match o.account.clone() {
                Some(a) => view! { <a href=format!("/accounts/{}", a.id)>{a.name}</a> }.into_any(),
                None => view! { <span>"—"</span> }.into_any(),
            }}</dd>
            <dt>"Recipient"</dt>
            <dd data-testid="offer-recipient">{match o.contact.clone() {
                Some(c) => view! { <a href=format!("/contacts/{}", c.id)>{c.label}</a> }.into_any(),
                None => view! { <span>"not chosen yet"</span> }.into_any(),
            }}</dd>
            <dt>"Opportunity"</dt><dd>{o.opportunity.clone().map(|p| p.name).unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Valid until"</dt><dd>{o.valid_until.as_deref().map(when).unwrap_or_else(|| "—".to_owned())}</dd>
            {timeline}
        </dl>
        <OfferActions offer=o.clone() act error csrf live_delivery/>
        <section class="panel">
            <h2>"Lines"</h2>
            <table class="data-table" data-testid="offer-items">
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col">"Quantity"</th><th scope="col">"Unit price"</th>
                    <th scope="col">"Discount"</th><th scope="col">"Line total"</th>
                </tr></thead>
                <tbody>{items}</tbody>
                <tfoot>
                    <tr><th scope="row" colspan="4">"Subtotal"</th><td class="num" data-testid="offer-subtotal">{money(&o.subtotal, &o.currency)}</td></tr>
                    <tr><th scope="row" colspan="4">"Discount"</th><td class="num" data-testid="offer-discount">{money(&o.discount_total, &o.currency)}</td></tr>
                    <tr><th scope="row" colspan="4">"Total"</th><td class="num" data-testid="offer-total"><strong>{money(&o.total, &o.currency)}</strong></td></tr>
                </tfoot>
            </table>
            <p class="muted">{format!("Largest line discount: {} %. Totals are computed by the server.", o.max_discount_pct)}</p>
            {o.terms.clone().map(|t| view! { <h3>"Terms"</h3><p class="prewrap">{t}</p> })}
            {o.notes.clone().map(|n| view! { <h3>"Internal notes"</h3><p class="prewrap muted">{n}</p> })}
        </section>
        <section class="panel" data-testid="offer-approvals">
            <h2>"Approvals"</h2>
            {if has_approvals {
                view! { <ol class="approvals">{approvals}</ol> }.into_any()
            } else {
                view! { <p class="muted">"No decisions yet."</p> }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Message to the customer"</h2>
            <pre class="message-preview" data-testid="offer-preview">{o.message_preview.clone()}</pre>
        </section>
        <section class="panel" data-testid="offer-deliveries">
            <h2>"Delivery"</h2>
            {if deliveries.is_empty() {
                view! { <p class="muted">"Not sent yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="deliveries">
                        {deliveries.into_iter().map(delivery).collect_view()}
                    </ul>
                    <p class="muted">"The sender delivers in the background; reload to follow it. All messages are in the "<a href="/outbox">"outbox"</a>"."</p>
                }.into_any()
            }}
        </section>
    }
}

fn delivery(m: OutboundMessagesQueryOutboundMessagesEdgesNode) -> impl IntoView {
    let display_id = m.conversation_display_id();
    let status = m.status_name();
    let conversation = m.conversation_id.clone().map(|c| {
        let label = display_id
            .map(|d| format!("conversation #{d}"))
            .unwrap_or_else(|| "conversation".to_owned());
        view! { " · " <a href=format!("/conversations/{c}")>{label}</a> }
    });
    view! {
        <li data-testid="offer-delivery" data-status=status
            data-display-id=display_id.map(|d| d.to_string())>
            <StatusBadge table=OUTBOUND_STATUSES status=m.status_name()/>
            {conversation}
            {m.sent_at.clone().map(|at| view! { " · sent " <time datetime=at.clone()>{when(&at)}</time> })}
            {m.blocked_reason.clone().map(|r| view! { " · " <span class="muted">{words(&r)}</span> })}
            {m.last_error.clone().map(|e| view! { " · " <span class="muted">{e}</span> })}
        </li>
    }
}

/// How the offer page names the API's fields in errors.
const OFFER_LABELS: &[(&str, &str)] = &[
    ("contactId", "Recipient"),
    ("accountId", "Account"),
    ("items", "Lines"),
    ("validUntil", "Valid until"),
    ("comment", "Comment"),
];

/// The actions the offer's status allows, with the last action's error.
#[component]
fn OfferActions(
    offer: OfferView,
    act: ServerAction<OfferAction>,
    error: Signal<Option<String>>,
    csrf: String,
    live_delivery: bool,
) -> impl IntoView {
    let (id, csrf) = (StoredValue::new(offer.id.clone()), StoredValue::new(csrf));
    let hidden = move || {
        view! {
            <input type="hidden" name="id" value=id.get_value()/>
            <input type="hidden" name="csrf" value=csrf.get_value()/>
        }
    };
    let busy = move || act.pending().get();
    let edit = view! { <a class="btn-small" href=format!("/offers/{}/edit", offer.id)>"Edit"</a> };
    let buttons = match offer.status.as_str() {
        "DRAFT" => view! {
            <div class="toolbar">
                <ActionForm action=act attr:class="form inline">
                    {hidden()}
                    <input type="hidden" name="action" value="submit"/>
                    <button type="submit" class="btn-primary" disabled=busy>"Submit"</button>
                </ActionForm>
                {edit}
            </div>
            <p class="muted">"Submitting applies the approval policy: above the project's discount threshold another member must approve; otherwise it is approved at once."</p>
        }
        .into_any(),
        "PENDING_APPROVAL" => view! {
            <div class="decide" id="decide">
                <ActionForm action=act attr:class="form inline" attr:data-testid="approve-offer-form">
                    {hidden()}
                    <input type="hidden" name="action" value="approve"/>
                    <div class="field grow">
                        <label for="approve-comment">"Comment (optional)"</label>
                        <input id="approve-comment" name="comment" maxlength="2000"/>
                    </div>
                    <button type="submit" class="btn-primary" disabled=busy>"Approve"</button>
                </ActionForm>
                <ActionForm action=act attr:class="form inline" attr:data-testid="reject-offer-form">
                    {hidden()}
                    <input type="hidden" name="action" value="reject"/>
                    <div class="field grow">
                        <label for="reject-comment">"Why it is rejected"</label>
                        <input id="reject-comment" name="comment" maxlength="2000" required=true/>
                    </div>
                    <button type="submit" class="btn-small btn-danger" disabled=busy>"Reject"</button>
                </ActionForm>
            </div>
        }
        .into_any(),
        "APPROVED" if live_delivery => view! {
            <p class="notice" role="status">"Queued for sending: the sender delivers it in the background."</p>
        }
        .into_any(),
        "APPROVED" => view! {
            <ActionForm action=act attr:class="form inline">
                {hidden()}
                <input type="hidden" name="action" value="send"/>
                <button type="submit" class="btn-primary" disabled=busy>"Send"</button>
            </ActionForm>
            <p class="muted">"Sends the message below to the recipient's latest conversation."</p>
        }
        .into_any(),
        "REJECTED" => view! {
            <div class="toolbar">{edit}</div>
            <p class="muted">"Editing takes it back to draft."</p>
        }
        .into_any(),
        "SENT" => view! {
            <ActionForm action=act attr:class="form inline" attr:data-testid="offer-answer-form">
                {hidden()}
                <div class="field grow">
                    <label for="answer-comment">"What the customer said (optional)"</label>
                    <input id="answer-comment" name="comment" maxlength="2000"/>
                </div>
                <button type="submit" class="btn-primary" name="action" value="accepted" disabled=busy>"Accepted"</button>
                <button type="submit" class="btn-small" name="action" value="declined" disabled=busy>"Declined"</button>
            </ActionForm>
        }
        .into_any(),
        _ => view! { <p class="muted">"Nothing more to do with this offer."</p> }.into_any(),
    };
    view! {
        <section class="panel" data-testid="offer-actions">
            <h2>"Next step"</h2>
            {buttons}
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert" data-testid="offer-action-error">
                    {move || error.get().map(|e| readable_error(&e, OFFER_LABELS))}
                </p>
                <Show when=move || error.get().is_some_and(|e| e.contains("other than its author"))>
                    <p class="muted">"Another member approves it from their "<a href="/offers/approvals">"approval inbox"</a>"."</p>
                </Show>
            </Show>
        </section>
    }
}
