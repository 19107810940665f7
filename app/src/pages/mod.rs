//! One module per page.
pub mod conversations;
pub mod crm;
pub mod insights;
pub mod login;
pub mod not_found;
pub mod projects;
pub mod search;
pub mod settings;
pub mod signup;
