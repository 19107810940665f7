//! One module per capability; a capability with several pages has one file per page or job.
pub mod campaigns;
pub mod conversations;
pub mod crm;
pub mod identity;
pub mod not_found;
pub mod offers;
pub mod outbound;
pub mod search;
pub mod signals;
