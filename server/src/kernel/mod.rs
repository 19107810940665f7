//! What every capability shares, and nothing capability-specific: the tenant [`Scope`] and its
//! scoped queries, the [`Actor`] of a write, input [`checks`], keyset [`Page`]s, the
//! [`approval`] state machine, the job-queue port ([`jobs`]), the audit trail and the one
//! domain error. Capabilities depend on the kernel; the kernel depends on no capability.
pub mod actor;
pub mod approval;
pub mod audit;
pub mod checks;
pub mod error;
pub mod jobs;
pub mod page;
pub mod scope;
pub mod sql;

pub use actor::Actor;
pub use error::{DomainError, DomainResult, FieldError};
pub use page::Page;
pub use scope::{Scope, Scoped};
