//! Schema version check and migration steps, run at every open.

use super::keys::META_SCHEMA;
use super::{Store, StoreError, SCHEMA_VERSION};

/// One step per version: `STEPS[i]` migrates schema `i + 1` to `i + 2`.
type Step = fn(&Store) -> Result<(), StoreError>;

const STEPS: &[Step] = &[];

pub fn run(store: &Store) -> Result<(), StoreError> {
    let found = match store.data_tree().get(META_SCHEMA)? {
        Some(b) => {
            let arr: [u8; 4] = b
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Codec("schema version".into()))?;
            u32::from_be_bytes(arr)
        }
        None => 0,
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found == 0 {
        // A new database starts at the current schema.
        return set_version(store, SCHEMA_VERSION);
    }
    for version in found..SCHEMA_VERSION {
        if let Some(step) = STEPS.get(version as usize - 1) {
            tracing::info!(from = version, to = version + 1, "migrating schema");
            step(store)?;
        }
        set_version(store, version + 1)?;
    }
    Ok(())
}

fn set_version(store: &Store, version: u32) -> Result<(), StoreError> {
    store.write(|tx| {
        tx.put_meta(META_SCHEMA, version.to_be_bytes().to_vec());
        Ok::<_, StoreError>(())
    })
}
