//! Signup: ask for an account, then enter the PIN the owner passes on.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::identity::{ConfirmSignup, RequestSignup},
    components::forms::{Field, FormError, action_error},
};

/// Step one: username and password.
#[component]
pub fn SignupPage() -> impl IntoView {
    let request = ServerAction::<RequestSignup>::new();
    let error = action_error(request.value());
    view! {
        <section class="narrow">
            <h1>"Request an account"</h1>
            <p class="muted">
                "The workspace owner receives a 6-digit PIN on Telegram and passes it on to you."
            </p>
            <ActionForm action=request attr:class="form" attr:data-testid="signup-form">
                <Field name="username" api_field="username" label="Username" autocomplete="username" error/>
                <Field name="password" api_field="password" label="Password (at least 10 characters)"
                    kind="password" autocomplete="new-password" error/>
                <FormError error fields=&["username", "password"]/>
                <button type="submit" class="btn-primary">"Request account"</button>
            </ActionForm>
        </section>
    }
}

/// Step two: the PIN.
#[component]
pub fn ConfirmSignupPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmSignup>::new();
    let error = action_error(confirm.value());
    let query = use_query_map();
    let request_id = move || query.read().get("request").unwrap_or_default();
    view! {
        <section class="narrow">
            <h1>"Enter your PIN"</h1>
            <p class="muted">"Ask the workspace owner for the PIN sent to them. It expires in 10 minutes."</p>
            <ActionForm action=confirm attr:class="form" attr:data-testid="pin-form">
                <input type="hidden" name="request_id" value=request_id/>
                <Field name="pin" api_field="pin" label="6-digit PIN" autocomplete="one-time-code" error/>
                <FormError error fields=&["pin"]/>
                <button type="submit" class="btn-primary">"Create account"</button>
            </ActionForm>
        </section>
    }
}
