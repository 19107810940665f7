//! Reusable components.
pub mod feedback;
pub mod layout;
