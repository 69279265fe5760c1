//! A server's whole dataset in a canonical, comparable form: every key of
//! every database with its type, encoding, absolute expiry and value, read
//! with pipelined commands so that ~100k keys take a moment, not minutes.
//!
//! Two snapshots compare with `assert_same`, which prints a short, readable
//! list of the differences (never megabytes of values).

use super::Conn;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Number of databases read (Redis's default `databases 16`).
pub const DATABASES: u8 = 16;

/// Keys whose metadata or values are requested in one pipelined batch.
const BATCH: usize = 256;

/// One parsed RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    /// `+text`
    Simple(Vec<u8>),
    /// `-text`
    Error(Vec<u8>),
    /// `:n`
    Integer(i64),
    /// `$n` (None for `$-1`)
    Bulk(Option<Vec<u8>>),
    /// `*n` (None for `*-1`)
    Array(Option<Vec<Resp>>),
}

impl Resp {
    /// Parses one complete reply (as `Conn::read_reply` returns it).
    pub fn parse(bytes: &[u8]) -> Resp {
        let mut at = 0;
        let reply = parse_at(bytes, &mut at);
        assert_eq!(at, bytes.len(), "trailing bytes after a reply");
        reply
    }

    /// A short readable rendering (for failure messages).
    pub fn describe(&self) -> String {
        match self {
            Resp::Simple(text) => format!("+{}", show(text)),
            Resp::Error(text) => format!("-{}", show(text)),
            Resp::Integer(n) => format!(":{n}"),
            Resp::Bulk(None) => "(nil)".to_string(),
            Resp::Bulk(Some(bytes)) => show(bytes),
            Resp::Array(None) => "(nil array)".to_string(),
            Resp::Array(Some(items)) => {
                let shown: Vec<String> = items.iter().take(8).map(Resp::describe).collect();
                let more = if items.len() > 8 { ", ..." } else { "" };
                format!("[{}{more}] ({} items)", shown.join(", "), items.len())
            }
        }
    }

    /// The bytes of a bulk or simple string; panics otherwise.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Resp::Bulk(Some(bytes)) | Resp::Simple(bytes) => bytes.clone(),
            other => panic!("expected a string reply, got {}", other.describe()),
        }
    }

    /// The text of a bulk or simple string; panics otherwise.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// The integer of an integer reply; panics otherwise.
    pub fn integer(&self) -> i64 {
        match self {
            Resp::Integer(n) => *n,
            other => panic!("expected an integer reply, got {}", other.describe()),
        }
    }

    /// The byte strings of an array of bulk strings; panics otherwise.
    pub fn strings(&self) -> Vec<Vec<u8>> {
        match self {
            Resp::Array(Some(items)) => items.iter().map(Resp::bytes).collect(),
            other => panic!("expected an array reply, got {}", other.describe()),
        }
    }
}

fn parse_line<'a>(bytes: &'a [u8], at: &mut usize) -> &'a [u8] {
    let rest = &bytes[*at..];
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("reply line without CRLF");
    *at += end + 2;
    &rest[..end]
}

fn parse_number(line: &[u8]) -> i64 {
    std::str::from_utf8(line)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("bad number in reply: {:?}", show(line)))
}

fn parse_at(bytes: &[u8], at: &mut usize) -> Resp {
    let kind = bytes[*at];
    *at += 1;
    let line = parse_line(bytes, at);
    match kind {
        b'+' => Resp::Simple(line.to_vec()),
        b'-' => Resp::Error(line.to_vec()),
        b':' => Resp::Integer(parse_number(line)),
        b'$' => {
            let len = parse_number(line);
            if len < 0 {
                return Resp::Bulk(None);
            }
            let len = len as usize;
            let data = bytes[*at..*at + len].to_vec();
            assert_eq!(&bytes[*at + len..*at + len + 2], b"\r\n");
            *at += len + 2;
            Resp::Bulk(Some(data))
        }
        b'*' => {
            let len = parse_number(line);
            if len < 0 {
                return Resp::Array(None);
            }
            let items = (0..len).map(|_| parse_at(bytes, at)).collect();
            Resp::Array(Some(items))
        }
        other => panic!("unexpected reply type byte {other:#x}"),
    }
}

/// A key's value in canonical form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Data {
    /// `GET`
    String(Vec<u8>),
    /// `LRANGE 0 -1`
    List(Vec<Vec<u8>>),
    /// `HGETALL`: in the server's order for a listpack (Redis keeps the
    /// insertion order there and so must vitrine), sorted by field otherwise.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// `SMEMBERS`: in the server's order for an intset (ascending
    /// integers), sorted bytewise otherwise.
    Set(Vec<Vec<u8>>),
    /// `ZRANGE 0 -1 WITHSCORES`, scores as the server prints them.
    ZSet(Vec<(Vec<u8>, Vec<u8>)>),
    /// A type this snapshot does not read (its name).
    Other(String),
}

impl Data {
    /// The value with hash fields and set members sorted bytewise, so that
    /// values built by different histories compare equal, and score -0
    /// written 0 (Redis loses the sign whenever a sorted set becomes a
    /// listpack: it stores -0.0 as the integer 0).
    pub fn sorted(&self) -> Data {
        match self {
            Data::ZSet(pairs) => Data::ZSet(
                pairs
                    .iter()
                    .map(|(member, score)| {
                        let score = if score == b"-0" { b"0".to_vec() } else { score.clone() };
                        (member.clone(), score)
                    })
                    .collect(),
            ),
            Data::Hash(pairs) => {
                let mut pairs = pairs.clone();
                pairs.sort();
                Data::Hash(pairs)
            }
            Data::Set(members) => {
                let mut members = members.clone();
                members.sort();
                Data::Set(members)
            }
            other => other.clone(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Data::String(bytes) => bytes.len(),
            Data::List(items) | Data::Set(items) => items.len(),
            Data::Hash(pairs) | Data::ZSet(pairs) => pairs.len(),
            Data::Other(_) => 0,
        }
    }
}

/// One key as a snapshot saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `TYPE`
    pub type_name: String,
    /// `OBJECT ENCODING` (empty in a normalized snapshot).
    pub encoding: String,
    /// `PEXPIRETIME`: absolute Unix time in ms, -1 without expiry.
    pub expire_at_ms: i64,
    /// The value.
    pub data: Data,
}

/// Every key of every database: (db, key) -> entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// The keys in (db, key) order.
    pub keys: BTreeMap<(u8, Vec<u8>), Entry>,
}

impl Dataset {
    /// Reads databases 0..16 of the server behind `conn` (and leaves the
    /// connection in db 0).
    pub fn read(conn: &mut Conn) -> Dataset {
        let mut dataset = Dataset::default();
        for db in 0..DATABASES {
            let reply = conn.cmd(&["SELECT", &db.to_string()]);
            assert_eq!(reply, b"+OK\r\n", "SELECT {db}");
            let names = Resp::parse(&conn.cmd(&["KEYS", "*"])).strings();
            for chunk in names.chunks(BATCH) {
                read_batch(conn, db, chunk, &mut dataset);
            }
        }
        assert_eq!(conn.cmd(&["SELECT", "0"]), b"+OK\r\n");
        dataset
    }

    /// Reads the server listening on `port`.
    pub fn read_port(port: u16) -> Dataset {
        Dataset::read(&mut Conn::connect(port))
    }

    /// The dataset without encodings and with hash fields and set members
    /// sorted: what must survive any save and reload.
    pub fn normalized(&self) -> Dataset {
        let keys = self
            .keys
            .iter()
            .map(|(name, entry)| {
                let entry = Entry {
                    type_name: entry.type_name.clone(),
                    encoding: String::new(),
                    expire_at_ms: entry.expire_at_ms,
                    data: entry.data.sorted(),
                };
                (name.clone(), entry)
            })
            .collect();
        Dataset { keys }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys per encoding name, for assertions that a fixture covers them.
    pub fn encodings(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for entry in self.keys.values() {
            *counts
                .entry(format!("{}/{}", entry.type_name, entry.encoding))
                .or_insert(0) += 1;
        }
        counts
    }

    /// A readable description of the differences (at most `limit` keys),
    /// or None when both are equal.
    pub fn diff(&self, left_name: &str, other: &Dataset, right_name: &str) -> Option<String> {
        if self == other {
            return None;
        }
        const LIMIT: usize = 25;
        let mut out = format!("{left_name}: {} keys, {right_name}: {} keys\n", self.len(), other.len());
        let mut shown = 0;
        let mut total = 0;
        let names: std::collections::BTreeSet<&(u8, Vec<u8>)> = self.keys.keys().chain(other.keys.keys()).collect();
        for name in names {
            let left = self.keys.get(name);
            let right = other.keys.get(name);
            if left == right {
                continue;
            }
            total += 1;
            if shown == LIMIT {
                continue;
            }
            shown += 1;
            let label = format!("db{} {}", name.0, show(&name.1));
            match (left, right) {
                (Some(_), None) => {
                    let _ = writeln!(out, "  {label}: only in {left_name}");
                }
                (None, Some(_)) => {
                    let _ = writeln!(out, "  {label}: only in {right_name}");
                }
                (Some(left), Some(right)) => {
                    let _ = writeln!(out, "  {label}: {}", describe(left, right));
                }
                (None, None) => {}
            }
        }
        if total > shown {
            let _ = writeln!(out, "  ... and {} more keys differ", total - shown);
        }
        Some(out)
    }
}

/// Panics with a readable diff unless both datasets are equal.
#[track_caller]
pub fn assert_same(left: &Dataset, left_name: &str, right: &Dataset, right_name: &str) {
    if let Some(diff) = left.diff(left_name, right, right_name) {
        panic!("datasets differ:\n{diff}");
    }
}

/// What differs between two entries of the same key.
fn describe(left: &Entry, right: &Entry) -> String {
    let mut parts = Vec::new();
    if left.type_name != right.type_name {
        parts.push(format!("type {} vs {}", left.type_name, right.type_name));
    }
    if left.encoding != right.encoding {
        parts.push(format!("encoding {} vs {}", left.encoding, right.encoding));
    }
    if left.expire_at_ms != right.expire_at_ms {
        parts.push(format!("pexpiretime {} vs {}", left.expire_at_ms, right.expire_at_ms));
    }
    if left.data != right.data {
        parts.push(describe_data(&left.data, &right.data));
    }
    parts.join("; ")
}

fn describe_data(left: &Data, right: &Data) -> String {
    fn items(data: &Data) -> Vec<String> {
        match data {
            Data::String(bytes) => vec![show(bytes)],
            Data::List(items) | Data::Set(items) => items.iter().map(|i| show(i)).collect(),
            Data::Hash(pairs) | Data::ZSet(pairs) => {
                pairs.iter().map(|(a, b)| format!("{}={}", show(a), show(b))).collect()
            }
            Data::Other(name) => vec![name.clone()],
        }
    }
    if std::mem::discriminant(left) != std::mem::discriminant(right) {
        let kind = |data: &Data| match data {
            Data::String(_) => "string".to_string(),
            Data::List(_) => "list".to_string(),
            Data::Hash(_) => "hash".to_string(),
            Data::Set(_) => "set".to_string(),
            Data::ZSet(_) => "zset".to_string(),
            Data::Other(name) => name.clone(),
        };
        return format!("value kinds differ: {} vs {}", kind(left), kind(right));
    }
    let (a, b) = (items(left), items(right));
    let first = a.iter().zip(&b).position(|(x, y)| x != y);
    match first {
        Some(index) => format!(
            "value lengths {} vs {}, first difference at element {index}: {} vs {}",
            left.len(),
            right.len(),
            a[index],
            b[index]
        ),
        None => format!(
            "value lengths {} vs {} (one is a prefix of the other)",
            left.len(),
            right.len()
        ),
    }
}

/// Bytes as a short quoted string with escapes, long ones abbreviated.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 48;
    let mut out = String::from("\"");
    for &byte in bytes.iter().take(MAX) {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push('"');
    if bytes.len() > MAX {
        let _ = write!(out, "...({} bytes)", bytes.len());
    }
    out
}

/// Sends `commands` in one write and reads their replies, parsed.
pub fn pipeline(conn: &mut Conn, commands: &[Vec<&[u8]>]) -> Vec<Resp> {
    let mut out = Vec::new();
    for command in commands {
        out.extend_from_slice(&super::encode(command));
    }
    conn.send_raw(&out);
    commands.iter().map(|_| Resp::parse(&conn.read_reply())).collect()
}

fn read_batch(conn: &mut Conn, db: u8, names: &[Vec<u8>], dataset: &mut Dataset) {
    let mut meta = Vec::with_capacity(names.len() * 3);
    for name in names {
        meta.push(vec![&b"TYPE"[..], name]);
        meta.push(vec![&b"OBJECT"[..], b"ENCODING", name]);
        meta.push(vec![&b"PEXPIRETIME"[..], name]);
    }
    let meta = pipeline(conn, &meta);
    let mut values = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let type_name = meta[index * 3].text();
        let command: Vec<&[u8]> = match type_name.as_str() {
            "string" => vec![b"GET", name],
            "list" => vec![b"LRANGE", name, b"0", b"-1"],
            "hash" => vec![b"HGETALL", name],
            "set" => vec![b"SMEMBERS", name],
            "zset" => vec![b"ZRANGE", name, b"0", b"-1", b"WITHSCORES"],
            // Something every server answers cheaply, ignored below.
            _ => vec![b"EXISTS", name],
        };
        values.push(command);
    }
    let values = pipeline(conn, &values);
    for (index, name) in names.iter().enumerate() {
        let type_name = meta[index * 3].text();
        let encoding = match &meta[index * 3 + 1] {
            Resp::Bulk(Some(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            other => format!("{other:?}"),
        };
        let expire_at_ms = meta[index * 3 + 2].integer();
        let reply = &values[index];
        let data = match type_name.as_str() {
            "string" => Data::String(reply.bytes()),
            "list" => Data::List(reply.strings()),
            "hash" => {
                let flat = reply.strings();
                let mut pairs: Vec<(Vec<u8>, Vec<u8>)> =
                    flat.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
                if encoding != "listpack" {
                    pairs.sort();
                }
                Data::Hash(pairs)
            }
            "set" => {
                let mut members = reply.strings();
                if encoding != "intset" {
                    members.sort();
                }
                Data::Set(members)
            }
            "zset" => {
                let flat = reply.strings();
                Data::ZSet(flat.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect())
            }
            other => Data::Other(other.to_string()),
        };
        let entry = Entry {
            type_name,
            encoding,
            expire_at_ms,
            data,
        };
        dataset.keys.insert((db, name.clone()), entry);
    }
}
