//! The memory allocator: mimalloc, told to give freed memory back to the system at once.
//!
//! mimalloc instead of the system allocator, for the binary and for everything that
//! links this crate (tests, benchmarks), so benchmarks measure what the server runs.
//! Ingest and scenario evaluation allocate many small values (JSON, rhai maps, index
//! keys); measured with `cargo bench --bench scenarios -- ingest`: +8 % records/s on
//! the typical mix and +22 % on the heavy one over glibc's malloc.

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (the Rust bindings skip it).
/// Its default is 1000 ms, which [`tests`] checks so that a renumbering in a later
/// mimalloc fails the suite instead of setting some other option.
const PURGE_DELAY: mi_option_t = 15;

/// Makes mimalloc return freed pages to the operating system as soon as they are
/// free, instead of a second later. The purge runs only when a thread next calls the
/// allocator, so with the default delay memory freed by the last burst of work (an
/// ingest, 64 readers) stayed resident while the server was idle:
/// `ERP_RECORDS=200000 bash benches/memory/run.sh` measured 155 → 115 MiB after the
/// ingest and 166 → 133 MiB after the reads.
///
/// Called first thing in `main`; mimalloc reads this option at every purge, so
/// setting it after start-up is enough (the environment variable
/// `MIMALLOC_PURGE_DELAY` is only read before `main` runs).
pub fn configure() {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table (an atomic
    // store in mimalloc's C code); it takes no pointers and is safe to call from any
    // thread at any time. This is the only way to set the option from the program.
    #[allow(unsafe_code)]
    unsafe {
        mi_option_set(PURGE_DELAY, 0);
    }
}

/// mimalloc's current purge delay in milliseconds.
pub fn purge_delay_ms() -> std::ffi::c_long {
    // SAFETY: reads an integer from mimalloc's option table; no pointers.
    #[allow(unsafe_code)]
    unsafe {
        mi_option_get(PURGE_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is the purge delay's: its documented default (1000 ms) until
    /// `configure` runs, 0 after. No other test in this binary calls `configure`.
    #[test]
    fn configure_sets_the_purge_delay_to_zero() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay_ms(), 1000);
        }
        configure();
        assert_eq!(purge_delay_ms(), 0);
    }
}
