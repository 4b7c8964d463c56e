//! The integration tests, as modules of one test crate: one binary to build and link instead of
//! one per file (docs/performance.md, "Test build"). Each module drives the `fundq` binary or the
//! library on the sample data (`data/`, `sql/`) or on a temporary copy of it (`common`).
//!
//! Run one module with `cargo test --test it report::`, one test by its name as usual.

mod common;

mod bad_input;
#[cfg(feature = "ballista")]
mod ballista;
mod check_audit;
mod cli;
mod exact;
mod export;
mod generator;
mod import_formats;
mod import_mutations;
mod import_reliability;
mod import_streaming;
mod period;
mod property;
mod report;
mod report_docx;
#[cfg(feature = "serve")]
mod serve;
mod slt;
