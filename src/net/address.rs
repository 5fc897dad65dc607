//! Which addresses Baton may connect to on a user's or admin's behalf.
//!
//! Webhook URLs, feed URLs and the mail server are typed in by people; without a check
//! any member could make the server call `127.0.0.1:6379`, the cloud metadata service
//! at `169.254.169.254` or a router on the LAN. Every address is classified *after*
//! DNS resolution (and after the URL parser turned `2130706433`, `0x7f.1` or
//! `0177.0.0.1` into `127.0.0.1`): public addresses pass, internal ones only when the
//! operator listed their range in `[network] allow_private`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// What kind of address something is, for the check and for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    Loopback,
    /// RFC 1918, IPv6 unique local (fc00::/7) and the deprecated site-local fec0::/10.
    Private,
    /// 169.254.0.0/16 (cloud metadata lives here) and fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedNat,
    /// Documentation, benchmarking, IETF protocol and future-use ranges.
    Reserved,
    /// 0.0.0.0/8 and `::`: connecting to them reaches this host.
    Unspecified,
    Multicast,
    Broadcast,
}

impl Class {
    pub fn describe(self) -> &'static str {
        match self {
            Class::Public => "a public address",
            Class::Loopback => "a loopback address",
            Class::Private => "a private network address",
            Class::LinkLocal => "a link-local address",
            Class::SharedNat => "a carrier-grade NAT address",
            Class::Reserved => "a reserved address",
            Class::Unspecified => "an unspecified address",
            Class::Multicast => "a multicast address",
            Class::Broadcast => "a broadcast address",
        }
    }

    /// Whether `[network] allow_private` can open this class at all: there is no use in
    /// sending to "this host" by 0.0.0.0, nor over TCP to multicast or broadcast.
    fn allowable(self) -> bool {
        !matches!(
            self,
            Class::Unspecified | Class::Multicast | Class::Broadcast
        )
    }
}

/// Special IPv4 ranges, most specific first where they overlap (broadcast in 240/4).
const V4: &[(u32, u8, Class)] = &[
    (0x0000_0000, 8, Class::Unspecified),
    (0x0A00_0000, 8, Class::Private),
    (0x6440_0000, 10, Class::SharedNat),
    (0x7F00_0000, 8, Class::Loopback),
    (0xA9FE_0000, 16, Class::LinkLocal),
    (0xAC10_0000, 12, Class::Private),
    (0xC000_0000, 24, Class::Reserved),
    (0xC000_0200, 24, Class::Reserved),
    (0xC0A8_0000, 16, Class::Private),
    (0xC612_0000, 15, Class::Reserved),
    (0xC633_6400, 24, Class::Reserved),
    (0xCB00_7100, 24, Class::Reserved),
    (0xE000_0000, 4, Class::Multicast),
    (0xFFFF_FFFF, 32, Class::Broadcast),
    (0xF000_0000, 4, Class::Reserved),
];

/// Special IPv6 ranges that do not embed an IPv4 address.
const V6: &[(u128, u8, Class)] = &[
    (0, 128, Class::Unspecified),
    (1, 128, Class::Loopback),
    (0x0064_ff9b_0001_u128 << 80, 48, Class::Reserved),
    (0x0100_u128 << 112, 64, Class::Reserved),
    (0x2001_0db8_u128 << 96, 32, Class::Reserved),
    (0xfc00_u128 << 112, 7, Class::Private),
    (0xfe80_u128 << 112, 10, Class::LinkLocal),
    (0xfec0_u128 << 112, 10, Class::Private),
    (0xff00_u128 << 112, 8, Class::Multicast),
];

fn v4_range(ip: Ipv4Addr) -> Option<(Ipv4Net, Class)> {
    let bits = u32::from(ip);
    V4.iter().find_map(|&(base, len, class)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        (bits & mask == base)
            .then(|| Ipv4Net::new(Ipv4Addr::from(base), len).ok())
            .flatten()
            .map(|n| (n, class))
    })
}

/// The IPv4 address an IPv6 address stands for: mapped (`::ffff:a.b.c.d`), the old
/// compatible form (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`). Each
/// of them reaches that IPv4 host, so each is judged as it.
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xFFFF_FFFF) as u32);
    if bits >> 32 == 0xFFFF || (bits >> 32 == 0 && bits > 1) || bits >> 32 == 0x0064_ff9b_u128 << 64
    {
        return Some(low);
    }
    if bits >> 112 == 0x2002 {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xFFFF_FFFF) as u32));
    }
    None
}

/// The address whose class counts, and the special range it lies in (`None`: public).
fn range(ip: IpAddr) -> (IpAddr, Option<(IpNet, Class)>) {
    match ip {
        IpAddr::V4(v4) => (ip, v4_range(v4).map(|(n, c)| (IpNet::V4(n), c))),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return range(IpAddr::V4(v4));
            }
            let bits = u128::from(v6);
            let hit = V6.iter().find_map(|&(base, len, class)| {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                (bits & mask == base)
                    .then(|| Ipv6Net::new(Ipv6Addr::from(base), len).ok())
                    .flatten()
                    .map(|n| (IpNet::V6(n), class))
            });
            (ip, hit)
        }
    }
}

/// The class of an address (an IPv6 form of an IPv4 address counts as that address).
pub fn classify(ip: IpAddr) -> Class {
    range(ip).1.map_or(Class::Public, |(_, c)| c)
}

/// Why an address was refused; the message names the address and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ip} is {} and Baton does not connect to internal addresses (an operator can allow a range with [network] allow_private)", class.describe())]
pub struct Refused {
    pub ip: IpAddr,
    pub class: Class,
}

/// The outbound address policy: public addresses, plus the internal ranges listed in
/// `[network] allow_private`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    /// Parses and checks `allow_private`. Each entry is a CIDR range (or one address)
    /// that lies inside ONE internal range — "10.0.0.0/8", "192.168.1.20/32",
    /// "127.0.0.1/32", "fd00::/8". A range reaching into public space ("0.0.0.0/0")
    /// is refused: public addresses need no permission, and such a line would
    /// silently open loopback too. So loopback is allowed only when listed itself.
    pub fn new(allow_private: &[String]) -> Result<Self, String> {
        let mut allowed = Vec::new();
        for entry in allow_private {
            let text = entry.trim();
            let net: IpNet = match text.parse::<IpNet>() {
                Ok(n) => n.trunc(),
                Err(_) => match text.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(format!(
                            "allow_private: '{entry}' is not an address range such as 10.0.0.0/8"
                        ))
                    }
                },
            };
            if let IpNet::V6(n) = net {
                if embedded_v4(n.network()).is_some() || embedded_v4(n.broadcast()).is_some() {
                    return Err(format!(
                        "allow_private: write '{entry}' in its IPv4 form (it is an IPv6 form of IPv4 addresses)"
                    ));
                }
            }
            let (_, first) = range(net.network());
            match first {
                Some((outer, class)) if outer.contains(&net) => {
                    if !class.allowable() {
                        return Err(format!(
                            "allow_private: '{entry}' is {}, which Baton never connects to",
                            class.describe()
                        ));
                    }
                    allowed.push(net);
                }
                _ => {
                    return Err(format!(
                        "allow_private: '{entry}' is not inside one internal range (private, loopback, link-local, ...); list the internal ranges themselves, public addresses are always allowed"
                    ))
                }
            }
        }
        Ok(AddressPolicy { allowed })
    }

    /// Allows exactly these ranges without the checks of [`AddressPolicy::new`] (tests).
    pub fn allowing(allowed: Vec<IpNet>) -> Self {
        AddressPolicy { allowed }
    }

    /// Whether Baton may connect to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        let (seen, hit) = range(ip);
        let Some((_, class)) = hit else {
            return Ok(());
        };
        if class.allowable() && self.allowed.iter().any(|n| n.contains(&seen)) {
            return Ok(());
        }
        Err(Refused { ip, class })
    }

    /// Checks a host name before any lookup: IP literals (the URL parser has already
    /// turned decimal, octal and hex spellings into dotted form) and `localhost`
    /// names, which resolve to loopback by definition (RFC 6761). Other names are
    /// checked when they are resolved, right before connecting.
    pub fn check_host(&self, host: &str) -> Result<(), Refused> {
        let h = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = h.parse::<IpAddr>() {
            return self.check(ip);
        }
        let name = h.trim_end_matches('.').to_ascii_lowercase();
        if let Some(v4) = numeric_v4(&name) {
            return self.check(IpAddr::V4(v4));
        }
        if name == "localhost" || name.ends_with(".localhost") {
            let v4 = self.check(IpAddr::V4(Ipv4Addr::LOCALHOST));
            let v6 = self.check(IpAddr::V6(Ipv6Addr::LOCALHOST));
            // Allowed if either loopback form is; refused in the IPv4 words people expect.
            return v4.or_else(|e| v6.map_err(|_| e));
        }
        Ok(())
    }
}

/// `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`: names a URL parser (and the C
/// resolver) read as an IPv4 address. A mail server host is not a URL, so nothing has
/// turned it into dotted form yet.
fn numeric_v4(name: &str) -> Option<Ipv4Addr> {
    let u = reqwest::Url::parse(&format!("http://{name}/")).ok()?;
    u.host_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classes_of_addresses() {
        for (a, class) in [
            ("8.8.8.8", Class::Public),
            ("1.1.1.1", Class::Public),
            ("2606:4700:4700::1111", Class::Public),
            ("127.0.0.1", Class::Loopback),
            ("127.0.0.2", Class::Loopback),
            ("127.255.255.254", Class::Loopback),
            ("::1", Class::Loopback),
            ("10.1.2.3", Class::Private),
            ("172.16.0.1", Class::Private),
            ("172.31.255.255", Class::Private),
            ("172.32.0.1", Class::Public),
            ("192.168.1.1", Class::Private),
            ("fd12:3456::1", Class::Private),
            ("fc00::1", Class::Private),
            ("fec0::1", Class::Private),
            ("169.254.169.254", Class::LinkLocal),
            ("fe80::1", Class::LinkLocal),
            ("febf::1", Class::LinkLocal),
            ("100.64.0.1", Class::SharedNat),
            ("100.127.255.255", Class::SharedNat),
            ("100.128.0.1", Class::Public),
            ("0.0.0.0", Class::Unspecified),
            ("0.1.2.3", Class::Unspecified),
            ("::", Class::Unspecified),
            ("224.0.0.1", Class::Multicast),
            ("239.255.255.250", Class::Multicast),
            ("ff02::1", Class::Multicast),
            ("255.255.255.255", Class::Broadcast),
            ("240.0.0.1", Class::Reserved),
            ("192.0.2.1", Class::Reserved),
            ("198.18.0.1", Class::Reserved),
            ("2001:db8::1", Class::Reserved),
            // IPv6 forms of IPv4 addresses count as the IPv4 address.
            ("::ffff:127.0.0.1", Class::Loopback),
            ("::ffff:7f00:1", Class::Loopback),
            ("::ffff:169.254.169.254", Class::LinkLocal),
            ("::ffff:10.0.0.1", Class::Private),
            ("::ffff:8.8.8.8", Class::Public),
            ("::127.0.0.1", Class::Loopback),
            ("::ffff:0.0.0.0", Class::Unspecified),
            ("64:ff9b::7f00:1", Class::Loopback),
            ("64:ff9b::808:808", Class::Public),
            ("2002:7f00:1::1", Class::Loopback),
            ("2002:a9fe:a9fe::", Class::LinkLocal),
        ] {
            assert_eq!(classify(ip(a)), class, "{a}");
        }
    }

    #[test]
    fn url_parser_turns_odd_ipv4_spellings_into_the_address() {
        // What reqwest (the `url` crate, WHATWG rules) makes of them: the host the
        // check then sees is the dotted address.
        for (u, expect) in [
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f000001/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://017700000001/", "127.0.0.1"),
            ("http://0xA9.0xFE.0xA9.0xFE/", "169.254.169.254"),
            ("http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"),
        ] {
            let parsed = reqwest::Url::parse(u).unwrap();
            assert_eq!(parsed.host_str(), Some(expect), "{u}");
            assert!(AddressPolicy::default().check_host(expect).is_err(), "{u}");
        }
    }

    #[test]
    fn default_policy_refuses_every_internal_address() {
        let p = AddressPolicy::default();
        assert!(p.check(ip("93.184.216.34")).is_ok());
        assert!(p.check(ip("2606:4700:4700::1111")).is_ok());
        for a in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "192.168.0.10",
            "169.254.169.254",
            "100.64.1.1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "255.255.255.255",
            "::ffff:127.0.0.1",
            "fe80::1",
            "fd00::1",
        ] {
            let e = p.check(ip(a)).unwrap_err();
            assert!(e.to_string().contains("allow_private"), "{e}");
        }
    }

    #[test]
    fn host_names_checked_before_lookup() {
        let p = AddressPolicy::default();
        for h in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "127.0.0.1",
            "[::1]",
            "[::ffff:7f00:1]",
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "0xA9.0xFE.0xA9.0xFE",
        ] {
            assert!(p.check_host(h).is_err(), "{h}");
        }
        for h in ["hooks.example.com", "oapi.dingtalk.com", "93.184.216.34"] {
            assert!(p.check_host(h).is_ok(), "{h}");
        }
        assert!(p
            .check_host("localhost")
            .unwrap_err()
            .to_string()
            .starts_with("127.0.0.1 is a loopback address"));
        let lo = AddressPolicy::new(&["127.0.0.1/32".into()]).unwrap();
        assert!(lo.check_host("localhost").is_ok());
        assert!(lo.check_host("[::1]").is_err());
    }

    #[test]
    fn allow_private_opens_only_what_it_lists() {
        let p = AddressPolicy::new(&[
            "10.0.0.0/8".into(),
            "192.168.1.20".into(),
            "127.0.0.1/32".into(),
            "fd00::/8".into(),
            " 169.254.0.0/16 ".into(),
        ])
        .unwrap();
        for a in [
            "10.20.30.40",
            "192.168.1.20",
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "fd00::5",
            "169.254.169.254",
        ] {
            assert!(p.check(ip(a)).is_ok(), "{a}");
        }
        for a in ["192.168.1.21", "127.0.0.2", "::1", "172.16.0.1", "fc00::1"] {
            assert!(p.check(ip(a)).is_err(), "{a}");
        }
        // Host bits are dropped: "127.0.0.1/8" means 127.0.0.0/8.
        let p = AddressPolicy::new(&["127.0.0.1/8".into()]).unwrap();
        assert!(p.check(ip("127.0.0.2")).is_ok());
    }

    #[test]
    fn allow_private_refuses_ranges_that_are_not_internal() {
        for (entry, says) in [
            ("0.0.0.0/0", "not inside one internal range"),
            ("8.8.8.0/24", "not inside one internal range"),
            ("10.0.0.0/7", "not inside one internal range"),
            ("::/0", "not inside one internal range"),
            ("0.0.0.0/8", "never connects to"),
            ("224.0.0.0/4", "never connects to"),
            ("255.255.255.255", "never connects to"),
            ("::ffff:10.0.0.0/104", "IPv4 form"),
            ("ten.0.0.0/8", "not an address range"),
            ("10.0.0.0/33", "not an address range"),
        ] {
            let e = AddressPolicy::new(&[entry.into()]).unwrap_err();
            assert!(e.contains(says), "{entry}: {e}");
        }
    }
}
