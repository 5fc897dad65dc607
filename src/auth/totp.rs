//! Time-based one-time codes (RFC 6238) as every authenticator app makes them: SHA-1,
//! six digits, 30-second steps. Pure functions over a secret and a time; whoever keeps
//! the secret and the last step it accepted is `org::two_factor`.

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use qrcode::render::svg;
use qrcode::QrCode;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step: what authenticator apps assume when the URI says nothing else.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of secret: the 160 bits RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A new secret from the operating system's CSPRNG, as unpadded base32 (what the
/// otpauth URI carries and what a person types when they cannot scan).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => String::new(),
    }
}

/// The time step `now` falls in (steps before 1970 do not exist: 0).
pub fn step_at(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp().div_euclid(STEP_SECONDS)).unwrap_or(0)
}

fn generator(secret: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS as u64, bytes).ok()
}

/// The code for `step`, `None` for a secret that is not valid base32 of 128+ bits.
pub fn code_at_step(secret: &str, step: u64) -> Option<String> {
    let seconds = step.checked_mul(STEP_SECONDS as u64)?;
    Some(generator(secret)?.generate(seconds))
}

/// The step whose code `code` is, looking one step either side of `now` (a phone's
/// clock a little off, a code typed as it turned over), and only at steps after
/// `last_used`: a code once accepted is never accepted again, nor any older one.
pub fn matching_step(
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
    last_used: Option<u64>,
) -> Option<u64> {
    let g = generator(secret)?;
    let current = step_at(now);
    let mut found = None;
    for step in [
        current.checked_sub(1),
        Some(current),
        current.checked_add(1),
    ]
    .into_iter()
    .flatten()
    {
        if last_used.is_some_and(|last| step <= last) {
            continue;
        }
        let Some(seconds) = step.checked_mul(STEP_SECONDS as u64) else {
            continue;
        };
        // Every candidate is compared (no early return), in constant time.
        if constant_time_eq(g.generate(seconds).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Characters left as they are in the URI's label and issuer: letters and digits and
/// the unreserved `-._~`.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `otpauth://` URI an authenticator app reads from the QR code (Google's Key Uri
/// Format, which every app follows): the issuer names the company's Baton, the account
/// is the username.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let issuer = utf8_percent_encode(issuer, LABEL).to_string();
    let account = utf8_percent_encode(account, LABEL);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

/// The URI as a QR code in SVG, drawn here so no outside service ever sees a secret.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII secret "12345678901234567890",
    /// eight-digit codes whose last six are ours.
    #[test]
    fn rfc6238_test_vectors() {
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        for (t, code8) in [
            (59i64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            let now = Utc.timestamp_opt(t, 0).unwrap();
            assert_eq!(
                code_at_step(&secret, step_at(now)).unwrap(),
                code8[2..],
                "t={t}"
            );
            assert_eq!(
                matching_step(&secret, &code8[2..], now, None),
                Some(step_at(now))
            );
        }
    }

    #[test]
    fn one_step_either_side_and_never_twice() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "20 bytes are 32 base32 characters");
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let step = step_at(now);
        let prev = code_at_step(&secret, step - 1).unwrap();
        let next = code_at_step(&secret, step + 1).unwrap();
        let far = code_at_step(&secret, step + 2).unwrap();
        assert_eq!(matching_step(&secret, &prev, now, None), Some(step - 1));
        assert_eq!(matching_step(&secret, &next, now, None), Some(step + 1));
        assert_eq!(matching_step(&secret, &far, now, None), None);
        // the step already used, and any before it, is refused
        assert_eq!(matching_step(&secret, &prev, now, Some(step - 1)), None);
        assert_eq!(
            matching_step(&secret, &next, now, Some(step)),
            Some(step + 1)
        );
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step("not base32!", "123456", now, None), None);
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri("Baton (ACME)", "li lei", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Baton%20%28ACME%29:li%20lei?secret=JBSWY3DPEHPK3PXP&issuer=Baton%20%28ACME%29&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
