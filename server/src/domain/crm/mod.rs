//! CRM on conversation evidence: accounts, their contacts (suggested from Chatwoot, confirmed
//! by people), the per-project pipeline, opportunities with stage history and the pipeline
//! board. Every query is filtered by the scope's project and account scope; every write
//! validates its whole input first and writes nothing when any of it is bad. What customers'
//! messages say about these accounts (signals, actions, health, radar) is `signals`.
pub mod accounts;
pub mod contacts;
pub mod demo;
pub mod opportunities;
pub mod pipeline;
