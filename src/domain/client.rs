//! LOG-10: how a session or trusted device is shown to its owner: the client address
//! masked like other personal data, the user agent shortened to browser and system.

use std::net::IpAddr;

/// The longest user agent shown when it cannot be parsed: stored as the client sent it,
/// shown shortened.
const RAW_AGENT_SHOWN: usize = 120;

/// The address with its host part starred: `203.0.113.*`, `2001:db8:85a3:*`. Anything
/// that is not an IP address is starred whole.
pub fn mask_address(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.*")
        }
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => mask_address(&v4.to_string()),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:*", s[0], s[1], s[2])
            }
        },
        Err(_) => "*".to_owned(),
    }
}

/// "Chrome 120.0.0.0 on Windows 10" where the agent can be parsed (woothee), else the
/// agent itself, cut to a readable length.
pub fn describe_agent(agent: &str) -> String {
    let parsed = woothee::parser::Parser::new().parse(agent);
    let known = |v: &str| !v.is_empty() && v != woothee::woothee::VALUE_UNKNOWN;
    match parsed {
        Some(ua) if known(ua.name) => {
            let browser = if known(ua.version) {
                format!("{} {}", ua.name, ua.version)
            } else {
                ua.name.to_owned()
            };
            if known(ua.os) {
                format!("{browser} on {}", ua.os)
            } else {
                browser
            }
        }
        _ => agent.chars().take(RAW_AGENT_SHOWN).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_to_their_network() {
        assert_eq!(mask_address("203.0.113.77"), "203.0.113.*");
        assert_eq!(mask_address("::ffff:198.51.100.9"), "198.51.100.*");
        assert_eq!(
            mask_address("2001:db8:85a3::8a2e:370:7334"),
            "2001:db8:85a3:*"
        );
        assert_eq!(mask_address("not an address"), "*");
    }

    #[test]
    fn agents_are_shortened_to_browser_and_system() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe_agent(chrome), "Chrome 120.0.0.0 on Windows 10");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        assert!(
            describe_agent(safari).starts_with("Safari 17.1 on iPhone"),
            "{}",
            describe_agent(safari)
        );
        assert_eq!(describe_agent("curl-like-tool/1"), "curl-like-tool/1");
        assert_eq!(
            describe_agent(&"x".repeat(500)).chars().count(),
            RAW_AGENT_SHOWN
        );
    }
}
