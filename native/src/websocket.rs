//! The WebSocket listener (`websocket-port`, `websocket-bind`): serves the
//! dashboard's files over plain HTTP and, at `/replication`, upgrades to a
//! WebSocket whose binary frames carry the bytes a TCP replica exchanges
//! with its master. The engine sees a browser replica
//! ([`vitrine_core::engine::browser`]); this module only checks who may
//! connect and moves bytes between frames and the engine's buffers.
//!
//! What a connection goes through:
//! 1. the cap: past `websocket-maxclients` open connections on this
//!    listener, `503` (page loads count too: every connection holds
//!    memory, and the cap keeps tabs from taking all of `maxclients`);
//! 2. the request head, at most [`MAX_HEAD`] bytes within
//!    [`HEAD_TIMEOUT`], else `431`/closed;
//! 3. `GET` of a dashboard file ([`crate::dashboard::file`]): `200`, or
//!    `404`; then closed;
//! 4. `GET /replication` with a WebSocket upgrade: the `Origin` check
//!    (`403`), then `101` and frames. Inbound frames and messages are
//!    limited to [`MAX_INBOUND`] bytes: a replica only sends short
//!    commands. Text frames, oversized frames and protocol errors close
//!    the connection with a close frame saying why.
//!
//! Output follows the socket's pace: a chunk of at most [`MAX_OUTBOUND`]
//! bytes leaves the engine's buffer only when the WebSocket has written
//! what it held (it holds a few hundred KiB at most), so a slow
//! tab's backlog stays in the engine, where the replica output-buffer
//! limit sees it and cuts the tab off. One task per connection does both
//! directions, as for TCP clients.
//!
//! Frames are paced: a frame gathers up to [`MAX_OUTBOUND`] bytes, and
//! one shorter than [`PACED_BELOW`] leaves no sooner than
//! [`FRAME_INTERVAL`] after the previous frame, gathering what comes
//! meanwhile. A browser pays tens of microseconds for each message (the
//! event, its buffer, the call into the module) whatever its size, so a
//! master taking 10,000 separate writes a second would otherwise spend
//! most of a tab's main thread on message overhead and let it fall behind
//! at the first hiccup. A write after a quiet spell leaves at once; under
//! load the writes of one interval share a frame, adding at most that
//! interval to their delay. A snapshot arrives from the child's pipe as
//! 64 KiB and then a few bytes: its frames leave at once, and the few
//! bytes join the next 64 KiB instead of making a message of their own
//! (they were a quarter of a full sync's messages).

use crate::server::listeners::{Listeners, Spawner};
use crate::server::{now_ms, Shared};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use vitrine_core::config::Id;
use vitrine_core::engine::client::ConnInfo;
use vitrine_core::engine::{ClientHandle, CloseState, Engine};

/// Longest HTTP request head accepted.
pub const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest inbound frame and message: a replica sends `REPLCONF ACK`s and
/// the handshake, never data.
pub const MAX_INBOUND: usize = 64 * 1024;
/// Largest outbound frame: the snapshot and the stream go in chunks of at
/// most this, so a tab parses as bytes arrive.
pub const MAX_OUTBOUND: usize = 64 * 1024;
/// Shortest time between a frame under [`PACED_BELOW`] bytes and the next
/// (see the module's doc).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(1);
/// Frames this large carry bulk (a snapshot as the child produces it, a
/// backlog, a flood) and are followed at once; smaller ones are paced.
pub const PACED_BELOW: usize = 16 * 1024;
/// Time a closing connection has to take its last frames and the close
/// frame; a peer that stops reading is then dropped, freeing its slot.
const CLOSE_GRACE: Duration = Duration::from_secs(10);

/// Binds the WebSocket listener when `websocket-port` is set (`None` when
/// it is off); [`Listeners::close`] stops it.
pub fn listen(shared: &Rc<Shared>) -> Result<Option<Listeners>, String> {
    let (binds, port, backlog, requirepass_only) = {
        let engine = shared.engine.borrow();
        let config = engine.config();
        (
            config.words(Id::WebsocketBind).to_vec(),
            config.int(Id::WebsocketPort) as u16,
            config.int(Id::TcpBacklog) as i32,
            config.hot().requirepass.is_some() && config.text(Id::WebsocketRequirepass).is_empty(),
        )
    };
    if port == 0 {
        return Ok(None);
    }
    let open = Rc::new(Cell::new(0usize));
    let task_shared = shared.clone();
    let spawner: Spawner =
        Rc::new(move |listener| tokio::task::spawn_local(accept_loop(task_shared.clone(), open.clone(), listener)));
    let mut listeners = Listeners::new(spawner);
    listeners.rebind(&binds, port, backlog)?;
    if requirepass_only {
        crate::warning!(
            "WARNING: websocket-requirepass is not set: browser replicas read every key without a password (requirepass does not apply to them)."
        );
    }
    crate::notice!("Ready to accept WebSocket connections on port {}", port);
    Ok(Some(listeners))
}

/// Counts an open connection for as long as it lives.
struct OpenGuard(Rc<Cell<usize>>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

async fn accept_loop(shared: Rc<Shared>, open: Rc<Cell<usize>>, listener: std::net::TcpListener) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                open.set(open.get() + 1);
                let guard = OpenGuard(open.clone());
                tokio::task::spawn_local(serve(shared.clone(), stream, guard));
            }
            Err(error) => {
                crate::warning!("Accepting WebSocket connection: {}", crate::config::os_error(&error));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// What the request head asks for.
struct Request {
    method: String,
    path: String,
    host: Option<String>,
    origin: Option<String>,
    upgrade: bool,
    key: Option<String>,
    version_13: bool,
    if_none_match: Option<String>,
}

/// Parses a complete head; `Err` is the status to answer with.
fn parse_head(head: &[u8]) -> Result<Option<(Request, usize)>, u16> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let length = match parsed.parse(head) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(_) => return Err(400),
    };
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let path = parsed.path.unwrap_or("/");
    let request = Request {
        method: parsed.method.unwrap_or("").to_string(),
        path: path.split('?').next().unwrap_or("/").to_string(),
        host: header("host"),
        origin: header("origin"),
        upgrade: has_token("upgrade", "websocket") && has_token("connection", "upgrade"),
        key: header("sec-websocket-key"),
        version_13: header("sec-websocket-version").as_deref() == Some("13"),
        if_none_match: header("if-none-match"),
    };
    Ok(Some((request, length)))
}

/// Whether a page from `origin` may open a replication link: requests
/// without `Origin` (not from a browser) may; a page may when its origin
/// is the server's own (its `host:port` is the `Host` the request came to:
/// the dashboard this listener served), or is listed in
/// `websocket-allowed-origins` (`*` allows any).
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// Writes a complete HTTP response and closes the connection. Every
/// response is revalidated (`no-cache`); a file's carries its `ETag`. The
/// answer to a `HEAD` (`head_only`) is the same without the body.
async fn respond(
    mut stream: TcpStream,
    status: u16,
    content_type: &str,
    etag: Option<&str>,
    body: &[u8],
    head_only: bool,
) {
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    // A 304 has no body, and says nothing of one.
    let mut head = if status == 304 {
        format!("HTTP/1.1 {status} {reason}\r\nCache-Control: no-cache\r\nConnection: close\r\n")
    } else {
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
            body.len()
        )
    };
    if status == 426 {
        head.push_str("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
    }
    if status == 405 {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    if let Some(etag) = etag {
        head.push_str(&format!("ETag: {etag}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    if !head_only {
        let _ = stream.write_all(body).await;
    }
    let _ = stream.shutdown().await;
}

/// Whether an `If-None-Match` header names `etag` (or is `*`): the
/// browser's copy is current.
fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|tags| {
        tags.split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag == etag)
    })
}

/// Answers an error status with a one-line text body (not sent to a
/// `HEAD`).
async fn refuse(stream: TcpStream, status: u16, why: &str, head_only: bool) {
    crate::verbose!("WebSocket listener: {} ({})", status, why);
    respond(
        stream,
        status,
        "text/plain; charset=utf-8",
        None,
        format!("{why}\n").as_bytes(),
        head_only,
    )
    .await;
}

/// Reads the request head: the parsed request and the bytes after it.
async fn read_head(stream: &mut TcpStream) -> Result<(Request, Vec<u8>), Option<u16>> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = match tokio::time::timeout(HEAD_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(None),
            Ok(Ok(n)) => n,
        };
        buffer.extend_from_slice(&chunk[..n]);
        match parse_head(&buffer) {
            Ok(Some((request, length))) => return Ok((request, buffer.split_off(length))),
            Ok(None) if buffer.len() >= MAX_HEAD => return Err(Some(431)),
            Ok(None) => {}
            Err(status) => return Err(Some(status)),
        }
    }
}

async fn serve(shared: Rc<Shared>, mut stream: TcpStream, guard: OpenGuard) {
    let (cap, allowed) = {
        let engine = shared.engine.borrow();
        let config = engine.config();
        (
            config.int(Id::WebsocketMaxclients).max(1) as usize,
            config.words(Id::WebsocketAllowedOrigins).to_vec(),
        )
    };
    if guard.0.get() > cap {
        return refuse(
            stream,
            503,
            "too many WebSocket connections (websocket-maxclients)",
            false,
        )
        .await;
    }
    let (request, rest) = match read_head(&mut stream).await {
        Ok(parts) => parts,
        Err(Some(status)) => return refuse(stream, status, "bad request head", false).await,
        Err(None) => return,
    };
    // Every server answers HEAD as it answers GET (RFC 9110, 9.1).
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        return refuse(stream, 405, "only GET and HEAD are served", false).await;
    }
    if request.path != "/replication" {
        return match crate::dashboard::file(&request.path) {
            Some(file) if etag_matches(request.if_none_match.as_deref(), file.etag) => {
                respond(stream, 304, "", Some(file.etag), b"", true).await
            }
            Some(file) => respond(stream, 200, file.content_type, Some(file.etag), file.bytes, head_only).await,
            None => refuse(stream, 404, "not found", head_only).await,
        };
    }
    let (true, true, Some(key), false) = (request.upgrade, request.version_13, request.key.as_deref(), head_only)
    else {
        return refuse(
            stream,
            426,
            "/replication is a WebSocket (version 13) endpoint",
            head_only,
        )
        .await;
    };
    if !origin_allowed(request.origin.as_deref(), request.host.as_deref(), &allowed) {
        let origin = request.origin.as_deref().unwrap_or("");
        crate::warning!(
            "WebSocket connection from origin {} refused: not in websocket-allowed-origins",
            origin
        );
        return refuse(stream, 403, "origin not allowed (websocket-allowed-origins)", false).await;
    }
    let accept = derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(response.as_bytes()).await.is_err() {
        return;
    }
    let conn = connection_info(&stream);
    let limits = WebSocketConfig::default()
        .max_frame_size(Some(MAX_INBOUND))
        .max_message_size(Some(MAX_INBOUND));
    let ws = WebSocketStream::from_partially_read(stream, rest, Role::Server, Some(limits)).await;
    replicate(shared, ws, conn).await;
    drop(guard);
}

fn connection_info(stream: &TcpStream) -> ConnInfo {
    let peer = stream.peer_addr().ok();
    ConnInfo {
        addr: peer.map(|p| p.to_string()).unwrap_or_default(),
        laddr: stream.local_addr().map(|l| l.to_string()).unwrap_or_default(),
        fd: std::os::fd::AsRawFd::as_raw_fd(stream) as i64,
        is_local: peer.is_some_and(|p| p.ip().is_loopback()),
        unix_socket: false,
    }
}

fn close_frame(code: CloseCode, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The writing half of a browser replica's WebSocket.
type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;
/// The reading half.
type Frames = SplitStream<WebSocketStream<TcpStream>>;

/// Runs one browser replica: frames in to the engine, the engine's output
/// out in frames, until either side closes.
async fn replicate(shared: Rc<Shared>, ws: WebSocketStream<TcpStream>, conn: ConnInfo) {
    let (mut sink, mut frames) = ws.split();
    let accepted = shared.engine.borrow_mut().connect_browser(conn.clone(), now_ms());
    let handle = match accepted {
        Ok(handle) => handle,
        Err(refusal) => {
            let refusal = Message::Binary(refusal.to_vec().into());
            close(sink, Some(refusal), close_frame(CloseCode::Policy, "refused")).await;
            return;
        }
    };
    let notify = Rc::new(Notify::new());
    shared.tasks.borrow_mut().insert(handle.id, notify.clone());
    crate::verbose!("Accepted browser replica {}", conn.addr);
    let ending = pump(&shared, handle, &notify, &mut sink, &mut frames).await;
    shared.tasks.borrow_mut().remove(&handle.id);
    shared.engine.borrow_mut().disconnect(handle);
    shared.after_engine_call();
    if let Ending::Flush(frame) = ending {
        close(sink, None, frame).await;
    }
}

/// Sends `last` (if any) and the close frame `frame`, waiting at most
/// [`CLOSE_GRACE`] for a peer that does not read.
async fn close(mut sink: Sink, last: Option<Message>, frame: Message) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        if let Some(last) = last {
            sink.feed(last).await?;
        }
        sink.send(frame).await?;
        sink.close().await
    })
    .await;
}

/// How a connection ends.
enum Ending {
    /// Drop the connection (the engine closed the client at once, or the
    /// socket failed).
    Now,
    /// Send what the WebSocket holds, then this close frame.
    Flush(Message),
}

async fn pump(shared: &Shared, handle: ClientHandle, notify: &Notify, sink: &mut Sink, frames: &mut Frames) -> Ending {
    // Frames handed to the WebSocket and not flushed yet.
    let mut unflushed = false;
    // The next frame, gathered from the engine's output (at most
    // MAX_OUTBOUND bytes, so a slow tab's backlog stays in the engine).
    let mut pending: Vec<u8> = Vec::new();
    // When a short frame may leave (see FRAME_INTERVAL).
    let mut next_short = Instant::now();
    loop {
        let state = {
            let mut engine = shared.engine.borrow_mut();
            gather(&mut engine, handle, &mut pending);
            engine.close_state(handle)
        };
        let hold = !pending.is_empty() && pending.len() < PACED_BELOW && Instant::now() < next_short;
        let send = !pending.is_empty() && !hold;
        match state {
            CloseState::Now => return Ending::Now,
            CloseState::AfterFlush if pending.is_empty() => {
                return Ending::Flush(close_frame(CloseCode::Normal, ""));
            }
            _ => {}
        }
        // Each branch's future can be dropped unfinished without losing
        // bytes: readiness and flushing keep their state in the WebSocket,
        // and the gathered frame stays here until the WebSocket takes it.
        tokio::select! {
            biased;
            _ = notify.notified() => {}
            _ = tokio::time::sleep_until(next_short), if hold => {}
            // With a frame to send: wait until the WebSocket takes it;
            // otherwise: until it wrote what it holds.
            writable = std::future::poll_fn(|cx| if send {
                sink.poll_ready_unpin(cx)
            } else {
                sink.poll_flush_unpin(cx)
            }), if send || unflushed => {
                if writable.is_err() {
                    return Ending::Now;
                }
                unflushed = send;
                if send {
                    let chunk = core::mem::take(&mut pending);
                    next_short = Instant::now() + FRAME_INTERVAL;
                    let net = &shared.net;
                    net.output_bytes.set(net.output_bytes.get() + chunk.len() as u64);
                    net.writes.set(net.writes.get() + 1);
                    if sink.start_send_unpin(Message::Binary(chunk.into())).is_err() {
                        return Ending::Now;
                    }
                }
            }
            frame = frames.next() => match frame {
                Some(Ok(Message::Binary(bytes))) => {
                    let mut engine = shared.engine.borrow_mut();
                    let Some(buffer) = engine.input_buffer(handle) else {
                        return Ending::Now;
                    };
                    buffer.extend_from_slice(&bytes);
                    engine.process_input(handle, now_ms());
                    drop(engine);
                    let net = &shared.net;
                    net.input_bytes.set(net.input_bytes.get() + bytes.len() as u64);
                    net.reads.set(net.reads.get() + 1);
                    shared.after_engine_call();
                }
                // Pings are answered by tungstenite itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Text(_))) => {
                    return Ending::Flush(close_frame(CloseCode::Unsupported, "binary frames only"));
                }
                Some(Ok(Message::Close(_))) | None => return Ending::Flush(close_frame(CloseCode::Normal, "")),
                Some(Err(WsError::Capacity(error))) => {
                    crate::verbose!("Closing browser replica: {}", error);
                    return Ending::Flush(close_frame(CloseCode::Size, "frame too large"));
                }
                Some(Err(error)) => {
                    crate::verbose!("Closing browser replica: {}", error);
                    return Ending::Now;
                }
            },
        }
    }
}

/// Moves `handle`'s output into `frame` until it holds [`MAX_OUTBOUND`]
/// bytes, gathering the engine's pieces (replies, snapshot, stream
/// blocks) as they come.
fn gather(engine: &mut Engine, handle: ClientHandle, frame: &mut Vec<u8>) {
    loop {
        let output = engine.output(handle);
        let room = MAX_OUTBOUND - frame.len();
        if output.is_empty() || room == 0 {
            return;
        }
        let take = output.len().min(room);
        frame.extend_from_slice(&output[..take]);
        engine.consume_output(handle, take);
    }
}

#[cfg(test)]
mod tests {
    use super::{etag_matches, origin_allowed};

    #[test]
    fn etags() {
        let tag = "\"00ff\"";
        assert!(etag_matches(Some("\"00ff\""), tag));
        assert!(etag_matches(Some("\"1\", W/\"00ff\""), tag));
        assert!(etag_matches(Some("*"), tag));
        assert!(!etag_matches(Some("\"00fe\""), tag));
        assert!(!etag_matches(Some("00ff"), tag));
        assert!(!etag_matches(None, tag));
    }

    #[test]
    fn origins() {
        let none: Vec<String> = Vec::new();
        assert!(origin_allowed(None, Some("h:1"), &none));
        assert!(origin_allowed(Some("http://h:1"), Some("h:1"), &none));
        assert!(origin_allowed(Some("https://H:1"), Some("h:1"), &none));
        assert!(!origin_allowed(Some("http://evil:1"), Some("h:1"), &none));
        assert!(!origin_allowed(Some("null"), Some("h:1"), &none));
        assert!(!origin_allowed(Some("http://h:1"), None, &none));
        let listed = vec!["https://app.example".to_string()];
        assert!(origin_allowed(Some("https://app.example"), Some("h:1"), &listed));
        assert!(!origin_allowed(Some("https://other.example"), Some("h:1"), &listed));
        assert!(origin_allowed(Some("https://x"), Some("h:1"), &["*".to_string()]));
    }
}
