//! Why a send failed, in two wordings: the full detail for the log and the admins'
//! outbox list, and a member's wording that tells nothing about the network.
//!
//! A member sets their own webhook URL and presses "send test". If the answer said
//! "connection refused" for one port and "timed out" for another, the test button
//! would be a port scanner for every address the policy allows. So members learn
//! that delivery failed, that an address is internal, or what HTTP status the
//! receiver answered, and nothing about how a connection failed.

use crate::net::Refused;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The address is internal and `[network] allow_private` does not list it.
    #[error("{0}")]
    Refused(String),
    /// Lookup, connection, TLS or time-out: the detail is for admins and the log.
    #[error("{0}")]
    Unreachable(String),
    /// The receiver answered and refused, or the notice could not be built; the text
    /// is already fit for whoever owns the channel.
    #[error("{0}")]
    Other(String),
    /// A push service said the browser unsubscribed (404/410): the device is
    /// forgotten and the notice not retried.
    #[error("{0}")]
    Gone(String),
}

/// What a member is told when a connection could not be made.
pub const UNREACHABLE: &str = "could not deliver to that address";

impl SendError {
    /// The wording for someone who is not a company admin.
    pub fn for_member(&self) -> String {
        match self {
            SendError::Refused(_) => {
                "that address is not allowed: Baton does not send to internal network addresses"
                    .into()
            }
            SendError::Unreachable(_) => UNREACHABLE.into(),
            SendError::Other(m) | SendError::Gone(m) => m.clone(),
        }
    }
}

impl From<Refused> for SendError {
    fn from(r: Refused) -> Self {
        SendError::Refused(r.to_string())
    }
}

impl From<String> for SendError {
    fn from(m: String) -> Self {
        SendError::Other(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_never_see_how_a_connection_failed() {
        for detail in [
            "webhook request failed: tcp connect error: Connection refused (os error 111)",
            "webhook request timed out",
            "cannot resolve intranet.example: failed to lookup address information",
        ] {
            let e = SendError::Unreachable(detail.into());
            assert_eq!(e.to_string(), detail, "admins and the log get the detail");
            assert_eq!(e.for_member(), UNREACHABLE);
        }
        let r = SendError::from(Refused {
            ip: "127.0.0.1".parse().unwrap(),
            class: crate::net::Class::Loopback,
        });
        assert!(r.to_string().contains("127.0.0.1"));
        assert!(!r.for_member().contains("127.0.0.1"));
        assert!(r.for_member().contains("internal"));
        let answered = SendError::Other("webhook answered 404 Not Found".into());
        assert_eq!(answered.for_member(), "webhook answered 404 Not Found");
    }
}
