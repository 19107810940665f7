//! The next-best-action inbox: tabs, and Accept / Done / Dismiss on each action.
use leptos::prelude::*;

use super::*;

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
