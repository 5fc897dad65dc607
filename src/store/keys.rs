//! Key layout of the `data` tree.

use super::StoreError;

pub fn kind_prefix(kind: &str) -> Vec<u8> {
    format!("{kind}/").into_bytes()
}

/// `{kind}/{id:016x}`: fixed-width hex keeps keys in id order.
pub fn record_key(kind: &str, id: u64) -> Vec<u8> {
    format!("{kind}/{id:016x}").into_bytes()
}

pub fn index_key(index: &str, value: &str) -> Vec<u8> {
    format!("ix/{index}/{value}").into_bytes()
}

/// `mx/{index}/{value}/{id:016x}`: one entry per record with that value, in id order.
pub fn multi_key(index: &str, value: &str, id: u64) -> Vec<u8> {
    format!("mx/{index}/{value}/{id:016x}").into_bytes()
}

pub fn multi_prefix(index: &str, value: &str) -> Vec<u8> {
    format!("mx/{index}/{value}/").into_bytes()
}

pub fn id_from_multi_key(key: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(key).ok()?;
    u64::from_str_radix(s.rsplit('/').next()?, 16).ok()
}

pub fn encode_id(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

pub fn decode_id(bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Codec("index entry is not an id".into()))?;
    Ok(u64::from_be_bytes(arr))
}

/// The kind part of a key (`user` for `user/00…`), used for backup counts.
pub fn kind_of(key: &[u8]) -> String {
    let s = String::from_utf8_lossy(key);
    match s.split_once('/') {
        Some(("ix", rest)) => format!("ix/{}", rest.split('/').next().unwrap_or("")),
        Some(("mx", rest)) => format!("mx/{}", rest.split('/').next().unwrap_or("")),
        Some((kind, _)) => kind.to_string(),
        None => s.into_owned(),
    }
}

pub const META_SCHEMA: &[u8] = b"meta/schema";
pub const META_NEXT_ID: &[u8] = b"meta/next_id";
