//! The client's requests on a session: open, poll, send, and the SSE stream.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::__private::text_response;
use aqueduct_core::{
    Body, BoxWebsocketApp, ClientAddr, CloseCode, CloseFrame, Message, Scope, ScopeKind, Transport,
};
use aqueduct_websocket::Driver;
use bytes::Bytes;
use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt, Limited, StreamBody};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::Instrument;

use super::Config;
use super::io::{Phase, SessionIo, Timing, expiry_timer};
use super::session::{Bounds, Registry, Session, is_well_formed, new_id};
use super::wire;

/// What a transport request asks for, read from its method and query.
pub(crate) enum Ask {
    Open(Transport),
    Poll { session: String, ack: u64 },
    Stream { session: String, ack: Option<u64> },
    Send { session: String },
}

/// A request turned away: its status and why, in plain text.
pub(crate) struct Reject(StatusCode, Cow<'static, str>);

impl Reject {
    fn bad(why: &'static str) -> Self {
        Self(StatusCode::BAD_REQUEST, why.into())
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        let Self(status, why) = self;
        tracing::debug!(status = status.as_u16(), %why, "transport request turned away");
        let mut response = text_response(status, why.into_owned());
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        }
        response
    }
}

/// Reads a transport request, or says what is wrong with it.
pub(crate) fn ask<B>(request: &Request<B>, transport: Transport) -> Result<Ask, Reject> {
    let mut session = None;
    let mut ack = None;
    for (name, value) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        match &*name {
            "session" => session = Some(value.into_owned()),
            "ack" => {
                let parsed = value.parse::<u64>();
                ack = Some(parsed.map_err(|_| {
                    Reject::bad("`ack` is the number of the last message received")
                })?);
            }
            _ => {}
        }
    }
    let Some(session) = session else {
        return match *request.method() {
            http::Method::POST => Ok(Ask::Open(transport)),
            _ => Err(Reject::bad(
                "no `session`: open one with a POST to this URL first",
            )),
        };
    };
    if !is_well_formed(&session) {
        return Err(Reject::bad("`session` is not a session id"));
    }
    match (request.method(), transport) {
        (&http::Method::POST, _) => Ok(Ask::Send { session }),
        (&http::Method::GET, Transport::ServerSentEvents) => {
            let last_event_id = request
                .headers()
                .get("last-event-id")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok());
            Ok(Ask::Stream {
                session,
                ack: ack.or(last_event_id),
            })
        }
        (&http::Method::GET, _) => Ok(Ask::Poll {
            session,
            ack: ack.unwrap_or(0),
        }),
        _ => Err(Reject(
            StatusCode::METHOD_NOT_ALLOWED,
            "a transport takes GET to receive and POST to open and send".into(),
        )),
    }
}

pub(crate) fn bad_request(why: &'static str) -> Response<Body> {
    Reject::bad(why).into_response()
}

fn not_found() -> Response<Body> {
    text_response(
        StatusCode::NOT_FOUND,
        "no such session: it ended, expired, or never was; open a new one",
    )
}

/// Every POST is JSON: a page on another site cannot send that without
/// the browser asking this server first (a CORS preflight), so a forged
/// form cannot open a session with the user's cookies.
fn check_json<B>(request: &Request<B>) -> Result<(), Reject> {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if json {
        Ok(())
    } else {
        Err(Reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "transport requests send `Content-Type: application/json`".into(),
        ))
    }
}

async fn read_json<T: serde::de::DeserializeOwned + Default>(
    body: Body,
    limit: usize,
) -> Result<T, Reject> {
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return Err(Reject(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large".into(),
            ));
        }
        Err(_) => return Err(Reject::bad("the request body could not be read")),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|err| {
        Reject(
            StatusCode::BAD_REQUEST,
            format!("bad JSON body: {err}").into(),
        )
    })
}

/// Opens a session: runs the application on it and answers with what its
/// `connect` decides.
pub(crate) async fn open(
    request: Request<Body>,
    transport: Transport,
    config: Arc<Config>,
    registry: Arc<Registry>,
    driver: Driver,
    app: BoxWebsocketApp,
) -> Response<Body> {
    if let Err(reject) = check_json(&request) {
        return reject.into_response();
    }
    let (parts, body) = request.into_parts();
    let open: wire::Open = match read_json(body, 64 * 1024).await {
        Ok(open) => open,
        Err(reject) => return reject.into_response(),
    };
    registry.sweep(config.session_timeout);

    let limits = driver.limits();
    let bounds = Bounds {
        max_queued: config.max_queued,
        max_queued_bytes: config.max_queued_bytes,
        max_inbound: config.max_inbound,
    };
    let session = Arc::new(Session::new(limits.get_message_rate(), bounds));
    let id: Arc<str> = new_id().into();
    if !registry.insert(id.to_string(), session.clone(), config.max_sessions) {
        tracing::warn!(
            max = config.max_sessions,
            "too many transport sessions; refusing with 503"
        );
        return text_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many sessions are open; try again later",
        );
    }

    let scope = scope_for(&parts, transport, open.subprotocols);
    let span = tracing::info_span!(
        "session",
        transport = %transport,
        path = %scope.path(),
        client = scope.client().map(tracing::field::display),
        channel = tracing::field::Empty,
    );
    let timing = Timing {
        poll_timeout: config.poll_timeout,
        session_timeout: config.session_timeout,
        write_timeout: limits.get_write_timeout(),
    };
    let (respond, decision) = oneshot::channel();
    let watch = driver.clone();
    let io = SessionIo {
        id,
        session,
        registry,
        phase: Phase::Opening {
            connect_reported: false,
            respond,
        },
        timing,
        shutdown: Box::pin(async move { watch.shutdown_started().await }),
        expiry: expiry_timer(timing),
    };
    let handshake_timeout = limits.get_handshake_timeout();
    driver.spawn(async move { app.call(scope, Box::new(io)).await }.instrument(span.clone()));
    async move {
        match tokio::time::timeout(handshake_timeout, decision).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                tracing::error!("application ended without answering the open");
                text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Err(_) => {
                tracing::warn!(timeout = ?handshake_timeout, "connect neither accepted nor denied in time");
                text_response(StatusCode::SERVICE_UNAVAILABLE, "the open timed out")
            }
        }
    }
    .instrument(span)
    .await
}

/// The scope of a session: the open request's, as a WebSocket's would be,
/// without the transport's own query parameter.
fn scope_for(parts: &Parts, transport: Transport, subprotocols: Vec<String>) -> Scope {
    let mut parts = parts.clone();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .filter(|(name, _)| name != "transport")
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
    let mut path_and_query = parts.uri.path().to_owned();
    if !query.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish(),
        );
    }
    let mut uri = parts.uri.clone().into_parts();
    uri.path_and_query = path_and_query.parse().ok();
    if let Ok(rebuilt) = Uri::from_parts(uri) {
        parts.uri = rebuilt;
    }
    let client = parts.extensions.get::<ClientAddr>().map(|addr| addr.0);
    let mut scope =
        Scope::from_request_parts(ScopeKind::Websocket, &parts).with_addrs(client, None);
    scope.set_transport(transport);
    *scope.subprotocols_mut() = subprotocols;
    scope
}

/// Marks the current receiving request as gone when it ends, however it
/// ends: answered, or dropped with its connection.
struct Receiving {
    session: Arc<Session>,
    generation: u64,
}

impl Receiving {
    fn start(session: Arc<Session>) -> Self {
        let generation = {
            let mut state = session.lock();
            state.receiver += 1;
            state.receiving = true;
            state.receiver
        };
        // A request waiting already is replaced by this one.
        session.to_client.notify_waiters();
        Self {
            session,
            generation,
        }
    }

    fn is_current(&self) -> bool {
        self.session.lock().receiver == self.generation
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        let mut state = self.session.lock();
        if state.receiver == self.generation {
            state.receiving = false;
            state.last_seen = Instant::now();
        }
    }
}

/// What a receiving request found once it acknowledged what it had.
enum Acked {
    /// The client acknowledged what it never got.
    Bad(&'static str),
    /// Items the client never got were forgotten (written to an SSE stream
    /// that broke): the session ends with 4013.
    Missed,
    Fine,
}

fn acknowledge(session: &Session, ack: u64) -> Acked {
    let mut state = session.lock();
    if ack > state.last_seq() {
        return Acked::Bad("`ack` is past the last message sent");
    }
    if ack < state.forgotten_through {
        state.items.clear();
        state.queued_bytes = 0;
        state.close_queued = false;
        state.forgotten_through = ack;
        state.next_seq = ack + 1;
        state.close_for_client(
            CloseFrame::new(CloseCode::MISSED_MESSAGES).with_reason("missed messages"),
        );
        return Acked::Missed;
    }
    if state.forget_through(ack) > 0 {
        drop(state);
        session.outbound_space.notify_waiters();
    }
    Acked::Fine
}

/// Answers a poll: what is queued past `ack`, at once, or whatever comes
/// within the poll timeout.
pub(crate) async fn poll(
    session_id: &str,
    ack: u64,
    config: &Config,
    registry: &Registry,
) -> Response<Body> {
    let Some(session) = registry.get(session_id) else {
        return not_found();
    };
    match acknowledge(&session, ack) {
        Acked::Bad(why) => return bad_request(why),
        Acked::Missed | Acked::Fine => {}
    }
    {
        let state = session.lock();
        if state.is_gone() {
            drop(state);
            registry.remove(session_id);
            return if ack > 0 {
                json(wire::polled([].iter()))
            } else {
                not_found()
            };
        }
    }
    let receiving = Receiving::start(session.clone());
    let deadline = Instant::now() + config.poll_timeout;
    loop {
        let notified = session.to_client.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !receiving.is_current() {
            return text_response(StatusCode::CONFLICT, "a newer poll took this one's place");
        }
        {
            let state = session.lock();
            if !state.items.is_empty() {
                return json(wire::polled(state.items.iter()));
            }
            if state.is_gone() {
                return not_found();
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return json(wire::polled([].iter()));
        }
    }
}

fn json(body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Answers an SSE request: a stream of what the session sends, each item
/// forgotten once written, with a comment line now and then so proxies
/// keep an idle stream open.
pub(crate) fn stream(
    session_id: &str,
    ack: Option<u64>,
    config: &Config,
    registry: &Registry,
) -> Response<Body> {
    let Some(session) = registry.get(session_id) else {
        return not_found();
    };
    // A stream that resumes says what it has; a new one has what was
    // forgotten already, which is nothing unless it polled before.
    let ack = ack.unwrap_or_else(|| session.lock().forgotten_through);
    match acknowledge(&session, ack) {
        Acked::Bad(why) => return bad_request(why),
        Acked::Missed | Acked::Fine => {}
    }
    if session.lock().is_gone() {
        registry.remove(session_id);
        return not_found();
    }
    let receiving = Receiving::start(session);
    let keep_alive = config.keep_alive;
    let events = futures_util::stream::unfold(Some(receiving), move |receiving| async move {
        let receiving = receiving?;
        let chunk = next_events(&receiving, keep_alive).await?;
        let done = chunk.1;
        Some((
            Ok::<_, Infallible>(http_body::Frame::data(chunk.0)),
            (!done).then_some(receiving),
        ))
    });
    let mut response = Response::new(Body::new(StreamBody::new(events.boxed())));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx buffers responses unless told not to, which would hold events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The next chunk of an SSE stream, and whether it is the last; `None`
/// ends the stream at once.
async fn next_events(receiving: &Receiving, keep_alive: Duration) -> Option<(Bytes, bool)> {
    let session = &receiving.session;
    loop {
        let notified = session.to_client.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !receiving.is_current() {
            return None;
        }
        {
            let mut state = session.lock();
            if !state.items.is_empty() {
                let mut out = Vec::new();
                let mut last = 0;
                let mut closed = false;
                for item in &state.items {
                    item.write_sse(&mut out);
                    last = item.seq;
                    closed |= item.is_close();
                }
                state.forget_through(last);
                drop(state);
                session.outbound_space.notify_waiters();
                return Some((out.into(), closed));
            }
            if state.is_gone() {
                return None;
            }
        }
        if tokio::time::timeout(keep_alive, notified).await.is_err() {
            return Some((Bytes::from_static(b": keep-alive\n\n"), false));
        }
    }
}

/// Takes messages (and perhaps a close) from the client.
pub(crate) async fn send(
    request: Request<Body>,
    session_id: &str,
    registry: &Registry,
    driver: &Driver,
) -> Response<Body> {
    if let Err(reject) = check_json(&request) {
        return reject.into_response();
    }
    let limits = driver.limits();
    let max_message = limits.get_max_message_size();
    // Base64 makes binary a third larger; JSON escapes make text larger.
    let limit = max_message.saturating_mul(2).saturating_add(64 * 1024);
    let sent: wire::Send = match read_json::<Option<wire::Send>>(request.into_body(), limit).await {
        Ok(Some(sent)) => sent,
        Ok(None) => return bad_request("a send has a JSON body with `seq`"),
        Err(reject) => return reject.into_response(),
    };
    let Some(session) = registry.get(session_id) else {
        return not_found();
    };
    let mut messages = Vec::with_capacity(sent.messages.len());
    for message in sent.messages {
        match message.into_message() {
            Ok(message) => messages.push(message),
            Err(why) => return bad_request(why),
        }
    }
    if sent.seq == 0 {
        return bad_request("client messages are numbered from 1");
    }
    let write_timeout = limits.get_write_timeout();
    for (number, message) in (sent.seq..).zip(messages) {
        match deliver(&session, number, message, max_message, write_timeout).await {
            Delivered::Yes | Delivered::Again => {}
            Delivered::Over => return no_content(),
            Delivered::Gone => return not_found(),
            Delivered::Gap => return bad_request("a message number was skipped"),
            Delivered::Busy => {
                return text_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the application is not keeping up; send again",
                );
            }
        }
    }
    if let Some(close) = sent.close {
        let code = CloseCode::new(close.code);
        let mut state = session.lock();
        if state.client_close.is_none() {
            tracing::info!(code = code.as_u16(), "client closed the session");
            state.client_close = Some(code);
            state.wake_consumer();
        }
    }
    no_content()
}

fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

enum Delivered {
    Yes,
    /// A message the session has already (a retried send).
    Again,
    /// The message broke a limit: the session is closing.
    Over,
    Gone,
    Gap,
    Busy,
}

/// Hands the client's message `number` to the consumer, waiting a while
/// for room if the consumer is behind.
async fn deliver(
    session: &Session,
    number: u64,
    message: Message,
    max_message: usize,
    wait: Duration,
) -> Delivered {
    let deadline = Instant::now() + wait;
    loop {
        let space = session.inbound_space.notified();
        tokio::pin!(space);
        space.as_mut().enable();
        {
            let mut state = session.lock();
            if state.ended || state.client_close.is_some() {
                return Delivered::Gone;
            }
            if number <= state.received {
                return Delivered::Again;
            }
            if number != state.received + 1 {
                return Delivered::Gap;
            }
            if wire::message_size(&message) > max_message {
                tracing::warn!(
                    code = 1009,
                    reason = "message too big",
                    "closing: bad input from client"
                );
                state.close_for_client(
                    CloseFrame::new(CloseCode::MESSAGE_TOO_BIG).with_reason("message too big"),
                );
                drop(state);
                session.to_client.notify_waiters();
                return Delivered::Over;
            }
            if state.inbound.len() < state.bounds.max_inbound {
                if let Some(rate) = state.over_rate() {
                    tracing::warn!(%rate, "closing: client sent messages too fast");
                    state.close_for_client(
                        CloseFrame::new(CloseCode::POLICY_VIOLATION)
                            .with_reason(format!("sent messages faster than {rate}")),
                    );
                    drop(state);
                    session.to_client.notify_waiters();
                    return Delivered::Over;
                }
                state.received = number;
                state.inbound.push_back(message);
                state.wake_consumer();
                return Delivered::Yes;
            }
        }
        if tokio::time::timeout_at(deadline, space).await.is_err() {
            return Delivered::Busy;
        }
    }
}
