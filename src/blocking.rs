//! Store work off the async runtime. Reads and writes block (sled, a flush per write),
//! so request handlers, the delivery worker and the connectors hand them to tokio's
//! blocking pool through this one function.

use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

/// Runs `f` on the blocking pool with a handle to `store`; a panic in `f` is an
/// internal error of this call alone.
pub async fn on_store<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> ServiceResult<T> + Send + 'static,
) -> ServiceResult<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| ServiceError::Internal(format!("worker failed: {e}")))?
}
