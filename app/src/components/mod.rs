//! Reusable components.
pub mod feedback;
pub mod forms;
pub mod layout;
pub mod paging;
