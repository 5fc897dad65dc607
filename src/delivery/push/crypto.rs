//! The two pieces of cryptography a Web Push request needs, pure and with every random
//! input passed in (so the RFC's own example checks the result byte for byte):
//!
//! - the payload encrypted for one browser: RFC 8291 key derivation into one RFC 8188
//!   `aes128gcm` record;
//! - the `Authorization: vapid t=…, k=…` header: an ES256 JWT (RFC 8292) signed with
//!   the server's P-256 key, telling the push service who sends.
//!
//! Built on RustCrypto's `p256`, `hkdf` and `aes-gcm` rather than the `web-push` crate,
//! whose encryption goes through OpenSSL (`ece`): the binary stays free of a system TLS
//! library. The integration test decrypts with `ece` itself, an independent
//! implementation.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size written in the header. One record holds the whole message: push
/// services take at most 4096 bytes of body, so a message never needs a second.
const RECORD_SIZE: u32 = 4096;
/// AES-GCM tag and the one-byte "last record" delimiter (RFC 8188 §2).
const OVERHEAD: usize = 16 + 1;
/// Salt, record size, key id length, and the 65-byte key id.
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// The most plaintext one message carries (4096 bytes of body minus header and overhead).
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - OVERHEAD;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushCryptoError {
    #[error("the browser's key is not a P-256 public key")]
    BadPublicKey,
    #[error("the browser's auth secret must be 16 bytes")]
    BadAuth,
    #[error("the message is {0} bytes, more than a push message carries")]
    TooLong(usize),
    #[error("the server's push key is damaged")]
    BadServerKey,
    #[error("encryption failed")]
    Encrypt,
}

fn hkdf_expand(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), PushCryptoError> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| PushCryptoError::Encrypt)
}

/// Encrypts `plaintext` for the browser whose subscription holds `ua_public` (65-byte
/// uncompressed point) and `auth` (16 bytes), with the one-use key `ephemeral` and a
/// random `salt`. Returns the request body (`Content-Encoding: aes128gcm`).
pub fn encrypt(
    ua_public: &[u8],
    auth: &[u8],
    ephemeral: &SecretKey,
    salt: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, PushCryptoError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushCryptoError::TooLong(plaintext.len()));
    }
    if auth.len() != 16 {
        return Err(PushCryptoError::BadAuth);
    }
    let ua = PublicKey::from_sec1_bytes(ua_public).map_err(|_| PushCryptoError::BadPublicKey)?;
    let as_public = ephemeral.public_key().to_encoded_point(false);
    let as_public = as_public.as_bytes();
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), ua.as_affine());
    // RFC 8291 §3.4: IKM from the shared secret, keyed by the auth secret and bound to
    // both public keys.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    hkdf_expand(auth, shared.raw_secret_bytes(), &key_info, &mut ikm)?;
    // RFC 8188 §2.2–2.3: content key and nonce from the salt.
    let mut cek = [0u8; 16];
    hkdf_expand(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek)?;
    let mut nonce = [0u8; 12];
    hkdf_expand(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce)?;
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2); // the last (and only) record
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| PushCryptoError::Encrypt)?;
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &record,
                aad: b"",
            },
        )
        .map_err(|_| PushCryptoError::Encrypt)?;
    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// The server's VAPID public key as browsers want it: the uncompressed point,
/// base64url without padding (`applicationServerKey`, and `k=` of the header).
pub fn public_key_b64(key: &SecretKey) -> String {
    URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes())
}

/// `vapid t=<jwt>, k=<public key>` for a request to `audience` (the endpoint's
/// origin), valid until `expires` (Unix seconds; RFC 8292 allows at most 24 h),
/// naming `subject` (a `mailto:` or `https:` contact for the push service).
pub fn vapid_header(
    key: &SecretKey,
    audience: &str,
    expires: i64,
    subject: &str,
) -> Result<String, PushCryptoError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": audience, "exp": expires, "sub": subject });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signer = SigningKey::from(key);
    let sig: Signature = signer
        .try_sign(signing_input.as_bytes())
        .map_err(|_| PushCryptoError::BadServerKey)?;
    // JOSE wants r‖s, 64 bytes (RFC 7518 §3.4), which is `to_bytes` of a P-256 signature.
    let sig = URL_SAFE_NO_PAD.encode(sig.to_bytes());
    Ok(format!(
        "vapid t={signing_input}.{sig}, k={}",
        public_key_b64(key)
    ))
}

/// Decodes base64url with or without padding (browsers give the former, some
/// libraries the latter), also accepting the standard alphabet.
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let t = text
        .trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_");
    URL_SAFE_NO_PAD.decode(t).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn hex(s: &str) -> Vec<u8> {
        ::hex::decode(s).unwrap()
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn the_rfc_8291_example() {
        let as_private = SecretKey::from_slice(&hex(
            "c9f58f89813e9f8e872e71f42aa64e1757c9254dcc62b72ddc010bb4043ea11c",
        ))
        .unwrap();
        let ua_public = hex("042571b2becdfde360551aaf1ed0f4cd366c11cebe555f89bcb7b186a53339173168ece2ebe018597bd30479b86e3c8f8eced577ca59187e9246990db682008b0e");
        let auth = hex("05305932a1c7eabe13b6cec9fda48882");
        let salt: [u8; 16] = hex("0c6bfaadad67958803092d454676f397").try_into().unwrap();
        let body = encrypt(
            &ua_public,
            &auth,
            &as_private,
            &salt,
            b"When I grow up, I want to be a watermelon",
        )
        .unwrap();
        assert_eq!(body, hex("0c6bfaadad67958803092d454676f397000010004104fe33f4ab0dea71914db55823f73b54948f41306d920732dbb9a59a53286482200e597a7b7bc260ba1c227998580992e93973002f3012a28ae8f06bbb78e5ec0ff297de5b429bba7153d3a4ae0caa091fd425f3b4b5414add8ab37a19c1bbb05cf5cb5b2a2e0562d558635641ec52812c6c8ff42e95ccb86be7cd"));
    }

    #[test]
    fn bad_keys_and_long_messages_are_refused() {
        let k = SecretKey::random(&mut rand::thread_rng());
        let ua = k.public_key().to_encoded_point(false).as_bytes().to_vec();
        let salt = [0u8; 16];
        assert_eq!(
            encrypt(&ua[..64], &[0; 16], &k, &salt, b"x"),
            Err(PushCryptoError::BadPublicKey)
        );
        assert_eq!(
            encrypt(&ua, &[0; 15], &k, &salt, b"x"),
            Err(PushCryptoError::BadAuth)
        );
        let long = vec![b'a'; MAX_PLAINTEXT + 1];
        assert!(matches!(
            encrypt(&ua, &[0; 16], &k, &salt, &long),
            Err(PushCryptoError::TooLong(_))
        ));
        let full = encrypt(&ua, &[0; 16], &k, &salt, &long[1..]).unwrap();
        assert_eq!(full.len(), 4096, "the largest message fills the body limit");
    }

    #[test]
    fn the_vapid_header_verifies_with_its_own_key() {
        let k = SecretKey::random(&mut rand::thread_rng());
        let h = vapid_header(
            &k,
            "https://push.example",
            1_700_000_000,
            "mailto:a@b.example",
        )
        .unwrap();
        let rest = h.strip_prefix("vapid t=").unwrap();
        let (jwt, key) = rest.split_once(", k=").unwrap();
        assert_eq!(key, public_key_b64(&k));
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let claims = input.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&decode_b64(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 1_700_000_000);
        let vk = VerifyingKey::from_sec1_bytes(&decode_b64(key).unwrap()).unwrap();
        let sig = Signature::from_slice(&decode_b64(sig).unwrap()).unwrap();
        vk.verify(input.as_bytes(), &sig).unwrap();
    }

    #[test]
    fn base64_in_any_spelling() {
        assert_eq!(decode_b64("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_b64("+/8").unwrap(), vec![0xfb, 0xff]);
        assert!(decode_b64("!!").is_none());
    }
}
