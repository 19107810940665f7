//! Sign in. The form is a plain HTML post, so it works before the wasm has loaded.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::identity::Login,
    components::forms::{Field, FormError, action_error},
    session_state::refresh_on,
};

/// The login page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    refresh_on(move || login.version().get());
    let error = action_error(login.value());
    let query = use_query_map();
    let welcome = move || query.read().get("welcome").is_some();
    view! {
        <section class="narrow">
            <h1>"Sign in"</h1>
            <Show when=welcome>
                <p class="notice" role="status">"Your account is ready. Sign in to continue."</p>
            </Show>
            <ActionForm action=login attr:class="form" attr:data-testid="login-form">
                <Field name="username" api_field="username" label="Username" autocomplete="username" error/>
                <Field name="password" api_field="password" label="Password" kind="password"
                    autocomplete="current-password" error/>
                <FormError error fields=&["username", "password"]/>
                <button type="submit" class="btn-primary">"Sign in"</button>
            </ActionForm>
            <p class="muted">"No account? " <a href="/signup">"Request one"</a></p>
        </section>
    }
}
