//! Server settings: command-line flags over the `[serve]` section of `fundq.toml` over
//! defaults, plus the users allowed to log in.
//!
//! Passwords come from the config file (which must then be readable by its owner only) or from
//! `FUNDQ_PG_USER` / `FUNDQ_PG_PASSWORD`; there is no built-in user. Without users the server
//! only listens on loopback addresses.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// What the command line says; `None` leaves the choice to the config file or the default.
#[derive(Debug, Default, Clone)]
pub struct ServeArgs {
    pub pg: Option<String>,
    pub flight: Option<String>,
    pub config: Option<PathBuf>,
}

/// Everything the servers need to know, resolved and checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub pg: SocketAddr,
    pub flight: SocketAddr,
    /// User name to password.
    pub users: BTreeMap<String, String>,
    pub query_timeout: Duration,
    pub memory_limit_bytes: usize,
    /// The memory each catalog snapshot's kept answers may take (see `cache`); 0 keeps none.
    pub result_cache_bytes: usize,
    pub max_connections: usize,
    pub tls: Option<Tls>,
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The `[serve]` section of `fundq.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeSection {
    pg: Option<String>,
    flight: Option<String>,
    query_timeout_secs: Option<u64>,
    memory_limit_mb: Option<usize>,
    result_cache_mb: Option<usize>,
    max_connections: Option<usize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    serve: ServeSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    password: String,
}

const DEFAULT_PG: &str = "127.0.0.1:5433";
const DEFAULT_FLIGHT: &str = "127.0.0.1:50051";
const DEFAULT_QUERY_TIMEOUT_SECS: u64 = 300;
const DEFAULT_MEMORY_LIMIT_MB: usize = 4096;
const DEFAULT_RESULT_CACHE_MB: usize = 256;
const DEFAULT_MAX_CONNECTIONS: usize = 64;

impl Settings {
    pub fn resolve(args: &ServeArgs) -> Result<Settings> {
        let (file, section) = match &args.config {
            Some(path) => (Some(path.as_path()), read_config(path)?),
            None => (None, ServeSection::default()),
        };
        let origin = |key: &str| match file {
            Some(path) => format!("`{key}` in {}", path.display()),
            None => format!("the default {key}"),
        };
        let pg_text = args.pg.clone().or(section.pg.clone());
        let flight_text = args.flight.clone().or(section.flight.clone());
        let pg = parse_address(pg_text.as_deref().unwrap_or(DEFAULT_PG), "--pg")?;
        let flight = parse_address(flight_text.as_deref().unwrap_or(DEFAULT_FLIGHT), "--flight")?;
        let mut users: BTreeMap<String, String> = section
            .users
            .into_iter()
            .map(|u| (u.name, u.password))
            .collect();
        users.extend(user_from_environment()?);
        let tls = match (section.tls_cert, section.tls_key) {
            (Some(cert), Some(key)) => Some(Tls { cert, key }),
            (None, None) => None,
            _ => {
                return Err(Error::Usage(format!(
                    "TLS needs both `tls_cert` and `tls_key` ({})",
                    origin("tls_cert")
                )));
            }
        };
        let settings = Settings {
            pg,
            flight,
            users,
            query_timeout: Duration::from_secs(
                section
                    .query_timeout_secs
                    .unwrap_or(DEFAULT_QUERY_TIMEOUT_SECS),
            ),
            memory_limit_bytes: section.memory_limit_mb.unwrap_or(DEFAULT_MEMORY_LIMIT_MB)
                * 1024
                * 1024,
            result_cache_bytes: section.result_cache_mb.unwrap_or(DEFAULT_RESULT_CACHE_MB)
                * 1024
                * 1024,
            max_connections: section.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            tls,
        };
        settings.refuse_unsafe()?;
        Ok(settings)
    }

    /// Whether `user` may log in with `password` (compared in constant time).
    pub fn password_matches(&self, user: &str, password: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|expected| constant_time_eq(expected.as_bytes(), password.as_bytes()))
    }

    fn refuse_unsafe(&self) -> Result<()> {
        if self.users.is_empty() {
            for address in [self.pg, self.flight] {
                if !address.ip().is_loopback() {
                    return Err(Error::Usage(format!(
                        "refusing to listen on {address} without authentication: add [[serve.users]] \
                         to the config file or set FUNDQ_PG_USER and FUNDQ_PG_PASSWORD, or listen on \
                         127.0.0.1"
                    )));
                }
            }
        }
        if self.query_timeout.is_zero() || self.memory_limit_bytes == 0 || self.max_connections == 0
        {
            return Err(Error::Usage(
                "query_timeout_secs, memory_limit_mb and max_connections must be above 0".into(),
            ));
        }
        Ok(())
    }
}

fn read_config(path: &Path) -> Result<ServeSection> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
    if !file.serve.users.is_empty() {
        refuse_readable_by_others(path)?;
    }
    Ok(file.serve)
}

/// A config file with passwords must not be readable by other users (as ssh does for keys).
#[cfg(unix)]
fn refuse_readable_by_others(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::Usage(format!(
            "{} holds passwords but other users can read it (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_readable_by_others(_path: &Path) -> Result<()> {
    Ok(())
}

fn user_from_environment() -> Result<Option<(String, String)>> {
    let user = std::env::var("FUNDQ_PG_USER")
        .ok()
        .filter(|u| !u.is_empty());
    let password = std::env::var("FUNDQ_PG_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match (user, password) {
        (Some(user), Some(password)) => Ok(Some((user, password))),
        (None, None) => Ok(None),
        _ => Err(Error::Usage(
            "set both FUNDQ_PG_USER and FUNDQ_PG_PASSWORD, or neither".into(),
        )),
    }
}

fn parse_address(text: &str, flag: &str) -> Result<SocketAddr> {
    text.parse().map_err(|_| {
        Error::Usage(format!(
            "{flag} `{text}` is not an address; give IP:PORT such as 127.0.0.1:5433 \
             (0.0.0.0:5433 for every interface, which needs users)"
        ))
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn addresses_must_be_ip_and_port() {
        assert!(parse_address("127.0.0.1:5433", "--pg").is_ok());
        let error = parse_address("localhost", "--pg").unwrap_err().to_string();
        assert!(
            error.contains("--pg `localhost` is not an address"),
            "{error}"
        );
    }
}
