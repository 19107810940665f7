//! Who is signed in and where: the session, signing up, projects and a project's settings
//! (API tokens, Telegram, the audit log).
pub mod projects;
pub mod session;
pub mod settings;
pub mod signup;

pub use self::{projects::*, session::*, settings::*, signup::*};

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    pub use crate::api::scalars::*;

    macro_rules! op {
        ($name:ident) => {
            /// An operation of app/graphql/identity.graphql.
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = "graphql/identity.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        };
    }
    op!(SessionQuery);
    op!(MyProjectsQuery);
    op!(LoginMutation);
    op!(LogoutMutation);
    op!(SwitchProjectMutation);
    op!(CreateProjectMutation);
    op!(ProjectsQuery);
    op!(RequestSignupMutation);
    op!(ConfirmSignupMutation);
    op!(SettingsQuery);
    op!(AuditEventsQuery);
    op!(CreateApiTokenMutation);
    op!(RevokeApiTokenMutation);
    op!(CreateTelegramBindCodeMutation);
}
