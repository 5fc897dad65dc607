//! Value encoding: JSON inside an envelope carrying the record's format version, so a
//! later Baton can tell old values apart and migrate them.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::StoreError;

/// The `id`/`rev` accessors of a [`Record`] whose struct has `id: u64` and `rev: u64`
/// fields — what nearly every record is.
#[macro_export]
macro_rules! id_and_rev {
    () => {
        fn id(&self) -> u64 {
            self.id
        }
        fn set_id(&mut self, id: u64) {
            self.id = id;
        }
        fn rev(&self) -> u64 {
            self.rev
        }
        fn set_rev(&mut self, rev: u64) {
            self.rev = rev;
        }
    };
}

/// A durable record kind.
pub trait Record: Serialize + DeserializeOwned {
    /// Key prefix, e.g. `user`.
    const KIND: &'static str;
    /// Version of this record's encoding; raise it with a migration step.
    const FORMAT: u16 = 1;
    /// Whether ids come from the id counter (`meta/next_id`, which must stay above
    /// them). A kind keyed by what it counts (a scenario's day) says `false`: its ids
    /// are not the counter's, and backups and checks leave them out of its bound.
    const COUNTED_IDS: bool = true;
    fn id(&self) -> u64;
    fn set_id(&mut self, id: u64);
    /// Revision for optimistic concurrency; starts at 1, +1 on every update.
    fn rev(&self) -> u64;
    fn set_rev(&mut self, rev: u64);
    /// Unique secondary index entries `(index, value)` this record claims.
    fn unique_keys(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Non-unique secondary index entries `(index, value)`: many records may share a
    /// value; [`super::Store::ids_by`] lists them.
    fn multi_keys(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u16,
    d: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    v: u16,
    d: T,
}

pub fn encode<R: Record>(record: &R) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&EnvelopeOut {
        v: R::FORMAT,
        d: record,
    })
    .map_err(|e| StoreError::Codec(e.to_string()))
}

pub fn decode<R: Record>(bytes: &[u8]) -> Result<R, StoreError> {
    decode_part::<R, R>(bytes)
}

/// Decodes the fields of a record of kind `R` that `T` names; serde skips the others
/// without building them. For views that show a few fields of many records ("my
/// todo" lists 30 tasks per request: their descriptions, checklists and ERP records
/// were most of its time).
pub fn decode_part<R: Record, T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    let env: EnvelopeIn<T> = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Codec(format!("{}: {e}", R::KIND)))?;
    if env.v > R::FORMAT {
        return Err(StoreError::Codec(format!(
            "{} written in format {} by a newer Baton (this build reads {})",
            R::KIND,
            env.v,
            R::FORMAT
        )));
    }
    Ok(env.d)
}
