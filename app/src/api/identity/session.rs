//! The signed-in session: who, which project, and the actions that change it.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ops;

use super::ops::{
    my_projects_query::MyProjectsQueryProjectsEdgesNode, session_query::SessionQueryMe,
};

/// What the frame needs about the signed-in user: who (with the working project) and every
/// project they belong to, as the API answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user and the working project, if one is selected.
    pub me: SessionQueryMe,
    /// Every project the user belongs to.
    pub projects: Vec<MyProjectsQueryProjectsEdgesNode>,
}

impl SessionInfo {
    /// Token to send with every form that changes something.
    pub fn csrf_token(&self) -> String {
        self.me.csrf_token.clone().unwrap_or_default()
    }
}

/// The signed-in user, or `None` for a visitor.
#[server(endpoint = "identity/session")]
pub async fn current_session() -> Result<Option<SessionInfo>, ServerFnError> {
    use crate::api::executor::run;
    use ops::*;

    let data = run::<SessionQuery>(session_query::Variables {}).await?;
    let Some(me) = data.me else { return Ok(None) };
    let mut projects = Vec::new();
    let mut after = None;
    loop {
        let page = run::<MyProjectsQuery>(my_projects_query::Variables {
            first: Some(100),
            after: after.take(),
        })
        .await?
        .projects;
        projects.extend(page.edges.into_iter().map(|e| e.node));
        match page.page_info.end_cursor {
            Some(cursor) if page.page_info.has_next_page => after = Some(cursor),
            _ => break,
        }
    }
    Ok(Some(SessionInfo { me, projects }))
}

/// Signs in and goes to the projects page. Works as a plain form post before the wasm loads.
#[server(endpoint = "identity/login")]
pub async fn login(
    username: String,
    password: String,
    csrf: Option<String>,
) -> Result<(), ServerFnError> {
    use ops::*;

    let variables = login_mutation::Variables {
        input: login_mutation::LoginInput { username, password },
    };
    match csrf.as_deref().filter(|c| !c.is_empty()) {
        Some(token) => {
            crate::api::executor::run_mutation::<LoginMutation>(variables, token).await?
        }
        None => crate::api::executor::run::<LoginMutation>(variables).await?,
    };
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session and goes to the login page.
#[server(endpoint = "identity/logout")]
pub async fn logout(csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<LogoutMutation>(logout_mutation::Variables {}, &csrf)
        .await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Makes another project the working one.
#[server(endpoint = "identity/switch-project")]
pub async fn switch_project(project_id: String, csrf: String) -> Result<(), ServerFnError> {
    use ops::*;

    crate::api::executor::run_mutation::<SwitchProjectMutation>(
        switch_project_mutation::Variables { project_id },
        &csrf,
    )
    .await?;
    leptos_axum::redirect("/");
    Ok(())
}
