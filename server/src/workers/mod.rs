//! Background job runner and jobs (Postgres leases) live here.
