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
#[path = "address_tests.rs"]
mod tests;
