//! The projects the user belongs to, and starting a new one.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ops;
use super::ops::{
    create_project_mutation::CreateProjectMutationCreateProject,
    projects_query::ProjectsQueryProjectsEdgesNode,
};

impl ProjectsQueryProjectsEdgesNode {
    /// Creation date for display (YYYY-MM-DD).
    pub fn created_on(&self) -> &str {
        crate::api::text::date(&self.created_at)
    }
}

/// Lists the projects visible to the caller (every page, in creation order).
#[server(endpoint = "identity/projects")]
pub async fn list_projects() -> Result<Vec<ProjectsQueryProjectsEdgesNode>, ServerFnError> {
    use ops::{ProjectsQuery, projects_query};

    /// Page size the projects page asks for; the API caps pages at 100.
    const PROJECTS_PAGE: i64 = 100;

    let mut out = Vec::new();
    let mut after = None;
    loop {
        let data = crate::api::executor::run::<ProjectsQuery>(projects_query::Variables {
            first: Some(PROJECTS_PAGE),
            after: after.take(),
        })
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
        let connection = data.projects;
        out.extend(connection.edges.into_iter().map(|edge| edge.node));
        if !connection.page_info.has_next_page {
            break;
        }
        after = connection.page_info.end_cursor;
        if after.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Creates a project owned by the user and switches to it.
#[server(endpoint = "identity/create-project")]
pub async fn create_project(
    name: String,
    csrf: String,
) -> Result<CreateProjectMutationCreateProject, ServerFnError> {
    use ops::*;

    let created = crate::api::executor::run_mutation::<CreateProjectMutation>(
        create_project_mutation::Variables {
            input: create_project_mutation::CreateProjectInput { name },
        },
        &csrf,
    )
    .await?
    .create_project;
    crate::api::executor::run_mutation::<SwitchProjectMutation>(
        switch_project_mutation::Variables {
            project_id: created.id.clone(),
        },
        &csrf,
    )
    .await?;
    Ok(created)
}
