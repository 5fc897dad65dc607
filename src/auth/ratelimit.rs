//! Login throttling per account and per client address (governor's keyed GCRA).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `per_minute` attempts per account; three times as many per address, since
    /// several people may share one office IP.
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let ip_n = NonZeroU32::new(per_minute.max(1).saturating_mul(3)).unwrap_or(NonZeroU32::MIN);
        LoginLimiter {
            per_account: RateLimiter::keyed(Quota::per_minute(n)),
            per_ip: RateLimiter::keyed(Quota::per_minute(ip_n)),
        }
    }

    /// Takes one attempt from both buckets; `false` means refuse with 429.
    pub fn allow(&self, username: &str, ip: Option<IpAddr>) -> bool {
        // Keyed exactly as the login looks the account up: "  admin " is "admin".
        let account_ok = self
            .per_account
            .check_key(&crate::actor::username_key(username))
            .is_ok();
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check_key(&ip).is_ok());
        account_ok && ip_ok
    }

    pub fn shrink(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_quota_per_account() {
        let l = LoginLimiter::new(3);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(l.allow("a", Some(ip)));
        assert!(l.allow("A", Some(ip)));
        assert!(l.allow("a", Some(ip)));
        assert!(!l.allow("a", Some(ip)));
        // spellings the login lookup treats as the same account share its bucket
        assert!(!l.allow("  a ", Some(ip)));
        assert!(!l.allow("\tA\n", Some(ip)));
        // another account from the same address still has room
        assert!(l.allow("b", Some(ip)));
    }
}
