//! fundq: social-insurance fund ledgers as Delta Lake tables, indicators as versioned SQL views,
//! run with Apache DataFusion.
//!
//! The binary (`main.rs`) parses the command line and calls [`commands`]; everything else is
//! here, one module per concern.

pub mod audit;
#[cfg(feature = "ballista")]
pub mod ballista;
pub mod catalog;
pub mod checks;
pub mod commands;
pub mod engine;
pub mod error;
pub mod export;
pub mod generator;
pub mod import;
pub mod input;
pub mod lock;
pub mod output;
pub mod period;
pub mod report;
#[cfg(feature = "serve")]
pub mod serve;
pub mod session;
pub mod storage;
pub mod tabledef;
pub mod workspace;

pub use error::{Error, Result};
