//! One opportunity: edit it, move it with a note, and its stage history.
use leptos::prelude::*;

use super::{pipeline::kind_label, *};

/// An opportunity: its details, an edit form, a stage move with a note, and its stage history.
#[component]
pub fn OpportunityPage() -> impl IntoView {
    with_project(|csrf| view! { <Opportunity csrf/> })
}

#[component]
fn Opportunity(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let update = ServerAction::<UpdateOpportunity>::new();
    let mover = ServerAction::<MoveOpportunityWithNote>::new();
    let (updated, moved) = (ok_version(update), ok_version(mover));
    let opportunity = Resource::new(
        move || (id.get(), updated.get(), moved.get()),
        |(id, ..)| load_opportunity(id),
    );
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading opportunity…"/> }>
            {move || Suspend::new(async move {
                match opportunity.await {
                    Ok(o) => view! { <OpportunityBody o csrf=csrf.get_value() update mover/> }.into_any(),
                    Err(e) => view! {
                        <p><a href="/pipeline">"← Pipeline"</a></p>
                        <p class="form-error" role="alert">{error_text(&e)}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OpportunityBody(
    o: OpportunityDetail,
    csrf: String,
    update: ServerAction<UpdateOpportunity>,
    mover: ServerAction<MoveOpportunityWithNote>,
) -> impl IntoView {
    let error = action_error(update.value());
    let move_error = action_error(mover.value());
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let probability_text = match o.probability {
        Some(p) => format!("{p} % (its own)"),
        None => format!("{} % (the stage's default)", o.effective_probability),
    };
    let stage_options = o
        .stages
        .iter()
        .map(|(id, name)| {
            let selected = *id == o.stage_id;
            view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view();
    let history_empty = o.history.is_empty();
    let history = o
        .history
        .iter()
        .rev()
        .map(|h| {
            let who = h.changed_by.clone();
            let who_name = h.changed_by_name.clone();
            view! {
                <tr data-testid="stage-event">
                    <td>
                        {match &h.from {
                            Some(from) => format!("{from} → {}", h.to),
                            None => format!("Placed in {}", h.to),
                        }}
                    </td>
                    <td><time datetime=h.changed_at.clone()>{when(&h.changed_at)}</time></td>
                    <td data-testid="stage-event-who">{match (who, who_name) {
                        (_, Some(name)) => view! { <span>{name}</span> }.into_any(),
                        (Some(u), None) => view! { <span class="muted" title=u>"a former member"</span> }.into_any(),
                        (None, None) => view! { <span class="muted">"system"</span> }.into_any(),
                    }}</td>
                    <td class="num">{h.amount.clone().unwrap_or_default()}</td>
                    <td class="num">{h.probability.map(|p| format!("{p} %")).unwrap_or_default()}</td>
                    <td>{h.note.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let (csrf1, csrf2) = (csrf.clone(), csrf);
    let (id1, id2) = (o.id.clone(), o.id.clone());
    view! {
        <p><a href=format!("/accounts/{}", o.account.id)>{format!("← {}", o.account.name)}</a></p>
        <h1>{o.name.clone()}</h1>
        <dl class="facts panel" data-testid="opportunity-facts">
            <dt>"Account"</dt><dd><a href=format!("/accounts/{}", o.account.id)>{o.account.name.clone()}</a></dd>
            <dt>"Stage"</dt><dd data-testid="opportunity-stage">{format!("{} ({})", o.stage, kind_label(&o.stage_kind))}</dd>
            <dt>"Amount"</dt><dd data-testid="opportunity-amount">{format!("{} {}", o.amount, o.currency)}</dd>
            <dt>"Probability"</dt><dd>{probability_text}</dd>
            <dt>"Weighted"</dt><dd>{format!("{} {}", o.weighted, o.currency)}</dd>
            <dt>"Expected close"</dt><dd>{o.expected_close.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Owner"</dt><dd data-testid="opportunity-owner">{o.owner.label()}</dd>
            {o.closed_at.clone().map(|t| view! { <dt>"Closed"</dt><dd><time datetime=t.clone()>{when(&t)}</time></dd> })}
            {o.lost_reason.clone().map(|r| view! { <dt>"Lost because"</dt><dd>{r}</dd> })}
        </dl>
        <section class="panel">
            <h2>"Edit opportunity"</h2>
            <ActionForm action=update attr:class="form" attr:data-testid="edit-opportunity-form">
                <input type="hidden" name="id" value=id1/>
                <EditField id="opp-name" name="name" api_field="name" label="Name" value=o.name.clone() required=true maxlength=200 error/>
                <EditField id="opp-amount" name="amount" api_field="amount" label="Amount" value=o.amount.clone() required=true
                    hint="e.g. 1234.50 (at most two decimals)" error/>
                <EditField id="opp-currency" name="currency" api_field="currency" label="Currency" value=o.currency.clone()
                    required=true maxlength=3 hint="ISO code, e.g. EUR" error/>
                <EditField id="opp-probability" name="probability" api_field="probability" label="Probability (%)"
                    value=o.probability.map(|p| p.to_string()).unwrap_or_default() kind="number" min="0" max="100"
                    hint="Blank uses the stage's default" error/>
                <EditField id="opp-close" name="expected_close_date" api_field="expectedCloseDate" label="Expected close date"
                    value=o.expected_close.clone().unwrap_or_default() kind="date" hint="YYYY-MM-DD; blank clears it" error/>
                <OwnerSelect id="opp-owner" current=o.owner.id.clone() members=o.members.clone()/>
                <input type="hidden" name="csrf" value=csrf1/>
                <FormError error fields=&["name", "amount", "currency", "probability", "expectedCloseDate", "ownerUserId"]/>
                <div class="actions">
                    <button type="submit" class="btn-primary">"Save opportunity"</button>
                </div>
            </ActionForm>
            <Show when=saved>
                <p class="notice" role="status" data-testid="opportunity-saved">"Opportunity saved."</p>
            </Show>
        </section>
        <section class="panel">
            <h2>"Move to another stage"</h2>
            <ActionForm action=mover attr:class="form" attr:data-testid="move-opportunity-form">
                <input type="hidden" name="opportunity_id" value=id2/>
                <div class="field">
                    <label for="move-stage">"Stage"</label>
                    <select id="move-stage" name="to_stage_id">{stage_options}</select>
                </div>
                <EditField id="move-note" name="note" api_field="note" label="Note (optional)" maxlength=2000
                    hint="Why it moved; kept in the stage history" error=move_error/>
                <EditField id="move-lost-reason" name="lost_reason" api_field="lostReason" label="Lost reason (optional)"
                    hint="Kept only when the stage is a lost one" error=move_error/>
                <input type="hidden" name="csrf" value=csrf2/>
                <FormError error=move_error fields=&["note", "lostReason"]/>
                <div class="actions">
                    <button type="submit" class="btn-small">"Move"</button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" data-testid="stage-history">
            <h2>"Stage history"</h2>
            {if history_empty {
                view! { <EmptyState title="No stage changes yet" hint="Moves appear here with who made them and why."/> }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">"Change"</th><th scope="col">"When"</th><th scope="col">"Who"</th>
                            <th scope="col">"Amount"</th><th scope="col">"Probability"</th><th scope="col">"Note"</th>
                        </tr></thead>
                        <tbody>{history}</tbody>
                    </table>
                    <p class="muted">"Newest first."</p>
                }.into_any()
            }}
        </section>
    }
}

/// The owner field of an edit form: the project's members, "Nobody" to clear. An owner who
/// has left stays selectable as such, so saving other fields does not silently unassign.
#[component]
pub(super) fn OwnerSelect(
    /// Element id (unique on the page).
    id: &'static str,
    /// The stored owner's user id.
    current: Option<String>,
    /// Members to choose from.
    members: Vec<MemberChoice>,
) -> impl IntoView {
    let former = current
        .clone()
        .filter(|c| !members.iter().any(|m| &m.id == c));
    let options = members
        .into_iter()
        .map(|m| {
            let selected = current.as_deref() == Some(m.id.as_str());
            view! { <option value=m.id selected=selected>{m.username}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=id>"Owner"</label>
            <select id=id name="owner_user_id">
                <option value="" selected=current.is_none()>"Nobody"</option>
                {former.map(|f| view! { <option value=f selected=true>"A former member"</option> })}
                {options}
            </select>
        </div>
    }
}
