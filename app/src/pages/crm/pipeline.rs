//! The pipeline board (moving uses selects, so nothing needs dragging) and its stages (add,
//! edit, reorder with buttons, delete).
use leptos::prelude::*;

use super::*;
use crate::api::text::query_escape;

/// The pipeline board.
#[component]
pub fn PipelinePage() -> impl IntoView {
    view! {
        <div class="page-head">
            <h1>"Pipeline"</h1>
            <a href="/pipeline/stages" data-testid="manage-stages">"Manage stages"</a>
        </div>
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
                            <strong><a href=format!("/opportunities/{}", o.id)>{o.name}</a></strong>
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

/// The pipeline's stages: list in order, add, edit, reorder, delete.
#[component]
pub fn StagesPage() -> impl IntoView {
    view! {
        <p><a href="/pipeline">"← Pipeline"</a></p>
        <h1>"Pipeline stages"</h1>
        {with_project(|csrf| view! { <Stages csrf/> })}
    }
}

pub(super) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "WON" => "won",
        "LOST" => "lost",
        _ => "open",
    }
}

#[component]
fn Stages(csrf: String) -> impl IntoView {
    let create = ServerAction::<CreateStage>::new();
    let update = ServerAction::<UpdateStage>::new();
    let mover = ServerAction::<MoveStage>::new();
    let delete = ServerAction::<DeleteStage>::new();
    let (created, updated, moved, deleted) = (
        ok_version(create),
        ok_version(update),
        ok_version(mover),
        ok_version(delete),
    );
    let query = use_query_map();
    let editing = Memo::new(move |_| query.read().get("edit").filter(|e| !e.is_empty()));
    let stages = Resource::new(
        move || (created.get(), updated.get(), moved.get(), deleted.get()),
        |_| load_stages(),
    );
    // Moving re-renders the list; keep the keyboard where it was (the moved stage's button),
    // once the new rows are in the page.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if stages.get().is_none() {
            return;
        }
        if let Some(Ok((id, direction))) = mover.value().get_untracked() {
            request_animation_frame(move || {
                use leptos::wasm_bindgen::JsCast;
                let other = if direction == "up" { "down" } else { "up" };
                let found = document()
                    .get_element_by_id(&format!("move-{direction}-{id}"))
                    .or_else(|| document().get_element_by_id(&format!("move-{other}-{id}")));
                if let Some(el) = found {
                    let _ = el.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
                }
            });
        }
    });
    let row_error = Signal::derive(move || {
        action_error(mover.value())
            .get()
            .or_else(|| action_error(delete.value()).get())
    });
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted">
            "Opportunities move through the stages in this order. Each stage's default probability weighs "
            "the forecast of opportunities without their own."
        </p>
        <FormError error=row_error fields=&[]/>
        <Transition fallback=|| view! { <Loading label="Loading stages…"/> }>
            {move || Suspend::new(async move {
                match stages.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No stages" hint="Add the first stage below."/>
                    }.into_any(),
                    Ok(list) => {
                        let last = list.len() - 1;
                        let rows = list.into_iter().enumerate().map(|(i, s)| {
                            view! { <StageItem stage=s index=i last editing csrf=csrf.get_value() update mover delete/> }
                        }).collect_view();
                        view! {
                            <table class="data-table stages" data-testid="stages-table">
                                <thead><tr>
                                    <th scope="col">"#"</th><th scope="col">"Name"</th><th scope="col">"Key"</th>
                                    <th scope="col">"Default probability"</th><th scope="col">"Kind"</th>
                                    <th scope="col">"Actions"</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <CreateStageForm create csrf=csrf.get_value()/>
    }
}

#[component]
fn StageItem(
    stage: StageRow,
    index: usize,
    last: usize,
    editing: Memo<Option<String>>,
    csrf: String,
    update: ServerAction<UpdateStage>,
    mover: ServerAction<MoveStage>,
    delete: ServerAction<DeleteStage>,
) -> impl IntoView {
    let is_editing = editing.get_untracked().as_deref() == Some(stage.id.as_str());
    let StageRow {
        id,
        key,
        name,
        probability,
        kind,
    } = stage;
    let edit_href = format!("/pipeline/stages?edit={}", query_escape(&id));
    let (edit_label, delete_label) = (format!("Edit {name}"), format!("Delete {name}"));
    let (row_key, row_name) = (key.clone(), name.clone());
    let move_button = move |direction: &'static str,
                            label: String,
                            text: &'static str,
                            csrf: String,
                            id: String| {
        view! {
            <ActionForm action=mover>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="direction" value=direction/>
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" class="btn-small" id=format!("move-{direction}-{id}") aria-label=label>{text}</button>
            </ActionForm>
        }
    };
    let up = (index > 0).then(|| {
        move_button(
            "up",
            format!("Move {name} up"),
            "↑ Up",
            csrf.clone(),
            id.clone(),
        )
    });
    let down = (index < last).then(|| {
        move_button(
            "down",
            format!("Move {name} down"),
            "↓ Down",
            csrf.clone(),
            id.clone(),
        )
    });
    let edit_error = action_error(update.value());
    let (id, name, csrf) = (
        StoredValue::new(id),
        StoredValue::new(name),
        StoredValue::new(csrf),
    );
    view! {
        <tr data-testid="stage-row" data-key=row_key data-name=row_name>
            <td class="num">{index + 1}</td>
            {if is_editing {
                view! {
                    <td colspan="4">
                        <ActionForm action=update attr:class="form inline" attr:data-testid="edit-stage-form">
                            <input type="hidden" name="id" value=id.get_value()/>
                            <EditField id="edit-stage-name" name="name" api_field="name" label="Name" value=name.get_value()
                                required=true maxlength=80 error=edit_error/>
                            <EditField id="edit-stage-probability" name="default_probability" api_field="defaultProbability"
                                label="Default probability (%)" value=probability.to_string() kind="number" min="0" max="100"
                                required=true error=edit_error/>
                            <input type="hidden" name="csrf" value=csrf.get_value()/>
                            <button type="submit" class="btn-primary">"Save stage"</button>
                            <a href="/pipeline/stages">"Cancel"</a>
                        </ActionForm>
                        <FormError error=edit_error fields=&["name", "defaultProbability"]/>
                    </td>
                }.into_any()
            } else {
                view! {
                    <td data-testid="stage-name">{name.get_value()}</td>
                    <td><code>{key}</code></td>
                    <td class="num">{format!("{probability} %")}</td>
                    <td><span class=format!("badge badge-muted stage-kind-{}", kind_label(&kind))>{kind_label(&kind)}</span></td>
                }.into_any()
            }}
            <td class="actions">
                {(!is_editing).then(|| view! {
                    <a class="btn-small" href=edit_href aria-label=edit_label>"Edit"</a>
                })}
                {up}
                {down}
                {(kind != "WON").then(|| view! {
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="name" value=name.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <button type="submit" class="btn-small btn-danger" aria-label=delete_label>"Delete"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
fn CreateStageForm(create: ServerAction<CreateStage>, csrf: String) -> impl IntoView {
    let error = action_error(create.value());
    let kind_error = move || error.get().and_then(|e| field_error(&e, "kind"));
    view! {
        <section class="panel">
            <h2>"New stage"</h2>
            <ActionForm action=create attr:class="form" attr:data-testid="create-stage-form">
                <EditField id="stage-name" name="name" api_field="name" label="Name" required=true maxlength=80 error/>
                <EditField id="stage-key" name="key" api_field="key" label="Key (optional)" maxlength=40
                    hint="Lowercase letters, digits and underscores; derived from the name when blank. Stage history keeps it." error/>
                <EditField id="stage-probability" name="default_probability" api_field="defaultProbability"
                    label="Default probability (%)" kind="number" min="0" max="100" value="10" required=true error/>
                <div class="field">
                    <label for="stage-kind">"Kind"</label>
                    <select id="stage-kind" name="kind" aria-invalid=move || kind_error().is_some().to_string()>
                        <option value="OPEN" selected=true>"Open (still being worked)"</option>
                        <option value="LOST">"Lost"</option>
                    </select>
                    <p class="hint muted">"An open stage goes after the last open stage, a lost one at the end; move it afterwards."</p>
                    <Show when=move || kind_error().is_some()>
                        <p class="field-error" role="alert">{kind_error}</p>
                    </Show>
                </div>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "key", "defaultProbability", "kind"]/>
                <div class="actions">
                    <button type="submit" class="btn-primary">"Add stage"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_kinds_and_query_values_read_plainly() {
        assert_eq!(kind_label("WON"), "won");
        assert_eq!(kind_label("LOST"), "lost");
        assert_eq!(kind_label("OPEN"), "open");
        assert_eq!(query_escape("a b/c"), "a%20b%2Fc");
        assert_eq!(query_escape("97727ca7-7310"), "97727ca7-7310");
    }
}
