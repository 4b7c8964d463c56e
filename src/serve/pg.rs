//! The Postgres wire protocol server (psql, JDBC/ODBC, psycopg, Superset, Metabase, Grafana).
//!
//! `datafusion-postgres` does the protocol work (pg_catalog, simple and extended queries,
//! Arrow to Postgres types, `NUMERIC` for decimals). This module adds what fundq promises on
//! top: statements pass [`guard`] before they run, results stop at the query timeout, logins
//! use SCRAM-SHA-256 against the configured users, connections are counted, and each statement
//! runs on the current [`Live`] catalog, planned once per catalog snapshot, with answers that
//! cannot change kept there ([`cache`]).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::logical_expr::LogicalPlan;
use datafusion_postgres::Parser;
use datafusion_postgres::pgwire;
use futures::Sink;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::{ScramAuth, gen_salted_password};
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, ConnectionManager, PgWireServerHandlers, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::{TlsAcceptor, process_socket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::cache::{self, PgStatement, Planned};
use super::config::{Settings, Tls};
use super::live::Live;
use super::live::Snapshot;
use super::{guard, pg_compat, pg_exec};
use crate::error::{Error, Result};

/// SCRAM's iteration count (Postgres' default).
const SCRAM_ITERATIONS: usize = 4096;

/// Accepts connections until the task is dropped.
pub async fn serve(listener: TcpListener, live: Arc<Live>, settings: Arc<Settings>) -> Result<()> {
    let tls = settings.tls.as_ref().map(tls_acceptor).transpose()?;
    let handlers = Arc::new(Handlers::new(live, &settings));
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                eprintln!("fundq serve: postgres: accepting a connection failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse_too_many(socket, settings.max_connections));
            continue;
        };
        let handlers = handlers.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            if let Err(e) = process_socket(socket, tls, handlers).await {
                eprintln!("fundq serve: postgres: connection from {peer}: {e}");
            }
            drop(slot);
        });
    }
}

/// Tells a client over the limit why, as Postgres does ("too many clients"), and hangs up.
///
/// Clients ask for TLS (or GSS) encryption first; that request is declined so the client reads
/// the error as a plain message and shows it, rather than a failed TLS handshake.
async fn refuse_too_many(mut socket: TcpStream, limit: usize) {
    let message =
        format!("too many connections: fundq serve allows {limit} (max_connections in fundq.toml)");
    let negotiated = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        for _ in 0..3 {
            if !read_encryption_request(&mut socket).await? {
                break;
            }
            socket.write_all(b"N").await?;
        }
        std::io::Result::Ok(())
    })
    .await;
    if matches!(negotiated, Ok(Ok(()))) {
        let _ = socket.write_all(&fatal_error("53300", &message)).await;
    }
    let _ = socket.shutdown().await;
}

/// Reads one startup-phase packet; true when it asks for TLS or GSS encryption.
async fn read_encryption_request(socket: &mut TcpStream) -> std::io::Result<bool> {
    const SSL_REQUEST: u32 = 80_877_103;
    const GSS_REQUEST: u32 = 80_877_104;
    let length = socket.read_u32().await? as usize;
    let mut body = vec![0; length.saturating_sub(4).min(10_000)];
    socket.read_exact(&mut body).await?;
    let code = body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0);
    Ok(length == 8 && (code == SSL_REQUEST || code == GSS_REQUEST))
}

/// A Postgres `ErrorResponse` packet of severity FATAL.
fn fatal_error(code: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', code),
        (b'M', message),
    ] {
        body.push(field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = vec![b'E'];
    packet.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    packet.extend_from_slice(&body);
    packet
}

fn tls_acceptor(tls: &Tls) -> Result<TlsAcceptor> {
    use pgwire::tokio::tokio_rustls::rustls::ServerConfig;
    use pgwire::tokio::tokio_rustls::rustls::pki_types::pem::PemObject;
    use pgwire::tokio::tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::Usage(format!("TLS: {}: {e}", path.display()))
    };
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|e| bad(&tls.cert, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(&tls.cert, &e))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| bad(&tls.key, &e))?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad(&tls.cert, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The pgwire handlers: one query service, and a fresh login handler per connection (SCRAM
/// keeps per-connection state).
struct Handlers {
    service: Arc<Service>,
    users: Option<Arc<Users>>,
    connections: Arc<ConnectionManager>,
}

impl Handlers {
    fn new(live: Arc<Live>, settings: &Settings) -> Handlers {
        let users = (!settings.users.is_empty()).then(|| Arc::new(Users::new(settings)));
        Handlers {
            service: Arc::new(Service {
                live,
                timeout: settings.query_timeout,
            }),
            users,
            connections: Arc::new(ConnectionManager::new()),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::new(match &self.users {
            Some(users) => {
                let mut scram = ScramAuth::new(users.clone());
                scram.set_iterations(SCRAM_ITERATIONS);
                Login::Password(
                    SASLAuthStartupHandler::new(Arc::new(server_parameters()))
                        .with_scram(scram)
                        .with_connection_manager(self.connections.clone()),
                )
            }
            None => Login::Open(OpenLogin {
                connections: self.connections.clone(),
            }),
        })
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(DefaultCancelHandler::new(self.connections.clone()))
    }
}

fn server_parameters() -> DefaultServerParameterProvider {
    let mut parameters = DefaultServerParameterProvider::default();
    parameters.default_transaction_read_only = true;
    parameters
}

/// How a connection logs in: with a password when users are configured, else not at all
/// (allowed on loopback only, see `config`).
enum Login {
    Open(OpenLogin),
    Password(SASLAuthStartupHandler<DefaultServerParameterProvider>),
}

struct OpenLogin {
    connections: Arc<ConnectionManager>,
}

impl NoopStartupHandler for OpenLogin {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.connections.clone())
    }
}

#[async_trait]
impl StartupHandler for Login {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Login::Open(login) => login.on_startup(client, message).await,
            Login::Password(login) => login.on_startup(client, message).await,
        }
    }
}

/// The configured users' SCRAM secrets, salted once at start.
#[derive(Debug)]
struct Users {
    salted: HashMap<String, (Vec<u8>, Vec<u8>)>,
}

impl Users {
    fn new(settings: &Settings) -> Users {
        let salted = settings
            .users
            .iter()
            .map(|(user, password)| {
                let salt: [u8; 16] = rand::random();
                let secret = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
                (user.clone(), (salt.to_vec(), secret))
            })
            .collect();
        Users { salted }
    }
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        match self.salted.get(user) {
            Some((salt, secret)) => Ok(Password::new(Some(salt.clone()), secret.clone())),
            None => Err(PgWireError::InvalidPassword(user.to_string())),
        }
    }
}

/// Runs statements on the current catalog, after the guard, within the timeout.
struct Service {
    live: Arc<Live>,
    timeout: std::time::Duration,
}

impl Service {
    fn refuse(sql: &str) -> PgWireResult<()> {
        match guard::refusal(sql) {
            Some(why) => Err(user_error("42501", why)),
            None => Ok(()),
        }
    }

    /// DataFusion would look for a prepared statement of its own; the client means its
    /// protocol-level one (psycopg sends `DEALLOCATE ALL` after an error).
    fn run_connection_command<C>(&self, client: &mut C, query: &str, tag: &'static str) -> Response
    where
        C: ClientPortalStore,
        C::PortalStore: PortalStore,
    {
        if tag == "DEALLOCATE" {
            let name = query.trim().trim_end_matches(';').split_whitespace().last();
            if let Some(name) = name.filter(|n| !n.eq_ignore_ascii_case("all")) {
                client.portal_store().rm_statement(name.trim_matches('"'));
            }
        }
        if tag == "DISCARD ALL" {
            client.portal_store().clear_portals();
        }
        Response::Execution(Tag::new(tag))
    }

    fn timed_out(&self) -> PgWireError {
        user_error(
            "57014",
            format!(
                "canceling statement: it ran longer than the server's query timeout of {} s \
                 (query_timeout_secs in fundq.toml); narrow it with WHERE or ask for a longer timeout",
                self.timeout.as_secs()
            ),
        )
    }

    /// The plan of a statement over fundq's own relations, to run on fundq's own path
    /// ([`pg_exec`]) with its answer kept; `None` sends the statement through the engine's
    /// path, which also refuses statements in a failed transaction as Postgres does.
    fn own_path<'a, C: ClientInfo>(planned: &'a Planned, client: &C) -> Option<&'a LogicalPlan> {
        let open = client.transaction_status() != TransactionStatus::Error;
        planned.plan().filter(|_| planned.repeatable && open)
    }

    /// Applies the deadline to whatever part of a query is still to run: the rows not yet sent.
    fn bounded(&self, response: Response, deadline: Instant) -> Response {
        match response {
            Response::Query(mut query) => {
                let rows =
                    std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
                query.data_rows = Box::pin(guard::until_deadline(rows, deadline, self.timed_out()));
                Response::Query(query)
            }
            other => other,
        }
    }
}

/// Statements about the connection's own state that the engine does not know, answered here
/// (psycopg and SQLAlchemy send them on their own): the command tag to reply with.
fn connection_command(query: &str) -> Option<&'static str> {
    let words: Vec<&str> = query
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .collect();
    let first = words.first()?.to_ascii_uppercase();
    match (first.as_str(), words.len()) {
        ("DEALLOCATE", 2) => Some("DEALLOCATE"),
        ("DEALLOCATE", 3) if words[1].eq_ignore_ascii_case("prepare") => Some("DEALLOCATE"),
        // Savepoints in a server that never writes: nothing to keep or undo.
        ("SAVEPOINT", 2) => Some("SAVEPOINT"),
        ("RELEASE", 2) => Some("RELEASE"),
        ("RELEASE", 3) if words[1].eq_ignore_ascii_case("savepoint") => Some("RELEASE"),
        // A pooled connection being reset (pgbouncer, Npgsql): a read-only session has no
        // settings, locks or temporary tables of its own to drop, only open portals.
        ("DISCARD", 2) if words[1].eq_ignore_ascii_case("all") => Some("DISCARD ALL"),
        _ => None,
    }
}

fn user_error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message,
    )))
}

#[async_trait]
impl SimpleQueryHandler for Service {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        Self::refuse(query)?;
        if let Some(tag) = connection_command(query) {
            return Ok(vec![self.run_connection_command(client, query, tag)]);
        }
        let query = pg_compat::rewrite(query);
        let deadline = Instant::now() + self.timeout;
        let snapshot = self.live.snapshot().await;
        let planned = planned_query(&snapshot, client, &query).await;
        if let Some(plan) = planned.as_deref().and_then(|p| Self::own_path(p, client)) {
            let key = cache::simple_key(&query, client.metadata());
            let response = match snapshot.answers.get(&key) {
                Some(answer) => answer.response(),
                None => {
                    let ran = pg_exec::run(&snapshot.context, plan, &Format::UnifiedText);
                    let response = tokio::time::timeout_at(deadline, ran)
                        .await
                        .map_err(|_| self.timed_out())??;
                    snapshot.answers.keep(key, response)
                }
            };
            return Ok(vec![self.bounded(Response::Query(response), deadline)]);
        }
        let responses = tokio::time::timeout_at(
            deadline,
            SimpleQueryHandler::do_query(&*snapshot.pg, client, &query),
        )
        .await
        .map_err(|_| self.timed_out())??;
        Ok(responses
            .into_iter()
            .map(|response| self.bounded(response, deadline))
            .collect())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Service {
    type Statement = PgStatement;
    type QueryParser = GuardedParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::new(GuardedParser {
            live: self.live.clone(),
        })
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let deadline = Instant::now() + self.timeout;
        let snapshot = self.live.snapshot().await;
        let stored = &portal.statement;
        let planned = snapshot
            .statements
            .plan(
                &snapshot.pg.query_parser(),
                client,
                &stored.statement.0,
                &stored.parameter_types,
            )
            .await?;
        if let Some(plan) = Self::own_path(&planned, client) {
            let key = cache::bound_key(&stored.statement.0, portal, client.metadata());
            if let Some(answer) = snapshot.answers.get(&key) {
                return Ok(self.bounded(Response::Query(answer.response()), deadline));
            }
            let ran = pg_exec::run_bound(&snapshot.context, plan, portal);
            let ran = tokio::time::timeout_at(deadline, ran)
                .await
                .map_err(|_| self.timed_out())??;
            if let Some(response) = ran {
                let response = Response::Query(snapshot.answers.keep(key, response));
                return Ok(self.bounded(response, deadline));
            }
        }
        // A statement prepared before an import or a view edit runs on today's catalog.
        let rebound = planned.rebound(portal);
        let response = tokio::time::timeout_at(
            deadline,
            ExtendedQueryHandler::do_query(
                &*snapshot.pg,
                client,
                rebound.as_ref().unwrap_or(portal),
                max_rows,
            ),
        )
        .await
        .map_err(|_| self.timed_out())??;
        Ok(self.bounded(response, deadline))
    }
}

/// Refuses what the guard refuses when a statement is prepared, then parses it on the current
/// catalog.
struct GuardedParser {
    live: Arc<Live>,
}

#[async_trait]
impl QueryParser for GuardedParser {
    type Statement = PgStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        Service::refuse(sql)?;
        let snapshot = self.live.snapshot().await;
        let planned = snapshot
            .statements
            .plan(
                &snapshot.pg.query_parser(),
                client,
                &pg_compat::rewrite(sql),
                types,
            )
            .await?;
        Ok(planned.statement.as_ref().map(|s| s.statement.clone()))
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.current_parser().get_parameter_types(statement)
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        column_format: Option<&pgwire::api::portal::Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.current_parser()
            .get_result_schema(statement, column_format)
    }
}

/// A simple-protocol query as planned on `snapshot`, when it is a query at all; `None` for
/// other statements and for what does not plan (the engine's own path then reports why).
async fn planned_query<C>(snapshot: &Snapshot, client: &C, sql: &str) -> Option<Arc<Planned>>
where
    C: ClientInfo + Unpin + Send + Sync,
{
    let head = sql.trim_start().trim_start_matches('(');
    let is_query = ["select", "with", "values"].iter().any(|word| {
        head.get(..word.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(word))
    });
    if !is_query {
        return None;
    }
    let parser = snapshot.pg.query_parser();
    snapshot
        .statements
        .plan(&parser, client, sql, &[])
        .await
        .ok()
}

impl GuardedParser {
    /// Describing a parsed statement needs no tables; any snapshot's parser will do.
    fn current_parser(&self) -> Arc<Parser> {
        self.live.current().pg.query_parser()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_commands_are_recognised_alone() {
        assert_eq!(connection_command("DEALLOCATE ALL"), Some("DEALLOCATE"));
        assert_eq!(
            connection_command("deallocate prepare \"_pg3_1\";"),
            Some("DEALLOCATE")
        );
        assert_eq!(
            connection_command("SAVEPOINT \"_pg3_1\""),
            Some("SAVEPOINT")
        );
        assert_eq!(connection_command("RELEASE SAVEPOINT s"), Some("RELEASE"));
        assert_eq!(connection_command("discard all;"), Some("DISCARD ALL"));
        assert_eq!(connection_command("SELECT 1"), None);
        assert_eq!(connection_command("DEALLOCATE a; SELECT 1"), None);
    }

    #[test]
    fn fatal_error_is_a_length_prefixed_packet() {
        let packet = fatal_error("53300", "full");
        assert_eq!(packet[0], b'E');
        let length = u32::from_be_bytes([packet[1], packet[2], packet[3], packet[4]]) as usize;
        assert_eq!(length, packet.len() - 1);
        assert!(packet.windows(4).any(|w| w == b"full"));
    }
}
