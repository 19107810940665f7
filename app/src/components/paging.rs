//! "Load more" for keyset-paged listings: the first page renders on the server; the button is
//! a GET form to the next page (so it works without JavaScript), and with JavaScript the next
//! page is appended in place, each row once.
use std::{collections::HashSet, future::Future};

use leptos::prelude::*;

use crate::api::error_text;

/// The page-loading state of a listing (everything but its rows; `Copy`, so views share it).
#[derive(Clone, Copy)]
pub struct More {
    /// Cursor of the next page; none on the last page.
    pub next: RwSignal<Option<String>>,
    /// Why the last "Load more" failed.
    pub error: RwSignal<Option<String>>,
    /// Loads the page after a cursor and appends it.
    pub load: Callback<String>,
    /// A page is loading.
    pub busy: Signal<bool>,
}

/// The rows of a listing that starts with `rows` (and `next`) and appends each further page
/// that `fetch` returns, as `split` divides it into rows and the following cursor. Rows
/// already shown (same `id`) are not added twice.
pub fn more_pages<T, P, F, Fut>(
    rows: Vec<T>,
    next: Option<String>,
    fetch: F,
    split: fn(P) -> (Vec<T>, Option<String>),
    id: fn(&T) -> &str,
) -> (RwSignal<Vec<T>>, More)
where
    T: Send + Sync + 'static,
    P: Clone + Send + Sync + 'static,
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<P, ServerFnError>> + Send + 'static,
{
    let rows = RwSignal::new(rows);
    let next = RwSignal::new(next);
    let error = RwSignal::new(None::<String>);
    let action = Action::new(move |after: &String| fetch(after.clone()));
    Effect::new(move |_| {
        let Some(result) = action.value().get() else {
            return;
        };
        match result {
            Ok(page) => {
                let (more, cursor) = split(page);
                rows.update(|shown| {
                    let known: HashSet<String> = shown.iter().map(|r| id(r).to_owned()).collect();
                    shown.extend(more.into_iter().filter(|r| !known.contains(id(r))));
                });
                next.set(cursor);
                error.set(None);
            }
            Err(e) => error.set(Some(error_text(&e))),
        }
    });
    let more = More {
        next,
        error,
        load: Callback::new(move |cursor| {
            action.dispatch(cursor);
        }),
        busy: Signal::derive(move || action.pending().get()),
    };
    (rows, more)
}

/// The failure of the last "Load more", then the button: a GET form to the next page (without
/// JavaScript the page shows it); with JavaScript the page is appended in place.
#[component]
pub fn LoadMore(
    /// Page path.
    action: &'static str,
    /// Query parameters to keep.
    keep: Vec<(&'static str, String)>,
    /// The listing's paging state.
    more: More,
) -> impl IntoView {
    let More {
        next,
        error,
        load,
        busy,
    } = more;
    view! {
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Show when=move || next.get().is_some()>
            <form class="load-more" method="get" action=action on:submit=move |ev| {
                ev.prevent_default();
                if let Some(cursor) = next.get_untracked() {
                    load.run(cursor);
                }
            }>
                {keep.iter().map(|(k, v)| view! { <input type="hidden" name=*k value=v.clone()/> }).collect_view()}
                <input type="hidden" name="after" value=move || next.get().unwrap_or_default()/>
                <button type="submit" class="btn-small" disabled=move || busy.get()>
                    {move || if busy.get() { "Loading…" } else { "Load more" }}
                </button>
            </form>
        </Show>
    }
}
