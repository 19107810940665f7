//! One module per page.
pub mod campaigns;
pub mod conversations;
pub mod crm;
pub mod insights;
pub mod login;
pub mod not_found;
pub mod offers;
pub mod outbound;
pub mod projects;
pub mod sales;
pub mod search;
pub mod settings;
pub mod signup;
