//! Who is signed in and where: signing in and up, the projects, and a project's settings.
pub mod login;
pub mod projects;
pub mod settings;
pub mod signup;
