//! The projects the user belongs to, and starting a new one.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::session::ProjectChoice;

#[cfg(feature = "ssr")]
use super::ops;

/// A project row as the projects page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Project id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// RFC 3339 creation time (for `<time datetime>`).
    pub created_at: String,
    /// Creation date for display (YYYY-MM-DD).
    pub created_on: String,
}

/// Lists the projects visible to the caller (every page, in creation order).
#[server(endpoint = "identity/projects")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, ServerFnError> {
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
        out.extend(connection.edges.into_iter().map(|edge| {
            let node = edge.node;
            ProjectSummary {
                created_on: node
                    .created_at
                    .get(..10)
                    .unwrap_or(&node.created_at)
                    .to_owned(),
                id: node.id,
                name: node.name,
                created_at: node.created_at,
            }
        }));
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
pub async fn create_project(name: String, csrf: String) -> Result<ProjectChoice, ServerFnError> {
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
    Ok(ProjectChoice {
        id: created.id,
        name: created.name,
    })
}
