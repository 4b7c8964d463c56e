//! The query engine: where `run`, `sql` and `report` execute their plans.
//!
//! `local` (the default) runs everything in this process. `ballista://host:port` sends each
//! plan to an Apache DataFusion Ballista scheduler, and `ballista-standalone` starts a scheduler
//! and an executor inside this process (for trying a cluster set-up on one machine). This
//! module owns the choice and the way tables are opened for it; the session stays the one place
//! that builds the `SessionContext`, and the Ballista specifics live in [`crate::ballista`],
//! which is compiled only with the cargo feature `ballista`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::execution::context::{SessionConfig, SessionContext, SessionState};

use crate::error::{Error, Result};
use crate::storage::{self, AsOf, TableLocation};

/// The port a Ballista scheduler listens on unless told otherwise.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Where queries run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// In this process (DataFusion).
    #[default]
    Local,
    /// On the Ballista cluster whose scheduler listens at `host:port`.
    Ballista { host: String, port: u16 },
    /// On a Ballista scheduler and executor started inside this process.
    BallistaStandalone,
}

impl Engine {
    /// Whether plans leave this process, so every table must be readable by the executors.
    pub fn is_distributed(&self) -> bool {
        !matches!(self, Engine::Local)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Local => write!(f, "local"),
            Engine::Ballista { host, port } if host.contains(':') => {
                write!(f, "ballista://[{host}]:{port}")
            }
            Engine::Ballista { host, port } => write!(f, "ballista://{host}:{port}"),
            Engine::BallistaStandalone => write!(f, "ballista-standalone"),
        }
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let expected = "expected `local`, `ballista://HOST:PORT` or `ballista-standalone`";
        match text.trim() {
            "local" => return Ok(Engine::Local),
            "ballista-standalone" => return Ok(Engine::BallistaStandalone),
            _ => {}
        }
        let Some(address) = text.trim().strip_prefix("ballista://") else {
            return Err(format!("`{text}`: {expected}"));
        };
        let url = url::Url::parse(&format!("http://{}", address.trim_end_matches('/')))
            .map_err(|e| format!("`{text}`: {e}; {expected}"))?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(format!("`{text}` names no host; {expected}")),
        };
        if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
            return Err(format!("`{text}`: only a host and a port; {expected}"));
        }
        Ok(Engine::Ballista {
            host,
            port: url.port().unwrap_or(DEFAULT_SCHEDULER_PORT),
        })
    }
}

/// A `SessionContext` whose plans run on `engine` (a distributed one; the local context is
/// built by the session itself), with the session's own `config`.
pub async fn distributed_context(engine: &Engine, config: SessionConfig) -> Result<SessionContext> {
    #[cfg(feature = "ballista")]
    {
        crate::ballista::context(engine, config).await
    }
    #[cfg(not(feature = "ballista"))]
    {
        let _ = config;
        Err(built_without_ballista(engine))
    }
}

/// The usage error for a distributed engine in a binary built without the `ballista` feature.
fn built_without_ballista(engine: &Engine) -> Error {
    Error::Usage(format!(
        "--engine {engine}: this fundq was built without the `ballista` feature; \
         rebuild it with `cargo build --release --features ballista`, or use --engine local"
    ))
}

/// Opens a stored table for `engine`: locally any provider will do; a cluster needs one that
/// its executors can rebuild from a serialised plan (see [`crate::ballista`]).
pub async fn open_table(
    engine: &Engine,
    location: &TableLocation,
    as_of: Option<&AsOf>,
    state: &SessionState,
) -> Result<Arc<dyn TableProvider>> {
    #[cfg(feature = "ballista")]
    if engine.is_distributed() {
        return crate::ballista::open_portable_table(location, as_of, state).await;
    }
    if engine.is_distributed() {
        return Err(built_without_ballista(engine));
    }
    storage::open_table(location, as_of, state).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_engine_form() {
        assert_eq!("local".parse(), Ok(Engine::Local));
        assert_eq!(
            "ballista-standalone".parse(),
            Ok(Engine::BallistaStandalone)
        );
        assert_eq!(
            "ballista://10.1.2.3:50051".parse(),
            Ok(Engine::Ballista {
                host: "10.1.2.3".into(),
                port: 50051
            })
        );
        assert_eq!(
            "ballista://scheduler.internal".parse(),
            Ok(Engine::Ballista {
                host: "scheduler.internal".into(),
                port: DEFAULT_SCHEDULER_PORT
            })
        );
        let ipv6: Engine = "ballista://[::1]:7000".parse().unwrap();
        assert_eq!(ipv6.to_string(), "ballista://[::1]:7000");
    }

    #[test]
    fn refuses_what_is_not_an_engine() {
        for text in [
            "",
            "ballista",
            "df://host:50050",
            "ballista://",
            "ballista://host:notaport",
            "ballista://host:50050/path",
        ] {
            assert!(text.parse::<Engine>().is_err(), "{text:?} was accepted");
        }
    }

    #[cfg(not(feature = "ballista"))]
    #[tokio::test]
    async fn a_ballista_engine_without_the_feature_is_a_usage_error() {
        let engine: Engine = "ballista://127.0.0.1:50050".parse().unwrap();
        let error = distributed_context(&engine, SessionConfig::new())
            .await
            .err()
            .expect("no cluster without the feature");
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("--features ballista"), "{error}");
    }
}
