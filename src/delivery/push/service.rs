//! Web Push subscriptions: the server's key (made once), a member's devices (add,
//! list, remove) with the checks a browser's subscription must pass, and the devices a
//! notice goes to.

use chrono::{DateTime, Utc};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crypto::{decode_b64, public_key_b64};
use super::model::{endpoint_key, ix, Device, PushDevices, VapidKey};
use crate::error::{ServiceError, ServiceResult};
use crate::net::address::{classify, Class};
use crate::net::outbound::{parse_url, UrlError};
use crate::net::AddressPolicy;
use crate::store::{Store, StoreError, WriteTx};

/// Devices one member may subscribe: a phone, a tablet, a few browsers.
pub const MAX_DEVICES: usize = 20;
/// Push service URLs are a few hundred characters; anything far longer is not one.
const MAX_ENDPOINT: usize = 2048;
const MAX_LABEL: usize = 80;

/// The server's key pair, made now if there is none yet (first start, or a data
/// directory from before Web Push).
pub fn vapid_key(store: &Store, now: DateTime<Utc>) -> ServiceResult<VapidKey> {
    if let Some(id) = store.lookup(ix::VAPID, "current")? {
        return Ok(store.load(id)?);
    }
    let secret = SecretKey::random(&mut rand::rngs::OsRng);
    let mut key = VapidKey {
        id: 0,
        rev: 0,
        private_key: base64_url(secret.to_bytes().as_slice()),
        public_key: public_key_b64(&secret),
        created_at: now,
    };
    store.write(|tx| {
        // Another request may have made it meanwhile: the first one stays.
        if let Some(id) = tx.lookup(ix::VAPID, "current")? {
            key = tx.load(id)?;
            return Ok::<_, StoreError>(());
        }
        tx.insert(&mut key)?;
        Ok(())
    })?;
    tracing::info!("made the Web Push (VAPID) key pair");
    Ok(key)
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The private key of a stored key pair.
pub fn secret_of(key: &VapidKey) -> Result<SecretKey, String> {
    decode_b64(&key.private_key)
        .and_then(|b| SecretKey::from_slice(&b).ok())
        .ok_or_else(|| "the stored Web Push key is damaged".to_string())
}

/// `PushSubscription.toJSON()` as a browser gives it, plus a name for the device.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubscriptionInput {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// "Phone", "Office PC"… (default "This device").
    #[serde(default)]
    pub label: Option<String>,
    /// Browsers send it (usually `null`); ignored.
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<f64>)]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes decoded).
    pub p256dh: String,
    /// The browser's auth secret, base64url (16 bytes decoded).
    pub auth: String,
}

/// A device as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: u64,
    pub label: String,
    /// The full push URL, so the page can tell which entry is the browser it runs in.
    pub endpoint: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Device> for DeviceView {
    fn from(d: &Device) -> Self {
        DeviceView {
            id: d.id,
            label: d.label.clone(),
            endpoint: d.endpoint.clone(),
            created_at: d.created_at,
        }
    }
}

/// Checks a subscription: an https endpoint (plain http only to an internal address
/// `[network] allow_private` lists, which is what tests use), a P-256 point and a
/// 16-byte secret. Returns the cleaned values.
fn validate(input: &SubscriptionInput, net: &AddressPolicy) -> ServiceResult<Device> {
    let endpoint = input.endpoint.trim();
    if endpoint.len() > MAX_ENDPOINT {
        return Err(ServiceError::invalid(
            "endpoint",
            format!("the endpoint is longer than {MAX_ENDPOINT} characters"),
        ));
    }
    let url = parse_url(net, endpoint).map_err(|e| match e {
        UrlError::Refused(r) => ServiceError::invalid("endpoint", r.to_string()),
        e => ServiceError::invalid("endpoint", e.to_string()),
    })?;
    if url.scheme() != "https" {
        let internal = url
            .host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|h| h.parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| classify(ip) != Class::Public && net.check(ip).is_ok());
        if !internal {
            return Err(ServiceError::invalid(
                "endpoint",
                "a push endpoint must be an https:// address",
            ));
        }
    }
    let p256dh = decode_b64(&input.keys.p256dh)
        .filter(|b| b.len() == 65 && b.first() == Some(&4))
        .and_then(|b| PublicKey::from_sec1_bytes(&b).ok())
        .ok_or_else(|| {
            ServiceError::invalid(
                "keys.p256dh",
                "p256dh must be a P-256 public key: 65 bytes, uncompressed, base64url",
            )
        })?;
    let auth = decode_b64(&input.keys.auth)
        .filter(|b| b.len() == 16)
        .ok_or_else(|| ServiceError::invalid("keys.auth", "auth must be 16 bytes, base64url"))?;
    let label = input
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("This device");
    if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "label",
            format!("a device name is one line of at most {MAX_LABEL} characters"),
        ));
    }
    Ok(Device {
        id: 0,
        label: label.to_string(),
        endpoint: url.to_string(),
        p256dh: base64_url(p256dh.to_encoded_point(false).as_bytes()),
        auth: base64_url(&auth),
        created_at: DateTime::<Utc>::MIN_UTC,
    })
}

fn devices_in(tx: &WriteTx<'_>, uid: u64) -> Result<Option<PushDevices>, StoreError> {
    match tx.lookup(ix::USER, &uid.to_string())? {
        Some(id) => tx.get(id),
        None => Ok(None),
    }
}

/// Adds (or, for an endpoint already known, refreshes) a device of member `uid`. A
/// browser is one member's: subscribing it again as someone else moves it.
pub fn subscribe(
    store: &Store,
    uid: u64,
    input: SubscriptionInput,
    net: &AddressPolicy,
    now: DateTime<Utc>,
) -> ServiceResult<DeviceView> {
    let mut device = validate(&input, net)?;
    device.created_at = now;
    store.write(|tx| {
        if let Some(owner) = tx.lookup(ix::ENDPOINT, &endpoint_key(&device.endpoint))? {
            let mut other: PushDevices = tx.load(owner)?;
            if other.user_id != uid {
                let rev = other.rev;
                other.devices.retain(|d| d.endpoint != device.endpoint);
                tx.update(&mut other, rev)?;
            }
        }
        let mut mine = devices_in(tx, uid)?.unwrap_or(PushDevices {
            id: 0,
            rev: 0,
            user_id: uid,
            devices: Vec::new(),
        });
        if let Some(d) = mine
            .devices
            .iter_mut()
            .find(|d| d.endpoint == device.endpoint)
        {
            device.id = d.id;
            device.created_at = d.created_at;
            *d = device.clone();
        } else {
            if mine.devices.len() >= MAX_DEVICES {
                return Err(ServiceError::invalid(
                    "endpoint",
                    format!("at most {MAX_DEVICES} devices; remove one first"),
                ));
            }
            device.id = tx.next_id()?;
            mine.devices.push(device.clone());
        }
        if mine.id == 0 {
            tx.insert(&mut mine)?;
        } else {
            let rev = mine.rev;
            tx.update(&mut mine, rev)?;
        }
        Ok(DeviceView::from(&device))
    })
}

/// Member `uid`'s devices, oldest first.
pub fn devices(store: &Store, uid: u64) -> ServiceResult<Vec<Device>> {
    Ok(match store.lookup(ix::USER, &uid.to_string())? {
        Some(id) => store.load::<PushDevices>(id)?.devices,
        None => Vec::new(),
    })
}

/// Removes device `device_id` of member `uid`; `false` when there was none.
pub fn remove(store: &Store, uid: u64, device_id: u64) -> Result<bool, StoreError> {
    store.write(|tx| {
        let Some(mut mine) = devices_in(tx, uid)? else {
            return Ok(false);
        };
        let before = mine.devices.len();
        mine.devices.retain(|d| d.id != device_id);
        if mine.devices.len() == before {
            return Ok(false);
        }
        let rev = mine.rev;
        tx.update(&mut mine, rev)?;
        Ok(true)
    })
}

/// The device ids member `uid`'s notices go to, read in the notice's own write.
pub fn device_ids_in(tx: &WriteTx<'_>, uid: u64) -> Result<Vec<u64>, StoreError> {
    Ok(devices_in(tx, uid)?
        .map(|d| d.devices.iter().map(|d| d.id).collect())
        .unwrap_or_default())
}

/// One device of member `uid`, if it is still subscribed.
pub fn device(store: &Store, uid: u64, device_id: u64) -> Result<Option<Device>, StoreError> {
    Ok(match store.lookup(ix::USER, &uid.to_string())? {
        Some(id) => store
            .load::<PushDevices>(id)?
            .devices
            .into_iter()
            .find(|d| d.id == device_id),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(endpoint: &str, p256dh: &str, auth: &str) -> SubscriptionInput {
        SubscriptionInput {
            endpoint: endpoint.into(),
            keys: SubscriptionKeys {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
            label: Some("Phone".into()),
            expiration_time: None,
        }
    }

    fn browser_key() -> String {
        let k = SecretKey::random(&mut rand::thread_rng());
        public_key_b64(&k)
    }

    #[test]
    fn a_subscription_is_checked_field_by_field() {
        let net = AddressPolicy::default();
        let key = browser_key();
        let auth = "AAAAAAAAAAAAAAAAAAAAAA";
        assert!(validate(&input("https://push.example/x", &key, auth), &net).is_ok());
        for (bad, field) in [
            (input("http://push.example/x", &key, auth), "endpoint"),
            (input("https://127.0.0.1/x", &key, auth), "endpoint"),
            (input("ftp://push.example/x", &key, auth), "endpoint"),
            (
                input("https://push.example/x", &key[..20], auth),
                "keys.p256dh",
            ),
            (input("https://push.example/x", "!!", auth), "keys.p256dh"),
            (input("https://push.example/x", &key, "AAAA"), "keys.auth"),
        ] {
            match validate(&bad, &net) {
                Err(ServiceError::Invalid { field: f, .. }) => {
                    assert_eq!(f, Some(field), "{bad:?}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        // Plain http only to an internal address the operator allowed (tests).
        let local = AddressPolicy::new(&["127.0.0.1/32".to_string()]).unwrap();
        assert!(validate(&input("http://127.0.0.1:9/x", &key, auth), &local).is_ok());
        assert!(validate(&input("http://push.example/x", &key, auth), &local).is_err());
    }

    #[test]
    fn devices_are_added_refreshed_moved_and_removed() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("db"), 1 << 20).unwrap();
        let net = AddressPolicy::default();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let a = input(
            "https://push.example/a",
            &browser_key(),
            "AAAAAAAAAAAAAAAAAAAAAA",
        );
        let first = subscribe(&s, 1, a.clone(), &net, now).unwrap();
        let again = subscribe(&s, 1, a.clone(), &net, now).unwrap();
        assert_eq!(first.id, again.id, "the same browser is one device");
        let b = input(
            "https://push.example/b",
            &browser_key(),
            "AAAAAAAAAAAAAAAAAAAAAA",
        );
        subscribe(&s, 1, b, &net, now).unwrap();
        assert_eq!(devices(&s, 1).unwrap().len(), 2);
        // Someone else signs in on that browser: it is theirs now.
        subscribe(&s, 2, a, &net, now).unwrap();
        assert_eq!(devices(&s, 1).unwrap().len(), 1);
        assert_eq!(devices(&s, 2).unwrap().len(), 1);
        let id = devices(&s, 1).unwrap()[0].id;
        assert!(remove(&s, 1, id).unwrap());
        assert!(!remove(&s, 1, id).unwrap());
        assert!(devices(&s, 1).unwrap().is_empty());
    }

    #[test]
    fn the_key_is_made_once() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("db"), 1 << 20).unwrap();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let k1 = vapid_key(&s, now).unwrap();
        let k2 = vapid_key(&s, now).unwrap();
        assert_eq!(k1.public_key, k2.public_key);
        let secret = secret_of(&k1).unwrap();
        assert_eq!(public_key_b64(&secret), k1.public_key);
        assert!(!format!("{k1:?}").contains(&k1.private_key));
    }
}
