//! `fundq serve`: every table and view, read-only, to BI tools over the Postgres wire protocol
//! ([`pg`]) and Arrow Flight SQL ([`flight`]).
//!
//! Both protocols are thin layers over one [`live::Live`] catalog that follows `sql/` and the
//! data folder, and over one statement policy ([`guard`]): only reads, within a time limit, in a
//! memory pool of fixed size. This module owns starting and stopping; it never plans SQL itself.

mod cache;
mod changes;
pub mod config;
mod flight;
mod guard;
mod live;
mod pg;
mod pg_catalog;
mod pg_compat;
mod pg_describe;
mod pg_exec;
mod pg_functions;
mod pg_keys;
mod pg_settings;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::{ServeArgs, Settings};

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use live::Live;

/// Starts both servers and runs until Ctrl-C or SIGTERM.
pub async fn serve(workspace: &Workspace, args: &ServeArgs) -> Result<()> {
    let settings = Arc::new(Settings::resolve(args)?);
    // rustls is built with two crypto providers in this binary (ring for the servers, aws-lc-rs
    // through the Delta Lake client), so it cannot pick one itself and would panic on TLS.
    let _ =
        datafusion_postgres::pgwire::tokio::tokio_rustls::rustls::crypto::ring::default_provider()
            .install_default();
    let runtime = crate::session::bounded_runtime(settings.memory_limit_bytes).build_arc()?;
    let live = Arc::new(Live::open(workspace.clone(), runtime, settings.result_cache_bytes).await?);
    let pg_listener = bind(settings.pg, "--pg").await?;
    let flight_listener = bind(settings.flight, "--flight").await?;
    announce(&settings, &pg_listener, &flight_listener);
    tokio::select! {
        served = pg::serve(pg_listener, live.clone(), settings.clone()) => stopped("Postgres", served),
        served = flight::serve(flight_listener, live, settings.clone()) => stopped("Flight SQL", served),
        () = stop_requested() => {
            eprintln!("fundq serve: stopping (signal received); open connections are closed");
            Ok(())
        }
    }
}

/// The servers run until the process stops; one that returns has failed.
fn stopped(server: &str, served: Result<()>) -> Result<()> {
    served?;
    Err(Error::Output(format!(
        "the {server} server stopped accepting connections; restart fundq serve"
    )))
}

async fn bind(address: SocketAddr, flag: &str) -> Result<TcpListener> {
    TcpListener::bind(address).await.map_err(|e| {
        Error::Usage(format!(
            "cannot listen on {address}: {e}; choose another address with {flag} HOST:PORT"
        ))
    })
}

/// Tells the user (and the tests, which start the server on port 0) where to connect.
fn announce(settings: &Settings, pg: &TcpListener, flight: &TcpListener) {
    let address = |listener: &TcpListener| {
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|e| format!("(unknown: {e})"))
    };
    eprintln!("fundq serve: postgres {}", address(pg));
    eprintln!("fundq serve: flight-sql {}", address(flight));
    eprintln!(
        "fundq serve: read-only; {}; query timeout {} s; memory limit {} MiB; result cache {} MiB; at most {} connections{}",
        if settings.users.is_empty() {
            "no authentication (loopback only)".to_string()
        } else {
            format!("{} user(s) with passwords", settings.users.len())
        },
        settings.query_timeout.as_secs(),
        settings.memory_limit_bytes / (1024 * 1024),
        settings.result_cache_bytes / (1024 * 1024),
        settings.max_connections,
        if settings.tls.is_some() { "; TLS" } else { "" },
    );
    eprintln!("fundq serve: ready");
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn stop_requested() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
