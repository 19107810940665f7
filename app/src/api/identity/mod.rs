//! Who is signed in and where: the session, signing up, projects and a project's settings
//! (API tokens, Telegram, the audit log).
pub mod projects;
pub mod session;
pub mod settings;
pub mod signup;

pub use self::{projects::*, session::*, settings::*, signup::*};

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/identity.graphql":
        SessionQuery,
        MyProjectsQuery,
        LoginMutation,
        LogoutMutation,
        SwitchProjectMutation,
        CreateProjectMutation,
        ProjectsQuery,
        RequestSignupMutation,
        ConfirmSignupMutation,
        SettingsQuery,
        AuditEventsQuery,
        CreateApiTokenMutation,
        RevokeApiTokenMutation,
        CreateTelegramBindCodeMutation,
        UpdateProjectSettingsMutation,
    );
}
