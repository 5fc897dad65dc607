//! Uploaded tables waiting for the admin's choices. Kept in memory, one per admin (a
//! new upload replaces theirs), at most [`MAX_STAGED`] in all and for [`TTL`]: a
//! staged file is a draft, not data, so a restart may drop it (the admin uploads
//! again); nothing is stored until a batch is imported.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::RngCore;

use super::table::Table;

pub const TTL: Duration = Duration::from_secs(30 * 60);
pub const MAX_STAGED: usize = 8;

struct Staged {
    owner: u64,
    table: Arc<Table>,
    at: Instant,
}

#[derive(Default)]
pub struct Uploads {
    inner: Mutex<HashMap<String, Staged>>,
}

impl Uploads {
    /// Keeps `table` for `owner`, replacing their earlier upload; the oldest other
    /// upload goes when all places are taken.
    pub fn put(&self, owner: u64, table: Table) -> String {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let id = hex::encode(bytes);
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, s| s.owner != owner && s.at.elapsed() < TTL);
        if map.len() >= MAX_STAGED {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.at).map(|(k, _)| k.clone()) {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Staged {
                owner,
                table: Arc::new(table),
                at: Instant::now(),
            },
        );
        id
    }

    /// The table of upload `id`, if it is `owner`'s and not expired.
    pub fn get(&self, owner: u64, id: &str) -> Option<Arc<Table>> {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(id)
            .filter(|s| s.owner == owner && s.at.elapsed() < TTL)
            .map(|s| s.table.clone())
    }

    pub fn remove(&self, owner: u64, id: &str) -> bool {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if map.get(id).is_some_and(|s| s.owner == owner) {
            map.remove(id);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erp::upload::table::parse;

    fn table() -> Table {
        parse("a.csv", b"id\n1\n").unwrap()
    }

    #[test]
    fn an_upload_is_its_owners_and_replaced_by_their_next() {
        let u = Uploads::default();
        let a = u.put(1, table());
        assert!(u.get(1, &a).is_some());
        assert!(u.get(2, &a).is_none(), "another admin's");
        let b = u.put(1, table());
        assert!(u.get(1, &a).is_none(), "replaced");
        assert!(!u.remove(2, &b));
        assert!(u.remove(1, &b));
        assert!(u.get(1, &b).is_none());
    }

    #[test]
    fn places_are_bounded() {
        let u = Uploads::default();
        let ids: Vec<String> = (0..(MAX_STAGED as u64 + 3))
            .map(|o| u.put(o, table()))
            .collect();
        let kept = ids
            .iter()
            .enumerate()
            .filter(|(o, id)| u.get(*o as u64, id).is_some())
            .count();
        assert_eq!(kept, MAX_STAGED);
        assert!(u.get(MAX_STAGED as u64 + 2, ids.last().unwrap()).is_some());
    }
}
