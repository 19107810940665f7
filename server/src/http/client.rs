//! The client's address: the key its sign-in and sign-up attempts are counted under. Behind a
//! reverse proxy every request comes from the proxy, so `X-Forwarded-For` is read, but only
//! when the connection comes from a configured trusted proxy: anyone else could write any
//! address there and spread their attempts over made-up clients.
use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::ConnectInfo,
    http::{Extensions, HeaderMap},
};
use ipnet::IpNet;

use crate::config::ConfigError;

/// The reverse proxies whose `X-Forwarded-For` is believed (`REVINTEL_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR ranges ("" = none).
    pub fn parse(list: &str) -> Result<Self, ConfigError> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        ConfigError::Invalid(format!(
                            "REVINTEL_TRUSTED_PROXIES: {entry:?} is not an address or CIDR range"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one ("unknown" without connect info,
    /// as in in-process tests).
    pub fn client_address(&self, headers: &HeaderMap, extensions: &Extensions) -> String {
        let Some(peer) = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
        else {
            return "unknown".to_owned();
        };
        if !self.trusts(peer) {
            return peer.to_string();
        }
        // Each proxy appends the address it received from, so the list is read from the right.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .collect();
        forwarded
            .iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or(forwarded.first())
            .unwrap_or(&peer)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn from(peer: &str, forwarded: Option<&str>) -> (HeaderMap, Extensions) {
        let mut headers = HeaderMap::new();
        if let Some(value) = forwarded {
            headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        (headers, extensions)
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_anyone_else_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();

        let (h, e) = from("10.1.2.3", Some("203.0.113.9"));
        assert_eq!(proxies.client_address(&h, &e), "203.0.113.9");
        // A spoofed first entry is ignored: the proxy appended the real address last.
        let (h, e) = from("127.0.0.1", Some("198.51.100.1, 203.0.113.9, 10.0.0.7"));
        assert_eq!(proxies.client_address(&h, &e), "203.0.113.9");
        // An untrusted peer's header is not believed.
        let (h, e) = from("192.0.2.44", Some("203.0.113.9"));
        assert_eq!(proxies.client_address(&h, &e), "192.0.2.44");
    }

    #[test]
    fn nothing_is_trusted_unless_configured_and_bad_entries_are_refused() {
        let (h, e) = from("10.1.2.3", Some("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client_address(&h, &e), "10.1.2.3");
        assert!(TrustedProxies::parse("10.0.0.0/8,not-an-ip").is_err());
        assert!(TrustedProxies::parse("").is_ok());
    }
}
