//! The risk radar and the health weights.
use leptos::prelude::*;

use super::*;

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
