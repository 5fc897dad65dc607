//! Schema version check and migration steps, run at every open.

use super::keys::META_SCHEMA;
use super::{Store, StoreError, SCHEMA_VERSION};

/// One step per version: `STEPS[i]` migrates schema `i + 1` to `i + 2`.
type Step = fn(&Store) -> Result<(), StoreError>;

const STEPS: &[Step] = &[
    // 1 → 2: completions get their deadline and on-time verdict recorded.
    crate::stats::backfill::step,
    // 2 → 3: ordered indexes for the views that read a page of many.
    step_3,
    // 3 → 4: the deadline index of open tasks becomes the tasks' own entries.
    crate::stats::record::fold_due_marks,
    // 4 → 5: fewer keys per task (see `tasks::schema_5`, `scenarios::states`).
    step_5,
    // 5 → 6: the reminder schedule no longer holds the due-soon lead (a setting).
    crate::tasks::reminders::reindex,
    // 6 → 7: every scenario's current script is kept as its first stored version.
    crate::scenarios::versions::keep_current,
];

fn step_5(store: &Store) -> Result<(), StoreError> {
    crate::tasks::schema_5::step(store)?;
    crate::scenarios::states::fold_pair_states(store)
}

/// The todo index is ordered by step state and deadline; ERP records no longer keep
/// a per-kind index (see `erp::model`).
fn step_3(store: &Store) -> Result<(), StoreError> {
    crate::tasks::lists::reindex_todo(store)?;
    store.drop_multi_index("erp_kind")
}

pub fn run(store: &Store) -> Result<(), StoreError> {
    let found = match store.raw_get(META_SCHEMA)? {
        Some(b) => {
            let arr: [u8; 4] = b
                .as_slice()
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
    // Only a store with files on disk has a place for the marker.
    let marker = store.is_durable().then(|| store.path().join(MARKER));
    if found == 0 {
        let Some(marker) = marker else {
            return set_version(store, SCHEMA_VERSION);
        };
        // sled recovers a badly damaged file as an empty database; the marker tells a
        // new database from one that has lost everything.
        if marker.exists() {
            return Err(StoreError::Unopenable {
                path: store.path().to_path_buf(),
                reason: "it held data before but now reads as empty, so its files are damaged"
                    .into(),
            });
        }
        set_version(store, SCHEMA_VERSION)?;
        return write_marker(&marker);
    }
    if let Some(marker) = marker.filter(|m| !m.exists()) {
        write_marker(&marker)?;
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

/// File inside the database directory saying it has been initialised.
const MARKER: &str = "baton-initialized";

fn write_marker(path: &std::path::Path) -> Result<(), StoreError> {
    std::fs::write(path, b"This database belongs to Baton. Do not delete.\n").map_err(|e| {
        StoreError::Unopenable {
            path: path.to_path_buf(),
            reason: format!("cannot write marker file: {e}"),
        }
    })
}

fn set_version(store: &Store, version: u32) -> Result<(), StoreError> {
    store.write(|tx| {
        tx.put_meta(META_SCHEMA, version.to_be_bytes().to_vec());
        Ok::<_, StoreError>(())
    })
}
