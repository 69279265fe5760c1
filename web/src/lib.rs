//! vitrine-web: a Redis replica in a browser tab.
//!
//! [`Replica`] opens a WebSocket to a vitrine server's `/replication`,
//! runs core's engine in the replica role over it (the same handshake,
//! RDB decoder and command execution as the native replica: see
//! [`node`]), and answers reads locally. The master's writes arrive as
//! change events; a dropped connection is retried with backoff and
//! resumes with `PSYNC replid offset`.
//!
//! This module is the browser shell: sockets, timers, promises and
//! JavaScript values. Everything that is replication lives in [`node`].

mod convert;
pub mod node;
#[cfg(test)]
mod tests;

use convert::{bytes_of, set, to_js};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use node::{Change, Node, NodeConfig};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use vitrine_core::resp::frame::Frame;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageChannel, MessageEvent, WebSocket};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A key: text (sent as UTF-8) or raw bytes. */
export type Key = string | Uint8Array;
/** Options of `Replica.connect` and `new Replica`. */
export interface ConnectOptions {
  /** The server's `websocket-requirepass`. */
  password?: string;
}
/** Options of `scan`. */
export interface ScanOptions {
  match?: string;
  count?: number;
  type?: "string" | "list" | "hash" | "set" | "zset" | string;
  db?: number;
}
/** One page of `scan`: continue with `cursor` until it is "0". */
export interface ScanResult {
  cursor: string;
  keys: string[];
}
/** The link: connecting → handshake → sync → connected; disconnected
 * between attempts; closed after `close()`. */
export type ReplicaState = "connecting" | "handshake" | "sync" | "connected" | "disconnected" | "closed";
/** A key the master's write touched (`key` null for FLUSHDB, SWAPDB…). */
export interface ChangeEvent {
  db: number;
  key: string | null;
  command: string;
}
/** The link changed state; `error` says why the last attempt failed. */
export interface StateEvent {
  state: ReplicaState;
  error: string | null;
}
/** A sync completed: `full` (the data was replaced: read it again) or partial. */
export interface SyncEvent {
  full: boolean;
}
/** Listeners by event name (merged into the class's declaration). */
export interface Replica {
  on(event: "change", listener: (event: ChangeEvent) => void): void;
  on(event: "state", listener: (event: StateEvent) => void): void;
  on(event: "sync", listener: (event: SyncEvent) => void): void;
}
export interface ReplicaStats {
  state: ReplicaState;
  /** The replication id whose offsets this tab holds. */
  replid: string;
  /** The master's offset of the last byte applied. */
  offset: number;
  /** Milliseconds since the master last sent anything (null when down). */
  lag: number | null;
  keys: number;
  bytesReceived: number;
  fullSyncs: number;
  partialSyncs: number;
  /** When the last sync completed (Unix ms), null if never. */
  lastSync: number | null;
  /** During a full sync: snapshot bytes read and announced (null: streamed). */
  syncRead: number | null;
  syncSize: number | null;
  /** Why the last attempt failed, if it did. */
  error: string | null;
  /** The module's WebAssembly linear memory, in bytes: shared by every
   * `Replica` of the page, it grows with the data (and a sync's buffers)
   * and never shrinks. */
  memoryBytes: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `{ password }` (see the TypeScript section).
    #[wasm_bindgen(typescript_type = "ConnectOptions")]
    pub type ConnectOptions;
    /// `{ match, count, type, db }`.
    #[wasm_bindgen(typescript_type = "ScanOptions")]
    pub type ScanOptions;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(id: &JsValue);
}

/// Unix milliseconds.
fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Bytes fed to the engine per call: a big WebSocket message is cut so a
/// snapshot streams into the decoder in pieces.
const CHUNK: usize = 64 * 1024;
/// Work done before giving the page a turn while a backlog of messages
/// (a full sync) is applied.
const SLICE_MS: i64 = 16;
/// Pause before the first retry; doubled up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: i32 = 250;
const MAX_BACKOFF_MS: i32 = 5000;
/// The engine's cron period (`hz 10`): `REPLCONF ACK`, `repl-timeout`.
const TICK_MS: i32 = 100;
/// How late the cron may be before a message runs it: a hidden tab's
/// timers are throttled, after five minutes in Chromium to once a minute,
/// and without its once-a-second `REPLCONF ACK` the master would time the
/// tab out (`repl-timeout`, 60 s) and it would resync. The master's PINGs
/// (`repl-ping-replica-period`, 10 s) still arrive, and carry the cron.
const LATE_CRON_MS: i64 = 1000;

/// What listeners hear about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Topic {
    Change,
    State,
    Sync,
}

impl Topic {
    fn parse(name: &str) -> Result<Topic, JsError> {
        match name {
            "change" => Ok(Topic::Change),
            "state" => Ok(Topic::State),
            "sync" => Ok(Topic::Sync),
            _ => Err(JsError::new(&format!("unknown event '{name}' (change, state or sync)"))),
        }
    }
}

/// Something to tell JavaScript once the replica is not borrowed.
enum Note {
    Change(Change),
    State(&'static str, Option<String>),
    Sync { full: bool },
    Ready,
    Refused(String),
}

/// One WebSocket and the handlers that keep it alive.
struct Socket {
    ws: WebSocket,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

struct Inner {
    node: Node,
    url: String,
    socket: Option<Socket>,
    /// The socket's `open` fired.
    opened: bool,
    /// The socket closed; its queued bytes are still being applied.
    closing: bool,
    /// `close()` was called.
    closed: bool,
    listeners: Vec<(Topic, Function)>,
    /// Received messages not applied yet, and how far into the first.
    queue: VecDeque<Vec<u8>>,
    queue_at: usize,
    pumping: bool,
    backoff_ms: i32,
    retry: Option<(JsValue, Closure<dyn FnMut()>)>,
    ticker: Option<(JsValue, Closure<dyn FnMut()>)>,
    /// `ready()`'s promise and its resolve/reject until settled.
    ready: Promise,
    settle: Option<(Function, Function)>,
    bytes_received: u64,
    last_rx_ms: i64,
    /// When the engine's cron last ran.
    last_cron_ms: i64,
    error: Option<String>,
    /// What listeners last heard: state word and sync counts.
    reported: (&'static str, u64, u64),
    out: Vec<u8>,
    changes: Vec<Change>,
}

/// A read-only replica of a vitrine master, living in this page.
///
/// ```js
/// const replica = await Replica.connect("ws://localhost:8080/replication");
/// replica.on("change", e => console.log(e.db, e.key, e.command));
/// replica.get("greeting");
/// ```
#[wasm_bindgen]
pub struct Replica {
    inner: Rc<RefCell<Inner>>,
}

#[wasm_bindgen]
impl Replica {
    /// Starts replicating from `url` (`ws://host:port/replication`) and
    /// keeps at it (retrying with backoff) until `close()`. `ready()`
    /// settles with the first sync or the first refusal.
    #[wasm_bindgen(constructor)]
    pub fn new(url: String, options: Option<ConnectOptions>) -> Result<Replica, JsError> {
        let password = options
            .and_then(|o| Reflect::get(&o, &JsValue::from_str("password")).ok())
            .and_then(|p| p.as_string());
        let mut seed = [0u8; 32];
        for byte in &mut seed {
            // Seeds only hash tables and the run id: no secret depends on it.
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
        let node = Node::new(NodeConfig {
            master: master_of(&url),
            password,
            seed,
            log: Box::new(log),
            clock: now_ms,
        })
        .map_err(|e| JsError::new(&e))?;
        let mut settle = None;
        let ready = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        // A page that never asks for `ready()` gets no unhandled rejection.
        // The handler lives as long as the page (one tiny closure per
        // replica): the promise may settle after the replica is freed.
        let swallow = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = ready.catch(&swallow);
        swallow.forget();
        let inner = Rc::new(RefCell::new(Inner {
            node,
            url,
            socket: None,
            opened: false,
            closing: false,
            closed: false,
            listeners: Vec::new(),
            queue: VecDeque::new(),
            queue_at: 0,
            pumping: false,
            backoff_ms: FIRST_BACKOFF_MS,
            retry: None,
            ticker: None,
            ready,
            settle,
            bytes_received: 0,
            last_rx_ms: 0,
            last_cron_ms: 0,
            error: None,
            reported: ("", 0, 0),
            out: Vec::new(),
            changes: Vec::new(),
        }));
        start_ticker(&inner);
        open_socket(&inner);
        Ok(Replica { inner })
    }

    /// Connects and resolves once the first sync is complete; rejects with
    /// the reason when the server refuses (wrong secret, foreign origin).
    pub async fn connect(url: String, options: Option<ConnectOptions>) -> Result<Replica, JsValue> {
        let replica = Replica::new(url, options)?;
        match JsFuture::from(replica.ready()).await {
            Ok(_) => Ok(replica),
            Err(error) => {
                replica.close();
                Err(error)
            }
        }
    }

    /// Resolves with the first completed sync, rejects with the first
    /// refusal.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn ready(&self) -> Promise {
        self.inner.borrow().ready.clone()
    }

    /// Listens to `change` ({db, key, command}), `state` ({state, error})
    /// or `sync` ({full}).
    pub fn on(&self, event: &str, listener: Function) -> Result<(), JsError> {
        let topic = Topic::parse(event)?;
        self.inner.borrow_mut().listeners.push((topic, listener));
        Ok(())
    }

    /// Stops calling `listener` for `event`.
    pub fn off(&self, event: &str, listener: &Function) -> Result<(), JsError> {
        let topic = Topic::parse(event)?;
        let mut inner = self.inner.borrow_mut();
        inner
            .listeners
            .retain(|(t, f)| !(*t == topic && JsValue::from(f) == JsValue::from(listener)));
        Ok(())
    }

    /// Drops the connection as a network failure would: the replica
    /// reconnects after its backoff and resumes with a partial resync if
    /// the master's backlog still covers what it missed. For a page going
    /// into the browser's back-forward cache (`pagehide` with `persisted`):
    /// an open WebSocket would keep it out of the cache, and timers wait
    /// while it is there, so the link comes back when the page does.
    pub fn disconnect(&self) {
        let notes = {
            let mut inner = self.inner.borrow_mut();
            let Some(socket) = inner.socket.as_ref().filter(|_| !inner.closed) else {
                return;
            };
            detach(&socket.ws);
            let _ = socket.ws.close();
            let mut notes = Vec::new();
            link_lost(&self.inner, &mut inner, &mut notes);
            notes
        };
        dispatch(&self.inner, notes);
    }

    /// Stops replicating: closes the socket, stops retrying. Reads keep
    /// answering from the data held.
    pub fn close(&self) {
        let notes = {
            let mut inner = self.inner.borrow_mut();
            if inner.closed {
                return;
            }
            inner.closed = true;
            if let Some((id, _)) = inner.ticker.take() {
                clear_interval(&id);
            }
            if let Some((id, _)) = inner.retry.take() {
                clear_timeout(&id);
            }
            if let Some(socket) = inner.socket.take() {
                detach(&socket.ws);
                let _ = socket.ws.close();
                inner.node.closed(now_ms());
            }
            inner.queue.clear();
            let mut notes = Vec::new();
            if let Some((_, reject)) = inner.settle.take() {
                let _ = reject.call1(&JsValue::NULL, &JsError::new("closed").into());
            }
            inner.report_state(&mut notes);
            notes
        };
        dispatch(&self.inner, notes);
    }

    /// Link figures: state, replid, offset, lag, keys, bytes received, sync
    /// counts and time, and the page's wasm memory.
    #[wasm_bindgen(unchecked_return_type = "ReplicaStats")]
    pub fn stats(&self) -> JsValue {
        let inner = self.inner.borrow();
        let status = inner.node.status();
        let object = Object::new();
        set(&object, "state", inner.state());
        let up = inner.state() == "connected";
        if let Some(status) = &status {
            set(&object, "replid", status.replid.to_string());
            set(&object, "offset", status.offset as f64);
            set(&object, "fullSyncs", status.full_syncs as f64);
            set(&object, "partialSyncs", status.partial_syncs as f64);
            let last = (status.last_sync_ms > 0).then_some(status.last_sync_ms as f64);
            set(&object, "lastSync", last);
            let (read, size) = match status.transfer {
                Some((read, size)) => (Some(read as f64), size.map(|s| s as f64)),
                None => (None, None),
            };
            set(&object, "syncRead", read);
            set(&object, "syncSize", size);
        }
        let lag = (up && inner.last_rx_ms > 0).then(|| (now_ms() - inner.last_rx_ms) as f64);
        set(&object, "lag", lag);
        set(&object, "keys", inner.node.total_keys() as f64);
        set(&object, "bytesReceived", inner.bytes_received as f64);
        set(&object, "error", inner.error.clone());
        set(&object, "memoryBytes", memory_bytes());
        object.into()
    }

    /// `GET key` as text (UTF-8, invalid bytes replaced), or null.
    #[wasm_bindgen(unchecked_return_type = "string | null")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        Ok(to_js(self.read(db, &[b"GET", &bytes_of(&key, "key")?])?))
    }

    /// `GET key` as bytes, or null.
    #[wasm_bindgen(js_name = getBytes, unchecked_return_type = "Uint8Array | null")]
    pub fn get_bytes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        Ok(convert::bytes(self.read(db, &[b"GET", &bytes_of(&key, "key")?])?))
    }

    /// `HGET key field`.
    #[wasm_bindgen(unchecked_return_type = "string | null")]
    pub fn hget(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Key")] field: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let (key, field) = (bytes_of(&key, "key")?, bytes_of(&field, "field")?);
        Ok(to_js(self.read(db, &[b"HGET", &key, &field])?))
    }

    /// `HGETALL key` as an object of fields.
    #[wasm_bindgen(unchecked_return_type = "Record<string, string>")]
    pub fn hgetall(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        Ok(to_js(self.read(db, &[b"HGETALL", &bytes_of(&key, "key")?])?))
    }

    /// `LRANGE key start stop`.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn lrange(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        start: f64,
        stop: f64,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let key = bytes_of(&key, "key")?;
        let (start, stop) = (index(start)?, index(stop)?);
        Ok(to_js(
            self.read(db, &[b"LRANGE", &key, start.as_bytes(), stop.as_bytes()])?,
        ))
    }

    /// `LLEN key`.
    pub fn llen(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<f64, JsError> {
        self.count(db, &[b"LLEN", &bytes_of(&key, "key")?])
    }

    /// `SMEMBERS key`.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn smembers(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        Ok(to_js(self.read(db, &[b"SMEMBERS", &bytes_of(&key, "key")?])?))
    }

    /// `SISMEMBER key member`.
    pub fn sismember(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Key")] member: JsValue,
        db: Option<u32>,
    ) -> Result<bool, JsError> {
        let (key, member) = (bytes_of(&key, "key")?, bytes_of(&member, "member")?);
        Ok(self.count(db, &[b"SISMEMBER", &key, &member])? == 1.0)
    }

    /// `SCARD key`.
    pub fn scard(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<f64, JsError> {
        self.count(db, &[b"SCARD", &bytes_of(&key, "key")?])
    }

    /// `ZRANGE key start stop [WITHSCORES]`: members, or [member, score]
    /// pairs.
    #[wasm_bindgen(unchecked_return_type = "string[] | [string, number][]")]
    pub fn zrange(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        start: f64,
        stop: f64,
        #[wasm_bindgen(js_name = withScores)] with_scores: Option<bool>,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let key = bytes_of(&key, "key")?;
        let (start, stop) = (index(start)?, index(stop)?);
        let mut args: Vec<&[u8]> = vec![b"ZRANGE", &key, start.as_bytes(), stop.as_bytes()];
        if with_scores == Some(true) {
            args.push(b"WITHSCORES");
        }
        Ok(to_js(self.read(db, &args)?))
    }

    /// `ZSCORE key member`, or null.
    #[wasm_bindgen(unchecked_return_type = "number | null")]
    pub fn zscore(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Key")] member: JsValue,
        db: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let (key, member) = (bytes_of(&key, "key")?, bytes_of(&member, "member")?);
        Ok(convert::number(self.read(db, &[b"ZSCORE", &key, &member])?))
    }

    /// `ZCARD key`.
    pub fn zcard(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<f64, JsError> {
        self.count(db, &[b"ZCARD", &bytes_of(&key, "key")?])
    }

    /// `TYPE key`: `string`, `list`, `hash`, `set`, `zset` or `none`.
    #[wasm_bindgen(js_name = type)]
    pub fn key_type(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<String, JsError> {
        match self.read(db, &[b"TYPE", &bytes_of(&key, "key")?])? {
            Frame::Simple(word) | Frame::Bulk(word) => Ok(String::from_utf8_lossy(&word).into_owned()),
            _ => Ok("none".into()),
        }
    }

    /// `TTL key`: seconds, -1 without expiry, -2 missing.
    pub fn ttl(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<f64, JsError> {
        self.count(db, &[b"TTL", &bytes_of(&key, "key")?])
    }

    /// `PTTL key`: milliseconds, -1 without expiry, -2 missing.
    pub fn pttl(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<f64, JsError> {
        self.count(db, &[b"PTTL", &bytes_of(&key, "key")?])
    }

    /// `EXISTS key`: whether the key is there (expired keys are not).
    pub fn exists(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Key")] key: JsValue,
        db: Option<u32>,
    ) -> Result<bool, JsError> {
        Ok(self.count(db, &[b"EXISTS", &bytes_of(&key, "key")?])? == 1.0)
    }

    /// `DBSIZE` of `db` (0 by default).
    pub fn dbsize(&self, db: Option<u32>) -> Result<f64, JsError> {
        self.count(db, &[b"DBSIZE"])
    }

    /// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]` in `options.db`:
    /// one page; start with "0" and continue until the cursor is "0".
    #[wasm_bindgen(unchecked_return_type = "ScanResult")]
    pub fn scan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number")] cursor: JsValue,
        options: Option<ScanOptions>,
    ) -> Result<JsValue, JsError> {
        let cursor = match cursor.as_f64() {
            Some(n) => format!("{n}"),
            None => cursor.as_string().unwrap_or_else(|| "0".into()),
        };
        let option = |name: &str| {
            options
                .as_ref()
                .and_then(|o| Reflect::get(o, &JsValue::from_str(name)).ok())
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        let pattern = option("match").and_then(|v| v.as_string());
        let count = option("count").and_then(|v| v.as_f64()).map(|n| format!("{n}"));
        let kind = option("type").and_then(|v| v.as_string());
        let db = option("db").and_then(|v| v.as_f64()).map(|n| n as u32);
        let mut args: Vec<&[u8]> = vec![b"SCAN", cursor.as_bytes()];
        if let Some(pattern) = &pattern {
            args.extend([&b"MATCH"[..], pattern.as_bytes()]);
        }
        if let Some(count) = &count {
            args.extend([&b"COUNT"[..], count.as_bytes()]);
        }
        if let Some(kind) = &kind {
            args.extend([&b"TYPE"[..], kind.as_bytes()]);
        }
        let page = self.read(db, &args)?;
        let result = Object::new();
        if let Frame::Array(mut parts) = page {
            let keys = parts.pop().map_or(JsValue::from(Array::new()), to_js);
            let next = parts.pop().map_or(JsValue::from_str("0"), to_js);
            set(&result, "cursor", next);
            set(&result, "keys", keys);
        }
        Ok(result.into())
    }
}

impl Replica {
    /// Runs a read in `db` through the engine.
    fn read(&self, db: Option<u32>, args: &[&[u8]]) -> Result<Frame, JsError> {
        let db = db.unwrap_or(0) as usize;
        let mut inner = self.inner.borrow_mut();
        inner.node.call(db, args, now_ms()).map_err(|e| JsError::new(&e))
    }

    /// A read whose reply is an integer.
    fn count(&self, db: Option<u32>, args: &[&[u8]]) -> Result<f64, JsError> {
        match self.read(db, args)? {
            Frame::Integer(n) => Ok(n as f64),
            _ => Ok(0.0),
        }
    }
}

/// A list or range index from JavaScript (an integer).
fn index(value: f64) -> Result<String, JsError> {
    if value.fract() != 0.0 || !value.is_finite() {
        return Err(JsError::new("an index must be an integer"));
    }
    Ok(format!("{}", value as i64))
}

/// The master as `INFO replication` names it: the URL's host and port.
fn master_of(url: &str) -> (String, u16) {
    let (secure, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.eq_ignore_ascii_case("wss"), rest),
        None => (false, url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default = if secure { 443 } else { 80 };
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => match port.parse() {
            Ok(port) => (host.trim_matches(['[', ']']).to_string(), port),
            Err(_) => (authority.to_string(), default),
        },
        _ => (authority.trim_matches(['[', ']']).to_string(), default),
    }
}

/// The size of the module's linear memory (memory 0), which holds every
/// replica of the page: WebAssembly pages of 64 KiB.
#[cfg(target_arch = "wasm32")]
fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// Off wasm32 (the host build of the tests) there is no linear memory.
#[cfg(not(target_arch = "wasm32"))]
fn memory_bytes() -> f64 {
    0.0
}

/// The engine's log lines on the console, as Redis levels them.
fn log(level: u8, line: &str) {
    let line = JsValue::from_str(&format!("vitrine replica: {line}"));
    match level {
        3 => web_sys::console::warn_1(&line),
        0 | 1 => web_sys::console::debug_1(&line),
        _ => web_sys::console::info_1(&line),
    }
}

impl Inner {
    /// The state word listeners see.
    fn state(&self) -> &'static str {
        if self.closed {
            return "closed";
        }
        match self.node.status().map(|s| s.state) {
            Some("connected") => "connected",
            Some("sync") => "sync",
            Some("handshake") => "handshake",
            _ if self.socket.is_some() => "connecting",
            _ => "disconnected",
        }
    }

    /// After the engine ran: its output to the socket, its changes and
    /// state to the listeners, a link it gave up on closed.
    fn after(&mut self, notes: &mut Vec<Note>) {
        self.out.clear();
        self.node.output(&mut self.out);
        if let Some(socket) = self.socket.as_ref().filter(|_| self.opened) {
            if !self.out.is_empty() {
                let _ = socket.ws.send_with_u8_array(&self.out);
            }
            if !self.node.wanted() && !self.closing {
                let _ = socket.ws.close();
            }
        }
        self.node.take_changes(&mut self.changes);
        if self.listeners.iter().any(|(t, _)| *t == Topic::Change) {
            notes.extend(self.changes.drain(..).map(Note::Change));
        } else {
            self.changes.clear();
        }
        self.report_state(notes);
    }

    /// A state or sync listeners have not heard of yet.
    fn report_state(&mut self, notes: &mut Vec<Note>) {
        let state = self.state();
        let (full, partial) = self.node.status().map_or((0, 0), |s| (s.full_syncs, s.partial_syncs));
        let (was, was_full, was_partial) = self.reported;
        self.reported = (state, full, partial);
        if full != was_full || partial != was_partial {
            notes.push(Note::Sync { full: full != was_full });
        }
        if state == was {
            return;
        }
        if state == "connected" {
            self.error = None;
            self.backoff_ms = FIRST_BACKOFF_MS;
            if self.settle.is_some() {
                notes.push(Note::Ready);
            }
        }
        notes.push(Note::State(state, self.error.clone()));
    }

    /// The engine's periodic work: `REPLCONF ACK`, `repl-timeout`.
    fn cron(&mut self, now: i64) {
        self.last_cron_ms = now;
        self.node.cron(now);
    }

    /// Applies up to [`CHUNK`] queued bytes; `false` when none are left.
    fn feed_next(&mut self, notes: &mut Vec<Note>) -> bool {
        let Some(front) = self.queue.front() else {
            return false;
        };
        let end = (self.queue_at + CHUNK).min(front.len());
        let now = now_ms();
        self.node.input(&front[self.queue_at..end], now);
        if end == front.len() {
            self.queue.pop_front();
            self.queue_at = 0;
        } else {
            self.queue_at = end;
        }
        if now - self.last_cron_ms >= LATE_CRON_MS {
            self.cron(now);
        }
        self.after(notes);
        true
    }
}

/// Calls the listeners (and settles `ready()`) with nothing borrowed, so
/// they may read from the replica.
fn dispatch(inner: &Rc<RefCell<Inner>>, notes: Vec<Note>) {
    if notes.is_empty() {
        return;
    }
    let listeners = inner.borrow().listeners.clone();
    let call = |topic: Topic, event: &JsValue| {
        for (t, listener) in &listeners {
            if *t == topic {
                if let Err(error) = listener.call1(&JsValue::NULL, event) {
                    web_sys::console::error_2(&JsValue::from_str("vitrine replica: a listener threw"), &error);
                }
            }
        }
    };
    for note in notes {
        match note {
            Note::Change(change) => {
                let event = Object::new();
                set(&event, "db", change.db as f64);
                set(
                    &event,
                    "key",
                    change.key.as_deref().map_or(JsValue::NULL, convert::text),
                );
                set(&event, "command", convert::name_of(change.command));
                call(Topic::Change, &event.into());
            }
            Note::State(state, error) => {
                let event = Object::new();
                set(&event, "state", state);
                set(&event, "error", error);
                call(Topic::State, &event.into());
            }
            Note::Sync { full } => {
                let event = Object::new();
                set(&event, "full", full);
                call(Topic::Sync, &event.into());
            }
            Note::Ready => {
                let settle = inner.borrow_mut().settle.take();
                if let Some((resolve, _)) = settle {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            Note::Refused(reason) => {
                let settle = inner.borrow_mut().settle.take();
                if let Some((_, reject)) = settle {
                    let _ = reject.call1(&JsValue::NULL, &JsError::new(&reason).into());
                }
            }
        }
    }
}

/// Runs `f` on the replica if it still exists, then dispatches.
fn with(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&Rc<RefCell<Inner>>, &mut Inner, &mut Vec<Note>)) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    let mut notes = Vec::new();
    {
        let mut inner = rc.borrow_mut();
        if inner.closed {
            return;
        }
        f(&rc, &mut inner, &mut notes);
    }
    dispatch(&rc, notes);
}

/// The once-per-tick cron (`REPLCONF ACK`, `repl-timeout`).
fn start_ticker(rc: &Rc<RefCell<Inner>>) {
    let weak = Rc::downgrade(rc);
    let tick = Closure::<dyn FnMut()>::new(move || {
        with(&weak, |_, inner, notes| {
            inner.cron(now_ms());
            inner.after(notes);
        })
    });
    let id = set_interval(tick.as_ref().unchecked_ref(), TICK_MS);
    rc.borrow_mut().ticker = Some((id, tick));
}

/// Removes a socket's handlers (it is being dropped).
fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    ws.set_onerror(None);
}

/// Opens a WebSocket to the master and wires it to the engine.
fn open_socket(rc: &Rc<RefCell<Inner>>) {
    let mut notes = Vec::new();
    {
        let mut inner = rc.borrow_mut();
        if inner.closed || inner.socket.is_some() {
            return;
        }
        inner.retry = None;
        inner.node.connecting(now_ms());
        inner.opened = false;
        inner.closing = false;
        let ws = match WebSocket::new(&inner.url) {
            Ok(ws) => ws,
            Err(error) => {
                // A malformed URL: retrying cannot help.
                let reason = error
                    .dyn_ref::<js_sys::Error>()
                    .map_or_else(|| "invalid WebSocket URL".into(), |e| String::from(e.message()));
                inner.error = Some(reason.clone());
                inner.closed = true;
                notes.push(Note::Refused(reason));
                inner.report_state(&mut notes);
                drop(inner);
                dispatch(rc, notes);
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let weak = Rc::downgrade(rc);
        let handler = |f: fn(&Rc<RefCell<Inner>>, &mut Inner, &mut Vec<Note>, JsValue)| {
            let weak = weak.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                with(&weak, |rc, inner, notes| f(rc, inner, notes, event))
            })
        };
        let handlers = vec![handler(on_open), handler(on_message), handler(on_close)];
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        inner.socket = Some(Socket {
            ws,
            _handlers: handlers,
        });
        inner.report_state(&mut notes);
    }
    dispatch(rc, notes);
}

fn on_open(_: &Rc<RefCell<Inner>>, inner: &mut Inner, notes: &mut Vec<Note>, _: JsValue) {
    inner.opened = true;
    inner.node.connected(now_ms());
    inner.after(notes);
}

/// A message is applied in its own event when nothing waits before it, up
/// to a slice's worth of work; the pump takes what is left. Handing every
/// message to the pump instead cost a task hop each: about 4% of a tab's
/// full sync.
fn on_message(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, notes: &mut Vec<Note>, event: JsValue) {
    let Some(data) = event.dyn_ref::<MessageEvent>().map(MessageEvent::data) else {
        return;
    };
    let bytes = Uint8Array::new(&data).to_vec();
    inner.bytes_received += bytes.len() as u64;
    inner.last_rx_ms = now_ms();
    inner.queue.push_back(bytes);
    if inner.pumping {
        return;
    }
    let started = now_ms();
    while !inner.closed && now_ms() - started < SLICE_MS {
        if !inner.feed_next(notes) {
            return;
        }
    }
    if !inner.closed {
        inner.pumping = true;
        wasm_bindgen_futures::spawn_local(pump(Rc::downgrade(rc)));
    }
}

fn on_close(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, notes: &mut Vec<Note>, event: JsValue) {
    let code = event.dyn_ref::<CloseEvent>().map_or(0, CloseEvent::code);
    if !inner.opened {
        inner.error = Some(format!(
            "The server refused the WebSocket connection to {} (close code {code}): is websocket-port on, and is this page's origin in websocket-allowed-origins?",
            inner.url
        ));
    }
    link_lost(rc, inner, notes);
}

/// The socket closed: once the bytes it brought are applied (now, or when
/// the pump has drained them), the link is closed and the next attempt
/// scheduled.
fn link_lost(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, notes: &mut Vec<Note>) {
    inner.closing = true;
    if !inner.pumping {
        finish_close(rc, inner, notes);
    }
}

/// The socket is closed and its bytes applied: the engine is told, and
/// the next attempt is scheduled.
fn finish_close(rc: &Rc<RefCell<Inner>>, inner: &mut Inner, notes: &mut Vec<Note>) {
    let Some(socket) = inner.socket.take() else {
        return;
    };
    detach(&socket.ws);
    inner.closing = false;
    inner.node.closed(now_ms());
    if let Some(warning) = inner.node.last_warning() {
        if inner.opened {
            inner.error = Some(warning);
        }
    }
    if inner.settle.is_some() {
        let reason = inner
            .error
            .clone()
            .unwrap_or_else(|| "the connection to the master closed".into());
        notes.push(Note::Refused(reason));
    }
    inner.after(notes);
    let weak = Rc::downgrade(rc);
    let retry = Closure::<dyn FnMut()>::new(move || {
        if let Some(rc) = weak.upgrade() {
            open_socket(&rc);
        }
    });
    let id = set_timeout(retry.as_ref().unchecked_ref(), inner.backoff_ms);
    inner.backoff_ms = (inner.backoff_ms * 2).min(MAX_BACKOFF_MS);
    inner.retry = Some((id, retry));
}

/// Applies received messages in slices, giving the page a turn between
/// slices so a large snapshot does not freeze it.
async fn pump(weak: Weak<RefCell<Inner>>) {
    loop {
        let started = now_ms();
        loop {
            let Some(rc) = weak.upgrade() else {
                return;
            };
            let mut notes = Vec::new();
            let more = {
                let mut inner = rc.borrow_mut();
                let more = !inner.closed && inner.feed_next(&mut notes);
                if !more {
                    inner.pumping = false;
                    if inner.closing && !inner.closed {
                        finish_close(&rc, &mut inner, &mut notes);
                    }
                }
                more
            };
            dispatch(&rc, notes);
            if !more {
                return;
            }
            if now_ms() - started >= SLICE_MS {
                break;
            }
        }
        give_the_page_a_turn().await;
    }
}

/// Lets the browser run what waits (input, rendering, the socket's next
/// messages), resuming right after: a message posted to ourselves, which
/// a browser runs as a task without the 4 ms that it adds to repeated
/// `setTimeout(0)`s (a fifth of the time of a snapshot cut in 16 ms
/// slices).
async fn give_the_page_a_turn() {
    let channel = MessageChannel::new();
    let pause = Promise::new(&mut |resolve, _| match &channel {
        Ok(channel) => {
            channel.port1().set_onmessage(Some(&resolve));
            if channel.port2().post_message(&JsValue::NULL).is_err() {
                set_timeout(&resolve, 0);
            }
        }
        Err(_) => {
            set_timeout(&resolve, 0);
        }
    });
    let _ = JsFuture::from(pause).await;
    drop(channel);
}
