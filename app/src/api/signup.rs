//! Signup with a PIN the owner passes on.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// DateTime arrives as RFC 3339.
    pub type DateTime = String;

    /// Step one (app/graphql/signup.graphql).
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/signup.graphql"
    )]
    pub struct RequestSignupMutation;
    /// Step two.
    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "../server/schema.graphql",
        query_path = "graphql/signup.graphql"
    )]
    pub struct ConfirmSignupMutation;
}

/// Asks for an account; then shows the PIN step.
#[server(endpoint = "signup/request")]
pub async fn request_signup(username: String, password: String) -> Result<(), ServerFnError> {
    use ops::*;

    let created =
        super::executor::run::<RequestSignupMutation>(request_signup_mutation::Variables {
            input: request_signup_mutation::RequestSignupInput { username, password },
        })
        .await?
        .request_signup;
    leptos_axum::redirect(&format!("/signup/confirm?request={}", created.id));
    Ok(())
}

/// Completes signup with the PIN; then shows the login page.
#[server(endpoint = "signup/confirm")]
pub async fn confirm_signup(request_id: String, pin: String) -> Result<(), ServerFnError> {
    use ops::*;

    super::executor::run::<ConfirmSignupMutation>(confirm_signup_mutation::Variables {
        input: confirm_signup_mutation::ConfirmSignupInput { request_id, pin },
    })
    .await?;
    leptos_axum::redirect("/login?welcome=1");
    Ok(())
}
