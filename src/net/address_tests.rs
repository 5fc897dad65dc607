//! Unit tests of `address.rs` (which addresses are public, private or refused),
//! kept apart so the policy itself reads in one screenful.

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
