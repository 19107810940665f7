//! The 404 page; sets the HTTP status during SSR.
use leptos::prelude::*;

/// Page for unknown paths.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <h1>"Page not found"</h1>
        <p class="muted">"There is nothing at this address."</p>
        <a href="/">"Back to projects"</a>
    }
}
