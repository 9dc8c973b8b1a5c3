//! NTF-05: the client network a sign-in comes from: the /24 of an IPv4 address, the /48
//! of an IPv6 one; and when a sign-in is worth telling the owner about.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};

/// The network of a client address, as a comparable string; None for what is no address.
pub fn client_network(address: &str) -> Option<String> {
    match address.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return client_network(&v4.to_string());
            }
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

/// Why a successful sign-in is told to the owner (NTF-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInNotice {
    /// An untrusted device from a network that has not signed in to this principal lately.
    Anomalous,
    /// The first sign-in after a long quiet period.
    AfterDormancy,
}

/// What NTF-05 makes of a sign-in: `previous` are the principal's earlier successful
/// sign-ins (time, client address) within `familiar_period`, newest first, and `last` the
/// newest of all of them. The first sign-in ever (registration) is not anomalous.
pub fn assess_sign_in(
    client_address: Option<&str>,
    device_trusted: bool,
    previous: &[(DateTime<Utc>, Option<String>)],
    last: Option<DateTime<Utc>>,
    dormant_after: TimeDelta,
    now: DateTime<Utc>,
) -> Option<SignInNotice> {
    let last = last?;
    let network = client_address.and_then(client_network);
    let familiar = network.as_ref().is_some_and(|net| {
        previous
            .iter()
            .filter_map(|(_, addr)| addr.as_deref().and_then(client_network))
            .any(|seen| &seen == net)
    });
    if !device_trusted && !familiar {
        return Some(SignInNotice::Anomalous);
    }
    (now - last > dormant_after).then_some(SignInNotice::AfterDormancy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + days * 86_400, 0).unwrap_or_default()
    }

    #[test]
    fn networks_are_the_24_and_the_48() {
        // RULE NTF-05
        assert_eq!(
            client_network("203.0.113.9").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            client_network("203.0.113.200"),
            client_network("203.0.113.1")
        );
        assert_ne!(client_network("203.0.114.1"), client_network("203.0.113.1"));
        assert_eq!(
            client_network("2001:db8:1:2::1"),
            client_network("2001:db8:1:ffff::9")
        );
        assert_ne!(
            client_network("2001:db8:2::1"),
            client_network("2001:db8:1::1")
        );
        assert_eq!(
            client_network("::ffff:203.0.113.9"),
            client_network("203.0.113.1")
        );
        assert_eq!(client_network("not an address"), None);
    }

    #[test]
    fn a_new_network_on_an_untrusted_device_is_anomalous() {
        // RULE NTF-05
        let seen = vec![(at(-3), Some("198.51.100.7".to_owned()))];
        let dormant = TimeDelta::days(30);
        let assess = |addr: &str, trusted: bool| {
            assess_sign_in(Some(addr), trusted, &seen, Some(at(-3)), dormant, at(0))
        };
        assert_eq!(assess("203.0.113.9", false), Some(SignInNotice::Anomalous));
        assert_eq!(assess("198.51.100.99", false), None);
        assert_eq!(assess("203.0.113.9", true), None);
        // The first sign-in (at registration) has nothing to compare with.
        assert_eq!(
            assess_sign_in(Some("203.0.113.9"), false, &[], None, dormant, at(0)),
            None
        );
    }

    #[test]
    fn a_sign_in_after_thirty_quiet_days_is_a_reminder() {
        // RULE NTF-05
        let seen = vec![(at(-31), Some("198.51.100.7".to_owned()))];
        let dormant = TimeDelta::days(30);
        assert_eq!(
            assess_sign_in(
                Some("198.51.100.8"),
                false,
                &seen,
                Some(at(-31)),
                dormant,
                at(0)
            ),
            Some(SignInNotice::AfterDormancy)
        );
        assert_eq!(
            assess_sign_in(
                Some("198.51.100.8"),
                false,
                &seen,
                Some(at(-29)),
                dormant,
                at(0)
            ),
            None
        );
    }
}
