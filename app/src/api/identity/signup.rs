//! Signup with a PIN the owner passes on.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ops;

/// Asks for an account; then shows the PIN step.
#[server(endpoint = "identity/request-signup")]
pub async fn request_signup(username: String, password: String) -> Result<(), ServerFnError> {
    use ops::*;

    let created =
        crate::api::executor::run::<RequestSignupMutation>(request_signup_mutation::Variables {
            input: request_signup_mutation::RequestSignupInput { username, password },
        })
        .await?
        .request_signup;
    leptos_axum::redirect(&format!("/signup/confirm?request={}", created.id));
    Ok(())
}

/// Completes signup with the PIN; then shows the login page.
#[server(endpoint = "identity/confirm-signup")]
pub async fn confirm_signup(request_id: String, pin: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run::<ConfirmSignupMutation>(confirm_signup_mutation::Variables {
        input: confirm_signup_mutation::ConfirmSignupInput { request_id, pin },
    })
    .await?;
    leptos_axum::redirect("/login?welcome=1");
    Ok(())
}
