//! The root query: one object per area, merged.
mod projects;
mod system;

use async_graphql::MergedObject;

/// Root of every read.
#[derive(MergedObject, Default)]
pub struct QueryRoot(system::SystemQuery, projects::ProjectsQuery);
