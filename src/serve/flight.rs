//! The Arrow Flight SQL server (ADBC, the Flight SQL JDBC and ODBC drivers, DBeaver).
//!
//! This module owns the gRPC side of `fundq serve`: TLS, the connection limit, logging in, and
//! turning Flight SQL commands into statements on the current [`Live`] catalog. What may run and
//! for how long is [`guard`]'s decision and the catalog is [`live`](super::live)'s; nothing here
//! writes.
//!
//! The server keeps no statement state. A statement's ticket and a prepared statement's handle
//! carry the SQL itself (and, once bound, the parameters), so every execution passes the guard
//! again and reads the catalog as it is then; closing a prepared statement has nothing to free.
//!
//! Logging in follows Flight's convention: the handshake carries HTTP Basic credentials and is
//! answered with a bearer token; every call then carries the token (or the credentials again).

use std::collections::{HashSet, VecDeque};
use std::io;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightServiceServer;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, Any, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandPreparedStatementQuery,
    CommandPreparedStatementUpdate, CommandStatementIngest, CommandStatementQuery,
    CommandStatementUpdate, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    SqlSupportedTransaction, TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest,
    HandshakeResponse, IpcMessage, SchemaAsIpc, Ticket,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::SchemaProvider;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{LogicalPlan, TableType};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Value as SqlValue, visit_expressions_mut};
use futures::{Stream, StreamExt, TryStreamExt};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tonic::metadata::{Ascii, MetadataMap, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::Connected;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status, Streaming};

use super::config::{Settings, Tls};
use super::guard;
use super::live::Live;
use crate::error::{Error, Result};

/// Serves Flight SQL on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, live: Arc<Live>, settings: Arc<Settings>) -> Result<()> {
    let address = listener
        .local_addr()
        .map_or_else(|_| "its port".to_string(), |a| a.to_string());
    let gate = Arc::new(Gate::new(settings.clone()));
    let service = FlightSql {
        live,
        settings: settings.clone(),
        gate: gate.clone(),
        sql_info: sql_info()?,
    };
    let calls = InterceptedService::new(FlightServiceServer::new(service), move |request| {
        admit(&gate, request)
    });
    let mut server = Server::builder();
    if let Some(tls) = &settings.tls {
        server = server
            .tls_config(tls_config(tls)?)
            .map_err(|e| Error::Usage(format!("TLS: {}: {}", tls.cert.display(), causes(&e))))?;
    }
    server
        .add_service(calls)
        .serve_with_incoming(connections(listener, settings.max_connections))
        .await
        .map_err(|e| {
            Error::io(
                format!("Flight SQL on {address}"),
                io::Error::other(causes(&e)),
            )
        })
}

/// Reads the PEM certificate chain and private key named in fundq.toml.
fn tls_config(tls: &Tls) -> Result<ServerTlsConfig> {
    let cert = std::fs::read(&tls.cert).map_err(|e| Error::io(&tls.cert, e))?;
    let key = std::fs::read(&tls.key).map_err(|e| Error::io(&tls.key, e))?;
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
}

/// An error with its causes: tonic's own message is only "transport error".
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What the server says about itself (GetSqlInfo; ADBC asks for it when it connects).
fn sql_info() -> Result<SqlInfoData> {
    let mut info = SqlInfoDataBuilder::new();
    info.append(SqlInfo::FlightSqlServerName, "fundq");
    info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    // The Arrow columnar format version (Schema.fbs), not the arrow crate's.
    info.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
    info.append(SqlInfo::FlightSqlServerReadOnly, true);
    info.append(SqlInfo::FlightSqlServerSql, true);
    info.append(SqlInfo::FlightSqlServerSubstrait, false);
    info.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    info.append(SqlInfo::FlightSqlServerCancel, false);
    info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    info.build()
        .map_err(|e| Error::Output(format!("Flight SQL server information: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Connections

/// How long a connection over the limit stays open to be told why before it is closed.
const OVER_LIMIT_GRACE: Duration = Duration::from_secs(5);

/// Whether a connection got one of the `max_connections` places; tonic copies it into every
/// request of the connection, where [`admit`] reads it.
#[derive(Debug, Clone, Copy)]
enum Admission {
    Admitted,
    OverLimit(usize),
}

/// Accepted connections, each holding one of `limit` places until it closes.
///
/// tonic has no connection limit of its own (`concurrency_limit_per_connection` limits calls
/// within one connection). A connection over the limit is still accepted, so that its calls can
/// be answered with a clear RESOURCE_EXHAUSTED instead of a bare reset, and closed soon after.
fn connections(listener: TcpListener, limit: usize) -> impl Stream<Item = io::Result<Connection>> {
    let places = Arc::new(Semaphore::new(limit));
    futures::stream::unfold((listener, places), move |(listener, places)| async move {
        let stream = accept(&listener).await;
        let connection = Connection::new(stream, places.clone().try_acquire_owned().ok(), limit);
        Some((Ok(connection), (listener, places)))
    })
}

async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => return stream,
            Err(e) => {
                eprintln!("fundq serve: flight-sql: accepting a connection failed: {e}");
                // Out of file descriptors, accept fails at once again: do not spin on it.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A client connection and its place among the `max_connections`, given back when it closes.
struct Connection {
    stream: TcpStream,
    _place: Option<OwnedSemaphorePermit>,
    limit: usize,
    /// For a connection over the limit: when to end it.
    hang_up: Option<Pin<Box<Sleep>>>,
}

impl Connection {
    fn new(stream: TcpStream, place: Option<OwnedSemaphorePermit>, limit: usize) -> Connection {
        // Small Flight SQL answers should not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let hang_up = place.is_none().then(|| {
            eprintln!(
                "fundq serve: flight-sql: refused a connection: {limit} are open \
                 (max_connections in fundq.toml)"
            );
            Box::pin(tokio::time::sleep(OVER_LIMIT_GRACE))
        });
        Connection {
            stream,
            _place: place,
            limit,
            hang_up,
        }
    }
}

impl Connected for Connection {
    type ConnectInfo = Admission;

    fn connect_info(&self) -> Admission {
        match self.hang_up {
            None => Admission::Admitted,
            Some(_) => Admission::OverLimit(self.limit),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(hang_up) = this.hang_up.as_mut()
            && hang_up.as_mut().poll(cx).is_ready()
        {
            // The end of input: the HTTP/2 connection ends and the socket is closed.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------------------------
// Logging in

/// Runs before every call, the handshake included: turns away connections over the limit and
/// callers without a login.
fn admit(gate: &Gate, request: Request<()>) -> Result<Request<()>, Status> {
    if let Some(Admission::OverLimit(limit)) = request.extensions().get::<Admission>() {
        return Err(Status::resource_exhausted(format!(
            "too many connections: fundq serve allows {limit} Flight SQL connections \
             (max_connections in fundq.toml); close one and connect again"
        )));
    }
    gate.check(request.metadata())?;
    Ok(request)
}

/// At most this many tokens are remembered; past it the oldest login must log in again.
const MAX_TOKENS: usize = 10_000;

/// Who may call. With users configured, a call must carry HTTP Basic credentials of one of
/// them or a token the handshake gave out; without users, anyone on loopback may.
struct Gate {
    settings: Arc<Settings>,
    tokens: Mutex<Tokens>,
}

impl Gate {
    fn new(settings: Arc<Settings>) -> Gate {
        Gate {
            settings,
            tokens: Mutex::new(Tokens::new(MAX_TOKENS)),
        }
    }

    fn check(&self, metadata: &MetadataMap) -> Result<(), Status> {
        if self.settings.users.is_empty() {
            return Ok(());
        }
        match credentials(metadata)? {
            None => Err(Status::unauthenticated(
                "fundq serve needs a login: log in with user and password \
                 (ADBC: the username and password options)",
            )),
            Some(Credentials::Basic { user, password }) => {
                if self.settings.password_matches(&user, &password) {
                    Ok(())
                } else {
                    Err(Status::unauthenticated(
                        "wrong user name or password; log in with user and password",
                    ))
                }
            }
            Some(Credentials::Bearer(token)) => {
                if self.tokens().contains(&token) {
                    Ok(())
                } else {
                    Err(Status::unauthenticated(
                        "fundq serve does not know this token (the server restarted, or the \
                         login is old); log in with user and password again",
                    ))
                }
            }
        }
    }

    /// A new random token. Without users nothing checks it, but clients expect one.
    fn issue_token(&self) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !self.settings.users.is_empty() {
            self.tokens().insert(token.clone());
        }
        token
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        // The set stays consistent even if a holder panicked: every change is one insert.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The tokens given out, forgetting the oldest once there are `capacity` of them.
struct Tokens {
    capacity: usize,
    known: HashSet<String>,
    order: VecDeque<String>,
}

impl Tokens {
    fn new(capacity: usize) -> Tokens {
        Tokens {
            capacity,
            known: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    fn insert(&mut self, token: String) {
        while self.order.len() >= self.capacity {
            match self.order.pop_front() {
                Some(oldest) => self.known.remove(&oldest),
                None => break,
            };
        }
        self.known.insert(token.clone());
        self.order.push_back(token);
    }

    fn contains(&self, token: &str) -> bool {
        self.known.contains(token)
    }
}

#[derive(Debug, PartialEq)]
enum Credentials {
    Basic { user: String, password: String },
    Bearer(String),
}

fn credentials(metadata: &MetadataMap) -> Result<Option<Credentials>, Status> {
    let Some(value) = metadata.get("authorization") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(parse_authorization)
        .map(Some)
        .ok_or_else(|| {
            Status::unauthenticated(
                "the authorization header must be `Basic` and base64 of user:password, or \
                 `Bearer` and the token from the handshake; log in with user and password",
            )
        })
}

/// An `authorization` header value: `Basic base64(user:password)` or `Bearer token`.
fn parse_authorization(value: &str) -> Option<Credentials> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("Basic") {
        let decoded = String::from_utf8(base64_decode(rest)?).ok()?;
        // A user name cannot contain ':' (RFC 7617); a password can.
        let (user, password) = decoded.split_once(':')?;
        Some(Credentials::Basic {
            user: user.to_string(),
            password: password.to_string(),
        })
    } else if scheme.eq_ignore_ascii_case("Bearer") && !rest.is_empty() {
        Some(Credentials::Bearer(rest.to_string()))
    } else {
        None
    }
}

/// Standard base64 (RFC 4648), with or without the `=` padding: the Go Flight client (and so
/// ADBC) leaves it out, the Rust and Java ones write it.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.trim_end_matches('=');
    // One digit alone carries 6 bits, not a whole byte.
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for digit in digits.bytes() {
        let value = match digit {
            b'A'..=b'Z' => digit - b'A',
            b'a'..=b'z' => digit - b'a' + 26,
            b'0'..=b'9' => digit - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(bytes)
}

// ---------------------------------------------------------------------------------------------
// The Flight SQL service

type Answer<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Flight SQL over the live catalog.
struct FlightSql {
    live: Arc<Live>,
    settings: Arc<Settings>,
    gate: Arc<Gate>,
    sql_info: SqlInfoData,
}

impl FlightSql {
    fn deadline(&self) -> Instant {
        Instant::now() + self.settings.query_timeout
    }

    fn timed_out(&self) -> Status {
        Status::deadline_exceeded(format!(
            "fundq serve stopped the query at its time limit of {} s \
             (query_timeout_secs in fundq.toml)",
            self.settings.query_timeout.as_secs()
        ))
    }

    /// Plans `sql` on the current catalog, once the statement policy allows it.
    async fn plan(&self, sql: &str, deadline: Instant) -> Result<DataFrame, Status> {
        if let Some(why) = guard::refusal(sql) {
            return Err(Status::permission_denied(why));
        }
        let context = self.live.snapshot().await.context;
        match tokio::time::timeout_at(deadline, plan_read_only(&context, sql)).await {
            Ok(planned) => planned.map_err(planning_error),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Plans a prepared statement with the parameters bound to it, if any.
    async fn plan_prepared(&self, handle: &[u8], deadline: Instant) -> Result<DataFrame, Status> {
        let prepared = Prepared::decode(handle)?;
        let frame = self.plan(&prepared.sql, deadline).await?;
        match prepared.parameters {
            Some(row) => frame
                .with_param_values(parameter_values(&row)?)
                .map_err(planning_error),
            None => Ok(frame),
        }
    }

    /// Runs a planned statement and streams its rows until the deadline.
    async fn run(
        &self,
        frame: DataFrame,
        deadline: Instant,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let batches = match tokio::time::timeout_at(deadline, frame.execute_stream()).await {
            Ok(started) => started.map_err(execution_error)?,
            Err(_) => return Err(self.timed_out()),
        };
        let schema = batches.schema();
        let batches = batches.map_err(|e| FlightError::Tonic(Box::new(execution_error(e))));
        let encoded = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .map_err(Status::from)
            .boxed();
        let bounded = guard::until_deadline(encoded, deadline, self.timed_out());
        Ok(Response::new(Box::pin(bounded)))
    }

    async fn context(&self) -> Arc<SessionContext> {
        self.live.snapshot().await.context
    }
}

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn do_handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Answer<HandshakeResponse>>, Status> {
        // `admit` has checked the credentials before any call gets here.
        let token = self.gate.issue_token();
        let header: MetadataValue<Ascii> = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::internal("the login token does not fit in a header"))?;
        let answer = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<Answer<HandshakeResponse>> =
            Response::new(Box::pin(futures::stream::iter([Ok(answer)])));
        // Go clients (and so ADBC) read the token from this header, others from the payload.
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    // Statements

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let frame = self.plan(&query.query, self.deadline()).await?;
        let ticket = TicketStatementQuery {
            statement_handle: query.query.into_bytes().into(),
        };
        let schema = flight_schema(frame.schema().inner().clone());
        flight_info(&ticket, &schema, request)
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let sql = String::from_utf8(ticket.statement_handle.to_vec()).map_err(|_| {
            Status::invalid_argument("this statement ticket was not made by this fundq server")
        })?;
        let deadline = self.deadline();
        let frame = self.plan(&sql, deadline).await?;
        self.run(frame, deadline).await
    }

    // Prepared statements

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        _request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let frame = self.plan(&query.query, self.deadline()).await?;
        let parameters = parameter_schema(frame.logical_plan())?;
        let prepared = Prepared {
            sql: query.query,
            parameters: None,
        };
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: prepared.encode()?.into(),
            dataset_schema: schema_message(&flight_schema(frame.schema().inner().clone()))?.0,
            parameter_schema: schema_message(&parameters)?.0,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        _request: Request<Action>,
    ) -> Result<(), Status> {
        Ok(())
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let prepared = Prepared {
            sql: Prepared::decode(&query.prepared_statement_handle)?.sql,
            parameters: Some(bound_row(request.into_inner()).await?),
        };
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(prepared.encode()?.into()),
        })
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let frame = self
            .plan_prepared(&query.prepared_statement_handle, self.deadline())
            .await?;
        let schema = flight_schema(frame.schema().inner().clone());
        flight_info(&query, &schema, request)
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let deadline = self.deadline();
        let frame = self
            .plan_prepared(&query.prepared_statement_handle, deadline)
            .await?;
        self.run(frame, deadline).await
    }

    // Changes, all refused with the reason

    async fn do_put_statement_update(
        &self,
        command: CommandStatementUpdate,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(update_refused(&command.query))
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(update_refused(
            &Prepared::decode(&query.prepared_statement_handle)?.sql,
        ))
    }

    async fn do_put_statement_ingest(
        &self,
        _command: CommandStatementIngest,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::permission_denied(
            "fundq serve is read-only: bulk ingestion is refused; import data with \
             `fundq import` on the server",
        ))
    }

    // Server information and the catalog

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder(&self.sql_info).schema();
        flight_info(&query, &schema, request)
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let builder = query.into_builder(&self.sql_info);
        Ok(answer(builder.schema(), builder.build()))
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        flight_info(&query, &schema, request)
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let mut builder = query.into_builder();
        for catalog in self.context().await.catalog_names() {
            builder.append(catalog);
        }
        Ok(answer(builder.schema(), builder.build()))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        flight_info(&query, &schema, request)
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let context = self.context().await;
        let mut builder = query.into_builder();
        for (catalog, schema, _) in user_schemas(context.as_ref()) {
            builder.append(catalog, schema);
        }
        Ok(answer(builder.schema(), builder.build()))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        flight_info(&query, &schema, request)
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        // The builder applies the client's catalog, pattern and type filters itself.
        let context = self.context().await;
        let mut builder = query.into_builder();
        for table in listed_tables(context.as_ref()).await {
            builder
                .append(
                    &table.catalog,
                    &table.schema,
                    &table.name,
                    table.kind,
                    &table.columns,
                )
                .map_err(|e| Status::internal(format!("listing table `{}`: {e}", table.name)))?;
        }
        Ok(answer(builder.schema(), builder.build()))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        flight_info(&query, &schema, request)
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Result<Response<Answer<FlightData>>, Status> {
        let mut builder = query.into_builder();
        for kind in [TABLE, VIEW] {
            builder.append(kind);
        }
        Ok(answer(builder.schema(), builder.build()))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// What `SessionContext::sql_with_options` does, with `?` placeholders numbered between parsing
/// and planning.
async fn plan_read_only(
    context: &SessionContext,
    sql: &str,
) -> datafusion::error::Result<DataFrame> {
    let state = context.state();
    let dialect = state.config().options().sql_parser.dialect;
    let mut statement = state.sql_to_statement(sql, &dialect)?;
    number_question_marks(&mut statement);
    let plan = state.statement_to_plan(statement).await?;
    // The guard decides what may run; the engine refusing changes too is a second lock.
    crate::session::read_only().verify_plan(&plan)?;
    context.execute_logical_plan(plan).await
}

/// Flight SQL clients (ADBC, JDBC) write parameters as `?`, and DataFusion reads every `?` as
/// one and the same parameter; numbered `$1`, `$2`, … in the order they appear, they bind by
/// position. `?` inside strings and comments is not a placeholder and stays.
fn number_question_marks(statement: &mut DfStatement) {
    match statement {
        DfStatement::Statement(statement) => {
            let mut count = 0;
            // Expressions are visited children first, left to right: in the order of the text.
            let _ = visit_expressions_mut(statement.as_mut(), |expr| {
                if let SqlExpr::Value(value) = expr
                    && let SqlValue::Placeholder(name) = &mut value.value
                    && name == "?"
                {
                    count += 1;
                    *name = format!("${count}");
                }
                ControlFlow::<()>::Continue(())
            });
        }
        DfStatement::Explain(explain) => number_question_marks(&mut explain.statement),
        _ => {}
    }
}

fn update_refused(sql: &str) -> Status {
    Status::permission_denied(guard::refusal(sql).unwrap_or_else(|| {
        "fundq serve is read-only and changes nothing; run this statement as a query \
         (ADBC: execute, not execute_update)"
            .to_string()
    }))
}

/// A planning error is the statement's fault; running out of memory is the server's limit.
fn planning_error(e: DataFusionError) -> Status {
    engine_error(e, Status::invalid_argument)
}

fn execution_error(e: DataFusionError) -> Status {
    engine_error(e, Status::internal)
}

fn engine_error(e: DataFusionError, otherwise: fn(String) -> Status) -> Status {
    let out_of_memory = matches!(e.find_root(), DataFusionError::ResourcesExhausted(_));
    let message = Error::Query(e).to_string();
    if out_of_memory {
        Status::resource_exhausted(format!(
            "{message}; queries share the memory set by memory_limit_mb in fundq.toml"
        ))
    } else {
        otherwise(message)
    }
}

/// The schema clients receive: the encoder sends dictionary columns (Delta partition values)
/// as plain values, and FlightInfo must say so.
fn flight_schema(schema: SchemaRef) -> SchemaRef {
    FlightDataEncoderBuilder::new()
        .with_schema(schema.clone())
        .build(futures::stream::empty())
        .known_schema()
        .unwrap_or(schema)
}

/// A FlightInfo with one endpoint on this server whose ticket is `command`.
fn flight_info(
    command: &impl ProstMessageExt,
    schema: &Schema,
    request: Request<FlightDescriptor>,
) -> Result<Response<FlightInfo>, Status> {
    let ticket = Ticket::new(encode_any(&command.as_any()));
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(format!("encoding the result schema: {e}")))?
        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
        .with_descriptor(request.into_inner());
    Ok(Response::new(info))
}

/// Protobuf bytes of an `Any` (field 1 the type URL, field 2 the message), written out here
/// because `prost` is not a dependency of fundq of its own.
fn encode_any(any: &Any) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(any.type_url.len() + any.value.len() + 12);
    for (key, field) in [(0x0a, any.type_url.as_bytes()), (0x12, &any.value[..])] {
        bytes.push(key);
        let mut length = field.len() as u64;
        while length >= 0x80 {
            bytes.push((length as u8 & 0x7f) | 0x80);
            length >>= 7;
        }
        bytes.push(length as u8);
        bytes.extend_from_slice(field);
    }
    bytes
}

/// One metadata batch as a DoGet answer.
fn answer(
    schema: SchemaRef,
    batch: arrow_flight::error::Result<RecordBatch>,
) -> Response<Answer<FlightData>> {
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(futures::stream::once(async move { batch }))
        .map_err(Status::from);
    Response::new(Box::pin(stream))
}

/// A schema as Flight SQL messages carry it (an IPC message).
fn schema_message(schema: &Schema) -> Result<IpcMessage, Status> {
    SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e: ArrowError| Status::internal(format!("encoding a schema: {e}")))
}

// Parameters

/// The statement's parameters `$1`, `$2`, … in order, typed where DataFusion can tell.
fn parameter_schema(plan: &LogicalPlan) -> Result<Schema, Status> {
    let mut parameters: Vec<_> = plan
        .get_parameter_types()
        .map_err(planning_error)?
        .into_iter()
        .collect();
    parameters.sort_by_key(|(name, _)| (position(name), name.clone()));
    Ok(Schema::new(
        parameters
            .into_iter()
            .map(|(name, data_type)| Field::new(name, data_type.unwrap_or(DataType::Null), true))
            .collect::<Vec<_>>(),
    ))
}

/// 1 for `$1`; named placeholders sort after numbered ones.
fn position(name: &str) -> usize {
    name.strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The one row of parameters a client sent with DoPut.
async fn bound_row(data: PeekableFlightDataStream) -> Result<RecordBatch, Status> {
    let batches: Vec<RecordBatch> =
        FlightRecordBatchStream::new_from_flight_data(data.map_err(FlightError::from))
            .try_collect()
            .await
            .map_err(|e| {
                Status::invalid_argument(format!("the parameters could not be read: {e}"))
            })?;
    one_row(batches)
}

fn one_row(batches: Vec<RecordBatch>) -> Result<RecordBatch, Status> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows != 1 {
        return Err(Status::invalid_argument(format!(
            "fundq serve binds one row of parameters per query, not {rows}; run the query once \
             per row"
        )));
    }
    batches
        .into_iter()
        .find(|batch| batch.num_rows() == 1)
        .ok_or_else(|| Status::internal("the parameter row went missing"))
}

fn parameter_values(row: &RecordBatch) -> Result<ParamValues, Status> {
    let values = row
        .columns()
        .iter()
        .map(|column| ScalarValue::try_from_array(column, 0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Status::invalid_argument(format!("a parameter value: {}", Error::Query(e))))?;
    Ok(ParamValues::from(values))
}

/// A prepared statement as its handle carries it: the SQL and, once bound, one parameter row.
#[derive(Debug, PartialEq)]
struct Prepared {
    sql: String,
    parameters: Option<RecordBatch>,
}

impl Prepared {
    /// `[length of the SQL: u32, big-endian][SQL][parameter row as an Arrow IPC stream]`, the
    /// last part only once parameters are bound.
    fn encode(&self) -> Result<Vec<u8>, Status> {
        let length = u32::try_from(self.sql.len())
            .map_err(|_| Status::invalid_argument("the statement is longer than 4 GiB"))?;
        let mut handle = length.to_be_bytes().to_vec();
        handle.extend_from_slice(self.sql.as_bytes());
        if let Some(row) = &self.parameters {
            write_ipc(&mut handle, row)
                .map_err(|e| Status::invalid_argument(format!("the parameters: {e}")))?;
        }
        Ok(handle)
    }

    fn decode(handle: &[u8]) -> Result<Prepared, Status> {
        let foreign = || {
            Status::invalid_argument(
                "this prepared statement handle was not made by this fundq server; prepare \
                 the statement again",
            )
        };
        let (length, rest) = handle.split_first_chunk::<4>().ok_or_else(foreign)?;
        let length = usize::try_from(u32::from_be_bytes(*length)).map_err(|_| foreign())?;
        let sql = rest.get(..length).ok_or_else(foreign)?;
        let sql = std::str::from_utf8(sql).map_err(|_| foreign())?.to_string();
        let parameters = match &rest[length..] {
            [] => None,
            ipc => Some(read_ipc(ipc).map_err(|_| foreign())?),
        };
        Ok(Prepared { sql, parameters })
    }
}

fn write_ipc(out: &mut Vec<u8>, batch: &RecordBatch) -> Result<(), ArrowError> {
    let mut writer = StreamWriter::try_new(out, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()
}

fn read_ipc(bytes: &[u8]) -> Result<RecordBatch, ArrowError> {
    StreamReader::try_new(bytes, None)?
        .next()
        .unwrap_or_else(|| Err(ArrowError::IpcError("no parameter row".into())))
}

// The catalog, as ADBC's get_objects and BI tools' navigators ask for it

const TABLE: &str = "TABLE";
const VIEW: &str = "VIEW";

/// Schemas the engine adds for SQL clients. Listed, their dozens of system tables would bury
/// the ledgers and views in every navigator; they stay queryable by name.
const SYSTEM_SCHEMAS: [&str; 2] = ["information_schema", "pg_catalog"];

/// Every schema but the system ones, as (catalog, schema, provider).
fn user_schemas(context: &SessionContext) -> Vec<(String, String, Arc<dyn SchemaProvider>)> {
    let mut schemas = Vec::new();
    for catalog_name in context.catalog_names() {
        let Some(catalog) = context.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            if SYSTEM_SCHEMAS.contains(&schema_name.as_str()) {
                continue;
            }
            if let Some(schema) = catalog.schema(&schema_name) {
                schemas.push((catalog_name.clone(), schema_name, schema));
            }
        }
    }
    schemas
}

struct ListedTable {
    catalog: String,
    schema: String,
    name: String,
    kind: &'static str,
    columns: SchemaRef,
}

async fn listed_tables(context: &SessionContext) -> Vec<ListedTable> {
    let mut tables = Vec::new();
    for (catalog, schema_name, schema) in user_schemas(context) {
        for name in schema.table_names() {
            // A table that cannot be opened is left out here; a query on it says why.
            let Ok(Some(table)) = schema.table(&name).await else {
                continue;
            };
            tables.push(ListedTable {
                catalog: catalog.clone(),
                schema: schema_name.clone(),
                kind: if table.table_type() == TableType::View {
                    VIEW
                } else {
                    TABLE
                },
                columns: flight_schema(table.schema()),
                name,
            });
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};

    #[test]
    fn base64_with_and_without_padding() {
        for (text, expected) in [
            ("dXNlcjpwYXNz", "user:pass"),
            ("YQ==", "a"),
            ("YQ", "a"),
            ("YWI=", "ab"),
            ("YWI", "ab"),
            ("YWJj", "abc"),
            ("", ""),
            ("5byg5LiJOuWvhueggQ", "张三:密码"),
        ] {
            let decoded = base64_decode(text).map(String::from_utf8);
            assert_eq!(decoded, Some(Ok(expected.to_string())), "{text}");
        }
        for broken in ["Y", "YQ!=", "YQ==YQ", "dXNlcj pwYXNz"] {
            assert_eq!(base64_decode(broken), None, "{broken}");
        }
    }

    #[test]
    fn authorization_headers() {
        assert_eq!(
            parse_authorization("Basic dXNlcjpwYXNz"),
            Some(Credentials::Basic {
                user: "user".into(),
                password: "pass".into()
            })
        );
        // "u:p:q": the password keeps its colon.
        assert_eq!(
            parse_authorization("basic dTpwOnE="),
            Some(Credentials::Basic {
                user: "u".into(),
                password: "p:q".into()
            })
        );
        assert_eq!(
            parse_authorization("Bearer abc123"),
            Some(Credentials::Bearer("abc123".into()))
        );
        for broken in [
            "Basic",
            "Basic !!!",
            "Basic dXNlcg==",
            "Bearer ",
            "Digest x",
            "token",
        ] {
            assert_eq!(parse_authorization(broken), None, "{broken}");
        }
    }

    fn settings(users: &[(&str, &str)]) -> Arc<Settings> {
        Arc::new(Settings {
            pg: "127.0.0.1:0".parse().expect("address"),
            flight: "127.0.0.1:0".parse().expect("address"),
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect::<BTreeMap<_, _>>(),
            query_timeout: Duration::from_secs(1),
            memory_limit_bytes: 1 << 20,
            result_cache_bytes: 0,
            max_connections: 1,
            tls: None,
        })
    }

    fn with_authorization(value: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", value.parse().expect("header"));
        metadata
    }

    #[test]
    fn the_gate_wants_a_password_or_a_token_it_gave_out() {
        let gate = Gate::new(settings(&[("user", "pass")]));
        let code = |metadata: &MetadataMap| gate.check(metadata).map_err(|s| s.code());
        assert_eq!(code(&MetadataMap::new()), Err(tonic::Code::Unauthenticated));
        assert_eq!(code(&with_authorization("Basic dXNlcjpwYXNz")), Ok(()));
        // user:wrong
        assert_eq!(
            code(&with_authorization("Basic dXNlcjp3cm9uZw")),
            Err(tonic::Code::Unauthenticated)
        );
        let token = gate.issue_token();
        assert_eq!(
            code(&with_authorization(&format!("Bearer {token}"))),
            Ok(())
        );
        assert_eq!(
            code(&with_authorization("Bearer 0123")),
            Err(tonic::Code::Unauthenticated)
        );
    }

    #[test]
    fn without_users_anyone_may_call() {
        let gate = Gate::new(settings(&[]));
        assert!(gate.check(&MetadataMap::new()).is_ok());
        assert_eq!(gate.issue_token().len(), 64);
    }

    #[test]
    fn the_oldest_token_is_forgotten_first() {
        let mut tokens = Tokens::new(2);
        for token in ["a", "b", "c"] {
            tokens.insert(token.to_string());
        }
        assert!(!tokens.contains("a"));
        assert!(tokens.contains("b") && tokens.contains("c"));
    }

    #[test]
    fn any_is_encoded_as_protobuf() {
        let short = Any {
            type_url: "t".into(),
            value: vec![1, 2].into(),
        };
        assert_eq!(encode_any(&short), [0x0a, 1, b't', 0x12, 2, 1, 2]);
        let long = Any {
            type_url: String::new(),
            value: vec![7; 300].into(),
        };
        assert_eq!(&encode_any(&long)[..5], [0x0a, 0, 0x12, 0xac, 0x02]);
        assert_eq!(encode_any(&long).len(), 5 + 300);
    }

    fn row() -> RecordBatch {
        RecordBatch::try_from_iter([
            ("0", Arc::new(Int64Array::from(vec![2024])) as ArrayRef),
            ("1", Arc::new(StringArray::from(vec!["省本级"])) as ArrayRef),
        ])
        .expect("batch")
    }

    #[test]
    fn handles_carry_the_sql_and_the_bound_row() {
        for prepared in [
            Prepared {
                sql: "SELECT 1".into(),
                parameters: None,
            },
            Prepared {
                sql: "SELECT * FROM budget_execution WHERE year = $1 AND region = $2".into(),
                parameters: Some(row()),
            },
        ] {
            let handle = prepared.encode().expect("encode");
            assert_eq!(Prepared::decode(&handle).expect("decode"), prepared);
        }
        for foreign in [
            &b""[..],
            b"\0\0",
            b"\0\0\0\x09SELECT",
            b"\0\0\0\x01Anot ipc",
        ] {
            let status = Prepared::decode(foreign).expect_err("foreign handle");
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
        }
    }

    #[test]
    fn exactly_one_parameter_row() {
        assert!(one_row(vec![row()]).is_ok());
        assert!(one_row(vec![row().slice(0, 0), row()]).is_ok());
        assert!(one_row(vec![]).is_err());
        assert!(one_row(vec![row(), row()]).is_err());
        let ParamValues::List(values) = parameter_values(&row()).expect("values") else {
            panic!("positional parameters");
        };
        assert_eq!(values[0].value, ScalarValue::Int64(Some(2024)));
    }

    #[tokio::test]
    async fn parameters_are_listed_in_order() {
        let context = SessionContext::new();
        let frame = context
            .sql("SELECT * FROM (VALUES (1, 'a')) t(n, s) WHERE s = $2 AND n = $1")
            .await
            .expect("plan");
        let schema = parameter_schema(frame.logical_plan()).expect("parameters");
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["$1", "$2"]);
    }

    #[tokio::test]
    async fn question_marks_become_numbered_parameters() {
        let context = SessionContext::new();
        let sql = "SELECT n FROM (VALUES (1, 'a?'), (2, 'b')) t(n, s) \
                   WHERE s = ? AND n = ? -- or ?";
        let frame = plan_read_only(&context, sql).await.expect("plan");
        let schema = parameter_schema(frame.logical_plan()).expect("parameters");
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["$1", "$2"]);
        let bound = frame
            .with_param_values(vec![ScalarValue::from("a?"), ScalarValue::Int64(Some(1))])
            .expect("bind");
        let rows: usize = bound
            .collect()
            .await
            .expect("run")
            .iter()
            .map(RecordBatch::num_rows)
            .sum();
        assert_eq!(rows, 1);
    }

    #[tokio::test]
    async fn the_engine_refuses_changes_too() {
        let context = SessionContext::new();
        for sql in [
            "CREATE VIEW v AS SELECT 1",
            "SET datafusion.execution.batch_size = 1",
        ] {
            assert!(plan_read_only(&context, sql).await.is_err(), "{sql}");
        }
        assert!(context.table_exist("v").is_ok_and(|exists| !exists));
    }

    #[test]
    fn out_of_memory_is_resource_exhausted() {
        let status = planning_error(DataFusionError::ResourcesExhausted("x".into()));
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(
            status.message().contains("memory_limit_mb"),
            "{}",
            status.message()
        );
        let status = planning_error(DataFusionError::Plan("no table".into()));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }
}
