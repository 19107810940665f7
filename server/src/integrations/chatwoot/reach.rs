//! Which addresses a Chatwoot source may be reached at. Anyone can bind a source, so in
//! production a source's host must resolve only to public addresses, checked by the resolver
//! of every connection (a name that later resolves inward, DNS rebinding, fails then too) and
//! for address literals when the client is made. Self-hosted Chatwoot on an internal network
//! is allowed by naming its networks (`REVINTEL_CHATWOOT_PRIVATE_NETWORKS`).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Where the client may connect.
#[derive(Debug, Clone, Default)]
pub enum Reach {
    /// Any address (development and test, where Chatwoot and its fakes are local).
    #[default]
    Anywhere,
    /// Public addresses, plus these internal networks.
    PublicOnly {
        /// Internal networks explicitly allowed.
        allowed: Vec<IpNet>,
    },
}

impl Reach {
    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        match self {
            Reach::Anywhere => true,
            Reach::PublicOnly { allowed } => {
                is_public(ip) || allowed.iter().any(|net| net.contains(&ip))
            }
        }
    }
}

/// Whether `ip` is a globally routable unicast address (not loopback, private, link-local,
/// shared, documentation, multicast or unspecified; IPv4 inside IPv6 is judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 into anything
}

/// The resolver every Chatwoot connection uses: resolves with the system, then refuses the
/// name when any of its addresses is not allowed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    reach: Reach,
}

impl GuardedResolver {
    /// A resolver enforcing `reach`.
    pub fn new(reach: Reach) -> Self {
        Self { reach }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addrs.iter().find(|a| !reach.permits(a.ip())) {
                tracing::warn!(%host, address = %refused.ip(), "chatwoot host refused: not a public address");
                return Err(format!("{host} resolves to an address that is not public").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip(internal)), "{internal}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn named_internal_networks_are_allowed_and_nothing_else() {
        let reach = Reach::PublicOnly {
            allowed: vec!["10.20.0.0/16".parse().unwrap()],
        };
        assert!(reach.permits(ip("10.20.3.4")));
        assert!(!reach.permits(ip("10.21.3.4")));
        assert!(!reach.permits(ip("127.0.0.1")));
        assert!(Reach::Anywhere.permits(ip("127.0.0.1")));
    }
}
