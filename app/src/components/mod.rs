//! Reusable components.
pub mod feedback;
pub mod forms;
pub mod layout;
pub mod page;
pub mod paging;
