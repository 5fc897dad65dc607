//! Is this delivery from the sender the admin set up? Pure functions over the raw body
//! and the headers: the signature is computed over the bytes as they arrived, since a
//! re-serialised body (PHP's `json_encode` escapes `/`) would not match.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::model::{SigEncoding, Verification};

/// Why a delivery was not accepted as the sender's (answered 401; the wording tells
/// the admin who set it up what to fix without telling a stranger anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingHeader(String),
    #[error("the {0} header is not a signature in the expected encoding")]
    Malformed(String),
    #[error("the signature does not match the body and the hook's secret")]
    Mismatch,
    #[error("the bearer token is missing or wrong")]
    Token,
}

/// A header's value by name (any case); `None` when absent or not text.
pub type HeaderLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks a delivery against the hook's verification. `html_decoded_secret` also
/// accepts a signature made with the secret after HTML-entity decoding (WooCommerce
/// decodes `&amp;` and friends before signing).
pub fn verify(
    v: &Verification,
    header: HeaderLookup<'_>,
    body: &[u8],
    html_decoded_secret: bool,
) -> Result<(), VerifyError> {
    match v {
        Verification::Bearer { token } => {
            let given = header("authorization").unwrap_or_default();
            let given = given
                .strip_prefix("Bearer ")
                .or_else(|| given.strip_prefix("bearer "))
                .unwrap_or("")
                .trim();
            if !given.is_empty() && bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                Ok(())
            } else {
                Err(VerifyError::Token)
            }
        }
        Verification::Hmac {
            header: name,
            encoding,
            prefix,
            secret,
        } => {
            let raw = header(name).ok_or_else(|| VerifyError::MissingHeader(name.clone()))?;
            let text = raw.trim();
            let text = if prefix.is_empty() {
                text
            } else {
                text.strip_prefix(prefix.as_str())
                    .ok_or_else(|| VerifyError::Malformed(name.clone()))?
            };
            let given =
                decode(text, *encoding).ok_or_else(|| VerifyError::Malformed(name.clone()))?;
            let mut secrets = vec![secret.clone()];
            if html_decoded_secret {
                let decoded = html_entity_decode(secret);
                if decoded != *secret {
                    secrets.push(decoded);
                }
            }
            if secrets
                .iter()
                .any(|s| signature_matches(s.as_bytes(), body, &given))
            {
                Ok(())
            } else {
                Err(VerifyError::Mismatch)
            }
        }
    }
}

fn decode(text: &str, encoding: SigEncoding) -> Option<Vec<u8>> {
    let bytes = match encoding {
        SigEncoding::Hex => hex::decode(text.to_ascii_lowercase()).ok()?,
        SigEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
    };
    (bytes.len() == 32).then_some(bytes)
}

/// Compared in constant time (`verify_slice`), so timing tells nothing of the secret.
fn signature_matches(secret: &[u8], body: &[u8], given: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(given).is_ok()
}

/// PHP's `wp_specialchars_decode($s, ENT_QUOTES)`: the five entities WordPress encodes.
fn html_entity_decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_b64(secret: &str, body: &[u8]) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(body);
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    }

    fn with(name: &'static str, value: String) -> impl Fn(&str) -> Option<String> {
        move |h: &str| h.eq_ignore_ascii_case(name).then(|| value.clone())
    }

    fn shopify(secret: &str) -> Verification {
        Verification::Hmac {
            header: "x-shopify-hmac-sha256".into(),
            encoding: SigEncoding::Base64,
            prefix: String::new(),
            secret: secret.into(),
        }
    }

    #[test]
    fn base64_signature_over_the_raw_body() {
        let body = br#"{"id":1,"url":"https:\/\/x"}"#;
        let h = with("X-Shopify-Hmac-Sha256", hmac_b64("s3cret", body));
        assert_eq!(verify(&shopify("s3cret"), &h, body, false), Ok(()));
        assert_eq!(
            verify(&shopify("other"), &h, body, false),
            Err(VerifyError::Mismatch)
        );
        // one byte changed
        assert_eq!(
            verify(
                &shopify("s3cret"),
                &h,
                br#"{"id":2,"url":"https:\/\/x"}"#,
                false
            ),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let none = |_: &str| None;
        assert!(matches!(
            verify(&shopify("s"), &none, b"{}", false),
            Err(VerifyError::MissingHeader(_))
        ));
        let junk = with("x-shopify-hmac-sha256", "not base64!".into());
        assert!(matches!(
            verify(&shopify("s"), &junk, b"{}", false),
            Err(VerifyError::Malformed(_))
        ));
        // base64 of the wrong length
        let short = with("x-shopify-hmac-sha256", "AAAA".into());
        assert!(matches!(
            verify(&shopify("s"), &short, b"{}", false),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn hex_with_a_prefix() {
        let v = Verification::Hmac {
            header: "x-signature".into(),
            encoding: SigEncoding::Hex,
            prefix: "sha256=".into(),
            secret: "k".into(),
        };
        let mut m = Hmac::<Sha256>::new_from_slice(b"k").unwrap();
        m.update(b"{}");
        let sig = hex::encode(m.finalize().into_bytes());
        assert_eq!(
            verify(
                &v,
                &with("X-Signature", format!("sha256={sig}")),
                b"{}",
                false
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &v,
                &with("X-Signature", format!("sha256={}", sig.to_uppercase())),
                b"{}",
                false
            ),
            Ok(())
        );
        assert!(matches!(
            verify(&v, &with("X-Signature", sig), b"{}", false),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn woocommerce_signs_with_the_entity_decoded_secret() {
        let v = shopify("a&amp;b");
        let h = with("x-shopify-hmac-sha256", hmac_b64("a&b", b"{}"));
        assert_eq!(verify(&v, &h, b"{}", true), Ok(()));
        assert_eq!(verify(&v, &h, b"{}", false), Err(VerifyError::Mismatch));
    }

    #[test]
    fn bearer_tokens() {
        let v = Verification::Bearer {
            token: "tok-123".into(),
        };
        assert_eq!(
            verify(
                &v,
                &with("authorization", "Bearer tok-123".into()),
                b"",
                false
            ),
            Ok(())
        );
        for bad in ["Bearer tok-12", "tok-123", "Bearer ", "Basic tok-123"] {
            assert_eq!(
                verify(&v, &with("authorization", bad.into()), b"", false),
                Err(VerifyError::Token),
                "{bad}"
            );
        }
        assert_eq!(
            verify(&v, &|_: &str| None, b"", false),
            Err(VerifyError::Token)
        );
    }
}
