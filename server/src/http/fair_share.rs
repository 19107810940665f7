//! One tenant's requests cannot take the whole pool: each tenant (a project, else a user,
//! else a client address) runs at most a fixed share of the pool's connections' worth of
//! requests at once; the rest wait briefly, then are told to retry. Other tenants never wait
//! behind them.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::{Caller, RequestAuth};

/// Per-tenant request slots.
#[derive(Debug)]
pub struct FairShare {
    per_tenant: usize,
    wait: Duration,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A request's slot; freed when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl FairShare {
    /// `per_tenant` requests at once per tenant; a request waits at most `wait` for a slot.
    pub fn new(per_tenant: usize, wait: Duration) -> Self {
        Self {
            per_tenant: per_tenant.max(1),
            wait,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A quarter of a pool of `pool_size` connections per tenant, waiting up to 5 s.
    pub fn for_pool(pool_size: u32) -> Self {
        Self::new(pool_size as usize / 4, Duration::from_secs(5))
    }

    /// Whose share a request counts against.
    pub fn tenant_of(auth: &RequestAuth) -> String {
        match &auth.caller {
            Caller::Token { project_id, .. } => format!("project:{project_id}"),
            Caller::Session {
                active_project_id: Some(project_id),
                ..
            } => format!("project:{project_id}"),
            Caller::Session { user, .. } => format!("user:{}", user.id),
            Caller::Anonymous => format!("client:{}", auth.client_key),
        }
    }

    /// A slot for `tenant`, or `None` when its share stayed taken for the whole wait.
    pub async fn acquire(&self, tenant: &str) -> Option<Slot> {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            // Tenants with every slot free are forgotten, so the map holds only busy ones.
            slots
                .retain(|_, s| s.available_permits() < self.per_tenant || Arc::strong_count(s) > 1);
            slots
                .entry(tenant.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
                .clone()
        };
        tokio::time::timeout(self.wait, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()
            .map(|permit| Slot { _permit: permit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_tenant_waits_for_its_own_slots_while_another_goes_ahead() {
        // Arrange: tenant A holds both of its slots.
        let gate = FairShare::new(2, Duration::from_millis(50));
        let _a1 = gate.acquire("project:a").await.expect("first slot");
        let _a2 = gate.acquire("project:a").await.expect("second slot");

        // Act
        let a3 = gate.acquire("project:a").await;
        let b1 = gate.acquire("project:b").await;

        // Assert
        assert!(a3.is_none(), "A's third request is refused");
        assert!(b1.is_some(), "B is not held up by A");
    }

    #[tokio::test]
    async fn a_freed_slot_is_taken_by_the_next_request() {
        // Arrange
        let gate = FairShare::new(1, Duration::from_millis(50));
        let first = gate.acquire("user:1").await;

        // Act
        drop(first);
        let next = gate.acquire("user:1").await;

        // Assert
        assert!(next.is_some());
    }
}
