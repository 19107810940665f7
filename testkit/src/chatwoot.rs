//! A fake Chatwoot holding several small accounts, for tests that bind sources (binding asks
//! Chatwoot to prove the token reads the account).
use devtools::{FakeChatwoot, Scenario, fake_chatwoot::generate};

/// The token the fake accepts.
pub const CHATWOOT_TOKEN: &str = "cw-secret-token";

/// A fake Chatwoot on loopback with a small generated account for each of `account_ids`.
pub async fn fake_chatwoot_with(account_ids: &[i64]) -> FakeChatwoot {
    let mut world = generate(&Scenario::small(account_ids[0]));
    for id in &account_ids[1..] {
        world
            .accounts
            .append(&mut generate(&Scenario::small(*id)).accounts);
    }
    FakeChatwoot::start(world, CHATWOOT_TOKEN)
        .await
        .expect("fake chatwoot starts")
}
