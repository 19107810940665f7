//! Loading, empty and error states shared by pages.
use leptos::prelude::*;

/// Shown while data loads.
#[component]
pub fn Loading(#[prop(into)] label: String) -> impl IntoView {
    view! { <p class="muted" role="status">{label}</p> }
}

/// Shown when a listing has nothing in it.
#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint}</p>
        </div>
    }
}

/// Shows the errors an ErrorBoundary caught, without internals.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <p class="empty-title">"Something went wrong"</p>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
