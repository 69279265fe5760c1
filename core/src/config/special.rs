//! Directives with a syntax of their own: `save`, `client-output-buffer-limit`,
//! `bind`, `replicaof`, `notify-keyspace-events`, `oom-score-adj-values`,
//! `latency-tracking-info-percentiles`, `websocket-allowed-origins`.

use super::{parse_memory, ConfigError, Setting};
use crate::util::number::parse_f64;
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// `save <seconds> <changes>`: snapshot when at least `changes` writes
/// happened in `seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// Window in seconds.
    pub seconds: u64,
    /// Writes within it.
    pub changes: u64,
}

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputBufferLimit {
    /// Disconnect at once above this many bytes (0: no limit).
    pub hard_bytes: u64,
    /// Disconnect when above this many bytes …
    pub soft_bytes: u64,
    /// … for this many seconds.
    pub soft_seconds: u64,
}

/// Redis's defaults: normal unlimited, replica 256mb/64mb/60, pubsub 32mb/8mb/60.
pub const DEFAULT_OUTPUT_BUFFER_LIMITS: [OutputBufferLimit; 3] = [
    OutputBufferLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    OutputBufferLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    OutputBufferLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];

/// The special syntaxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `save`.
    Save,
    /// `client-output-buffer-limit`.
    OutputBufferLimit,
    /// `bind`: up to 16 addresses.
    Bind,
    /// `replicaof host port` / `replicaof no one`.
    ReplicaOf,
    /// `notify-keyspace-events` class letters.
    NotifyKeyspaceEvents,
    /// `oom-score-adj-values`: three integers in [-2000, 2000].
    OomScoreAdjValues,
    /// `latency-tracking-info-percentiles`: doubles in [0, 100].
    Percentiles,
    /// `websocket-allowed-origins`: up to 64 origins (`scheme://host[:port]`)
    /// or `*`; none means the page's own origin only.
    Origins,
}

fn invalid(reason: &str) -> ConfigError {
    ConfigError::Invalid(reason.to_owned())
}

fn words(args: &[&[u8]]) -> Vec<String> {
    args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect()
}

/// C's strtoll over the whole string (leading spaces and a sign allowed).
fn strtoll_whole(text: &[u8]) -> Option<i64> {
    core::str::from_utf8(text).ok()?.trim_start().parse::<i64>().ok()
}

/// The notification classes, in Redis's flag order.
const EVENT_CLASSES: &[(u8, i64)] = &[
    (b'K', 1 << 0),
    (b'E', 1 << 1),
    (b'g', 1 << 2),
    (b'$', 1 << 3),
    (b'l', 1 << 4),
    (b's', 1 << 5),
    (b'h', 1 << 6),
    (b'z', 1 << 7),
    (b'x', 1 << 8),
    (b'e', 1 << 9),
    (b't', 1 << 10),
    (b'm', 1 << 11),
    (b'd', 1 << 13),
    (b'n', 1 << 14),
];
const NOTIFY_ALL: i64 =
    (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);

/// Parses notification class letters (`keyspaceEventsStringToFlags`).
pub fn parse_event_classes(text: &[u8]) -> Option<i64> {
    let mut flags = 0;
    for c in text {
        flags |= if *c == b'A' {
            NOTIFY_ALL
        } else {
            EVENT_CLASSES.iter().find(|(letter, _)| letter == c)?.1
        };
    }
    Some(flags)
}

fn render_event_classes(flags: i64) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for letter in b"g$lshzxetdn" {
            let (_, bit) = EVENT_CLASSES
                .iter()
                .find(|(l, _)| l == letter)
                .copied()
                .unwrap_or((0, 0));
            if flags & bit != 0 {
                out.push(*letter as char);
            }
        }
    }
    for letter in b"KEm" {
        let (_, bit) = EVENT_CLASSES
            .iter()
            .find(|(l, _)| l == letter)
            .copied()
            .unwrap_or((0, 0));
        if flags & bit != 0 {
            out.push(*letter as char);
        }
    }
    out
}

/// Names of the bits set in `value` (multi-arg enums), or the name of 0.
pub fn render_enum_flags(names: &[(&str, i64)], value: i64) -> String {
    if let Some((name, _)) = names.iter().find(|(_, v)| *v == value) {
        return (*name).to_owned();
    }
    let set: Vec<&str> = names
        .iter()
        .filter(|(_, v)| *v != 0 && value & v == *v)
        .map(|(n, _)| *n)
        .collect();
    set.join(" ")
}

impl Special {
    /// Parses the arguments.
    pub fn parse(self, args: &[&[u8]]) -> Result<Setting, ConfigError> {
        match self {
            Special::Save => {
                let args: &[&[u8]] = if args.len() == 1 && args[0].is_empty() {
                    &[]
                } else {
                    args
                };
                if args.len() % 2 == 1 {
                    return Err(invalid("Invalid save parameters"));
                }
                let mut points = Vec::new();
                for pair in args.chunks(2) {
                    let seconds = strtoll_whole(pair[0]).filter(|s| *s >= 1);
                    let changes = strtoll_whole(pair[1]).filter(|c| *c >= 0);
                    match (seconds, changes) {
                        (Some(seconds), Some(changes)) => points.push(SavePoint {
                            seconds: seconds as u64,
                            changes: changes as u64,
                        }),
                        _ => return Err(invalid("Invalid save parameters")),
                    }
                }
                Ok(Setting::Save(points))
            }
            Special::OutputBufferLimit => {
                if !args.len().is_multiple_of(4) || args.is_empty() {
                    return Err(invalid("Wrong number of arguments in buffer limit configuration."));
                }
                let mut limits = DEFAULT_OUTPUT_BUFFER_LIMITS;
                for group in args.chunks(4) {
                    let class = match group[0].to_ascii_lowercase().as_slice() {
                        b"normal" => 0,
                        b"replica" | b"slave" => 1,
                        b"pubsub" => 2,
                        _ => return Err(invalid("Invalid client class specified in buffer limit configuration.")),
                    };
                    let hard = parse_memory(group[1]);
                    let soft = parse_memory(group[2]);
                    let seconds = strtoll_whole(group[3]).filter(|s| *s >= 0);
                    match (hard, soft, seconds) {
                        (Some(hard), Some(soft), Some(seconds)) => {
                            limits[class] = OutputBufferLimit {
                                hard_bytes: hard as u64,
                                soft_bytes: soft as u64,
                                soft_seconds: seconds as u64,
                            }
                        }
                        _ => {
                            return Err(invalid(
                                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
                            ))
                        }
                    }
                }
                Ok(Setting::OutputBufferLimits(limits))
            }
            Special::Bind | Special::Origins => {
                let (most, reason) = if self == Special::Bind {
                    (16, "Too many bind addresses specified.")
                } else {
                    (64, "Too many allowed origins specified.")
                };
                if args.len() > most {
                    return Err(invalid(reason));
                }
                let args: &[&[u8]] = if args.len() == 1 && args[0].is_empty() {
                    &[]
                } else {
                    args
                };
                Ok(Setting::Words(words(args)))
            }
            Special::ReplicaOf => {
                let [host, port] = args else {
                    return Err(invalid("wrong number of arguments"));
                };
                if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
                    return Ok(Setting::ReplicaOf(None));
                }
                let port = core::str::from_utf8(port)
                    .ok()
                    .and_then(|p| p.parse::<i64>().ok())
                    .filter(|p| (0..=65535).contains(p))
                    .ok_or_else(|| invalid("Invalid master port"))?;
                Ok(Setting::ReplicaOf(Some((
                    String::from_utf8_lossy(host).into_owned(),
                    port as u16,
                ))))
            }
            Special::NotifyKeyspaceEvents => {
                let [classes] = args else {
                    return Err(invalid("wrong number of arguments"));
                };
                let flags = parse_event_classes(classes)
                    .ok_or_else(|| invalid("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."))?;
                Ok(Setting::Words(alloc::vec![render_event_classes(flags)]))
            }
            Special::OomScoreAdjValues => {
                if args.len() != 3 {
                    return Err(invalid("wrong number of arguments"));
                }
                for arg in args {
                    if !strtoll_whole(arg).is_some_and(|v| (-2000..=2000).contains(&v)) {
                        return Err(invalid(
                            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
                        ));
                    }
                }
                Ok(Setting::Words(
                    args.iter()
                        .map(|a| format!("{}", strtoll_whole(a).unwrap_or(0)))
                        .collect(),
                ))
            }
            Special::Percentiles => {
                let args: &[&[u8]] = if args.len() == 1 && args[0].is_empty() {
                    &[]
                } else {
                    args
                };
                let mut out = Vec::new();
                for arg in args {
                    match parse_f64(arg).filter(|p| (0.0..=100.0).contains(p)) {
                        Some(p) => out.push(format!("{}", p)),
                        None => {
                            return Err(invalid(
                                "latency-tracking-info-percentiles parameter should be between 0.0 and 100.0",
                            ))
                        }
                    }
                }
                Ok(Setting::Words(out))
            }
        }
    }

    /// Prints the value as `CONFIG GET` does.
    pub fn render(self, value: &Setting) -> String {
        match value {
            Setting::Save(points) => {
                let parts: Vec<String> = points.iter().map(|p| format!("{} {}", p.seconds, p.changes)).collect();
                parts.join(" ")
            }
            Setting::OutputBufferLimits(limits) => {
                let names = ["normal", "slave", "pubsub"];
                let parts: Vec<String> = limits
                    .iter()
                    .zip(names)
                    .map(|(l, name)| format!("{} {} {} {}", name, l.hard_bytes, l.soft_bytes, l.soft_seconds))
                    .collect();
                parts.join(" ")
            }
            Setting::ReplicaOf(Some((host, port))) => format!("{} {}", host, port),
            Setting::ReplicaOf(None) => String::new(),
            Setting::Words(words) => words.join(" "),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_classes_round_trip() {
        assert_eq!(render_event_classes(parse_event_classes(b"KEA").unwrap()), "AKE");
        assert_eq!(render_event_classes(parse_event_classes(b"Elg").unwrap()), "glE");
        assert!(parse_event_classes(b"Q").is_none());
    }
}
