//! Configuration: every Redis 7.0 directive, its type, default and bounds
//! ([`directives`]), and the rules for reading them from a redis.conf
//! file, the command line and `CONFIG SET`, and for printing them in
//! `CONFIG GET`.
//!
//! Pure: reading files and applying changes that need the operating system
//! (a new port, `dir`) are the host's job. Directives whose subsystem does
//! not exist yet are parsed, validated and shown like any other, and
//! [`Config::inactive_directives`] names the ones set away from their
//! defaults, so the host can say so in its log.

pub mod directives;
mod special;

pub use directives::{Id, DIRECTIVES};
pub use special::{OutputBufferLimit, SavePoint};

use crate::util::number::parse_i64;
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Directive flags.
pub mod directive_flag {
    /// Only settable at start-up.
    pub const IMMUTABLE: u32 = 1 << 0;
    /// Holds a secret: never logged.
    pub const SENSITIVE: u32 = 1 << 1;
    /// Not matched by `CONFIG GET` patterns, only by exact name.
    pub const HIDDEN: u32 = 1 << 2;
    /// Settable at run time only with `enable-protected-configs`.
    pub const PROTECTED: u32 = 1 << 3;
    /// Takes several arguments (`save 3600 1 300 100`).
    pub const MULTI_ARG: u32 = 1 << 4;
    /// Its subsystem is not built yet: parsed and shown, but a value other
    /// than the default has no effect, and the log says so.
    pub const NOT_ACTIVE: u32 = 1 << 5;
}

/// Numeric flavours (Redis's `MEMORY_CONFIG`, `PERCENT_CONFIG`, `OCTAL_CONFIG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numeric {
    /// A plain integer.
    Plain,
    /// Bytes, accepting `k`, `kb`, `m`, `mb`, `g`, `gb` units.
    Memory,
    /// Bytes or a percentage (`10%`, stored negated).
    MemoryOrPercent,
    /// Octal (`unixsocketperm`).
    Octal,
}

/// What values a directive takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer within bounds.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
        /// How it is written.
        numeric: Numeric,
        /// Unsigned in Redis (bounds printed with %llu).
        unsigned: bool,
    },
    /// One name of a list (or several, for multi-arg enums, as bit flags).
    Enum(&'static [(&'static str, i64)]),
    /// Free text.
    Text,
    /// A directive with its own syntax.
    Special(special::Special),
}

/// One directive of the table.
#[derive(Clone, Copy, Debug)]
pub struct Directive {
    /// Canonical name.
    pub name: &'static str,
    /// Old name still accepted (and listed by `CONFIG GET *`).
    pub alias: Option<&'static str>,
    /// Value type.
    pub kind: Kind,
    /// Default, in the form CONFIG GET prints it.
    pub default: &'static str,
    /// `directive_flag::*`.
    pub flags: u32,
}

/// A directive's current value.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// Bool directives.
    Bool(bool),
    /// Numeric and enum directives.
    Int(i64),
    /// Text directives.
    Text(String),
    /// `save`.
    Save(Vec<SavePoint>),
    /// `client-output-buffer-limit`: normal, replica, pubsub.
    OutputBufferLimits([OutputBufferLimit; 3]),
    /// Space-separated words (`bind`, `oom-score-adj-values`, …).
    Words(Vec<String>),
    /// `replicaof`: master host and port.
    ReplicaOf(Option<(String, u16)>),
}

/// Why a value was refused. The text is Redis's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No such directive.
    Unknown,
    /// The arguments are wrong; the reason as Redis words it.
    Invalid(String),
    /// `CONFIG SET` of an immutable directive.
    Immutable,
    /// `CONFIG SET` of a protected directive.
    Protected,
}

impl ConfigError {
    /// Redis's reason text.
    pub fn reason(&self) -> String {
        match self {
            ConfigError::Unknown => "Bad directive or wrong number of arguments".to_owned(),
            ConfigError::Invalid(reason) => reason.clone(),
            ConfigError::Immutable => "can't set immutable config".to_owned(),
            ConfigError::Protected => "can't set protected config".to_owned(),
        }
    }
}

/// Values of the directives the hot path reads, copied out of the table so
/// a command never looks a directive up by name.
#[derive(Clone, Debug, Default)]
pub struct Hot {
    /// `databases`.
    pub databases: usize,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: usize,
    /// `maxclients`.
    pub maxclients: usize,
    /// `requirepass` (None when empty).
    pub requirepass: Option<String>,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `hash-max-listpack-entries` / `-value`.
    pub hash_listpack: crate::keyspace::hash::ListpackLimits,
    /// `zset-max-listpack-entries` / `-value`.
    pub zset_listpack: crate::keyspace::hash::ListpackLimits,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `hz`.
    pub hz: u32,
    /// `maxmemory`.
    pub maxmemory: u64,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `timeout` (seconds, 0 = never).
    pub timeout: u64,
    /// `maxmemory-policy` is an LFU policy.
    pub lfu_policy: bool,
    /// `maxmemory-policy` is an LRU policy.
    pub lru_policy: bool,
    /// What keys' access fields record, from `maxmemory-policy`,
    /// `lfu-log-factor` and `lfu-decay-time`.
    pub access_tracking: crate::keyspace::access::Tracking,
}

/// The configuration: one [`Setting`] per directive.
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<Setting>,
    hot: Hot,
    /// A `save` line was read at start-up: later ones add points.
    save_from_file: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a value comes from; decides whether immutable directives may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A config file or the command line, at start-up.
    Startup,
    /// `CONFIG SET` at run time.
    Runtime,
}

impl Config {
    /// Every directive at its default.
    pub fn new() -> Config {
        let values = DIRECTIVES
            .iter()
            .map(|d| {
                let args: Vec<&[u8]> = if d.flags & directive_flag::MULTI_ARG != 0 {
                    d.default
                        .split(' ')
                        .filter(|w| !w.is_empty())
                        .map(str::as_bytes)
                        .collect()
                } else {
                    alloc::vec![d.default.as_bytes()]
                };
                match parse_setting(d, &args) {
                    Ok(value) => value,
                    Err(e) => panic!("default of {} does not parse: {:?}", d.name, e),
                }
            })
            .collect();
        let mut config = Config {
            values,
            hot: Hot::default(),
            save_from_file: false,
        };
        config.refresh_hot();
        config
    }

    /// The directive called `name` (case-insensitive; aliases too).
    pub fn lookup(name: &[u8]) -> Option<Id> {
        DIRECTIVES
            .iter()
            .position(|d| {
                d.name.as_bytes().eq_ignore_ascii_case(name)
                    || d.alias.is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
            })
            .map(Id::from_index)
    }

    /// The hot values.
    #[inline]
    pub fn hot(&self) -> &Hot {
        &self.hot
    }

    /// The value of `id`.
    pub fn setting(&self, id: Id) -> &Setting {
        &self.values[id as usize]
    }

    /// A bool directive's value.
    pub fn bool(&self, id: Id) -> bool {
        matches!(self.values[id as usize], Setting::Bool(true))
    }

    /// A numeric or enum directive's value.
    pub fn int(&self, id: Id) -> i64 {
        match self.values[id as usize] {
            Setting::Int(n) => n,
            Setting::Bool(b) => b as i64,
            _ => 0,
        }
    }

    /// A text directive's value.
    pub fn text(&self, id: Id) -> &str {
        match &self.values[id as usize] {
            Setting::Text(text) => text,
            _ => "",
        }
    }

    /// The words of a multi-word directive (`bind`).
    pub fn words(&self, id: Id) -> &[String] {
        match &self.values[id as usize] {
            Setting::Words(words) => words,
            _ => &[],
        }
    }

    /// No save points and no AOF (Redis's `allPersistenceDisabled`).
    pub fn persistence_disabled(&self) -> bool {
        self.save_points().is_empty() && !self.bool(Id::Appendonly)
    }

    /// `save` points.
    pub fn save_points(&self) -> &[SavePoint] {
        match &self.values[Id::Save as usize] {
            Setting::Save(points) => points,
            _ => &[],
        }
    }

    /// `client-output-buffer-limit` for normal, replica and pubsub clients.
    pub fn output_buffer_limits(&self) -> &[OutputBufferLimit; 3] {
        match &self.values[Id::ClientOutputBufferLimit as usize] {
            Setting::OutputBufferLimits(limits) => limits,
            _ => &special::DEFAULT_OUTPUT_BUFFER_LIMITS,
        }
    }

    /// `replicaof`.
    pub fn replica_of(&self) -> Option<&(String, u16)> {
        match &self.values[Id::Replicaof as usize] {
            Setting::ReplicaOf(master) => master.as_ref(),
            _ => None,
        }
    }

    /// Sets a directive from its arguments (a config line without the name,
    /// or a `CONFIG SET` value split into words for multi-arg directives).
    pub fn set(&mut self, id: Id, args: &[&[u8]], source: Source) -> Result<bool, ConfigError> {
        let directive = &DIRECTIVES[id as usize];
        if source == Source::Runtime {
            if directive.flags & directive_flag::IMMUTABLE != 0 {
                return Err(ConfigError::Immutable);
            }
            if directive.flags & directive_flag::PROTECTED != 0 && self.int(Id::EnableProtectedConfigs) != 1 {
                return Err(ConfigError::Protected);
            }
        }
        let mut value = parse_setting(directive, args)?;
        // A `save` line in a file adds points to the ones read before it.
        if let (Source::Startup, Setting::Save(new), Setting::Save(old)) =
            (source, &mut value, &self.values[id as usize])
        {
            if !new.is_empty() && self.save_from_file {
                let mut merged = old.clone();
                merged.append(new);
                *new = merged;
            }
        }
        if id == Id::Save && source == Source::Startup {
            self.save_from_file = true;
        }
        let changed = self.values[id as usize] != value;
        self.values[id as usize] = value;
        self.refresh_hot();
        Ok(changed)
    }

    /// Applies one line of a config file or of the command line: `args[0]`
    /// is the directive name. `include`, `rename-command`, `user` and
    /// `loadmodule` are the host's business and are refused here.
    pub fn apply_line(&mut self, args: &[&[u8]]) -> Result<(), ConfigError> {
        let Some((name, rest)) = args.split_first() else {
            return Ok(());
        };
        let Some(id) = Self::lookup(name) else {
            // Directives Redis 7.0 still accepts and ignores.
            let deprecated = [
                &b"list-max-ziplist-entries"[..],
                b"list-max-ziplist-value",
                b"lua-replicate-commands",
            ];
            if args.len() == 2 && deprecated.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                return Ok(());
            }
            return Err(ConfigError::Unknown);
        };
        let directive = &DIRECTIVES[id as usize];
        if directive.flags & directive_flag::MULTI_ARG == 0 {
            if rest.len() != 1 {
                return Err(ConfigError::Invalid("wrong number of arguments".to_owned()));
            }
            return self.set(id, rest, Source::Startup).map(|_| ());
        }
        if rest.len() == 1 && !rest[0].is_empty() {
            // `--save "3600 1"` arrives as one argument: split it.
            let mut bytes = Vec::new();
            let mut ranges = Vec::new();
            crate::resp::request::split_args(rest[0], &mut bytes, &mut ranges)
                .map_err(|_| ConfigError::Invalid("Unbalanced quotes in configuration line".to_owned()))?;
            let words: Vec<&[u8]> = ranges.iter().map(|r| &bytes[r.clone()]).collect();
            return self.set(id, &words, Source::Startup).map(|_| ());
        }
        self.set(id, rest, Source::Startup).map(|_| ())
    }

    /// The value of `id` as `CONFIG GET` prints it.
    pub fn render(&self, id: Id) -> String {
        render_setting(&DIRECTIVES[id as usize], &self.values[id as usize])
    }

    /// Directives of unbuilt subsystems set away from their defaults.
    pub fn inactive_directives(&self) -> Vec<&'static str> {
        let defaults = Config::new();
        DIRECTIVES
            .iter()
            .enumerate()
            .filter(|(i, d)| d.flags & directive_flag::NOT_ACTIVE != 0 && self.values[*i] != defaults.values[*i])
            .map(|(_, d)| d.name)
            .collect()
    }

    /// `CONFIG GET` of several patterns: `(name as to print, id)` pairs,
    /// each directive once. Exact names match hidden directives and print
    /// as the caller wrote them; glob patterns match names and aliases.
    pub fn get_matches(patterns: &[&[u8]]) -> Vec<(String, Id)> {
        let mut matches: Vec<(String, Id)> = Vec::new();
        for pattern in patterns {
            if !pattern.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                let name = String::from_utf8_lossy(pattern).into_owned();
                if matches.iter().any(|(n, _)| n == &name) {
                    continue;
                }
                if let Some(id) = Self::lookup(pattern) {
                    matches.push((name, id));
                }
                continue;
            }
            for (i, directive) in DIRECTIVES.iter().enumerate() {
                if directive.flags & directive_flag::HIDDEN != 0 {
                    continue;
                }
                for name in core::iter::once(directive.name).chain(directive.alias) {
                    if matches.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if crate::util::glob::glob_match(pattern, name.as_bytes(), true) {
                        matches.push((name.to_owned(), Id::from_index(i)));
                    }
                }
            }
        }
        matches
    }

    fn refresh_hot(&mut self) {
        let policy = self.int(Id::MaxmemoryPolicy);
        self.hot = Hot {
            databases: self.int(Id::Databases) as usize,
            proto_max_bulk_len: self.int(Id::ProtoMaxBulkLen) as u64,
            client_query_buffer_limit: self.int(Id::ClientQueryBufferLimit) as usize,
            maxclients: self.int(Id::Maxclients) as usize,
            requirepass: Some(self.text(Id::Requirepass).to_owned()).filter(|p| !p.is_empty()),
            protected_mode: self.bool(Id::ProtectedMode),
            hash_listpack: crate::keyspace::hash::ListpackLimits {
                max_entries: self.int(Id::HashMaxListpackEntries) as usize,
                max_value: self.int(Id::HashMaxListpackValue) as usize,
            },
            zset_listpack: crate::keyspace::hash::ListpackLimits {
                max_entries: self.int(Id::ZsetMaxListpackEntries) as usize,
                max_value: self.int(Id::ZsetMaxListpackValue) as usize,
            },
            set_max_intset_entries: self.int(Id::SetMaxIntsetEntries) as usize,
            hz: self.int(Id::Hz).clamp(1, 500) as u32,
            maxmemory: self.int(Id::Maxmemory) as u64,
            replica_read_only: self.bool(Id::ReplicaReadOnly),
            timeout: self.int(Id::Timeout) as u64,
            lru_policy: directives::policy_is_lru(policy),
            lfu_policy: directives::policy_is_lfu(policy),
            access_tracking: if directives::policy_is_lfu(policy) {
                crate::keyspace::access::Tracking::Lfu {
                    log_factor: self.int(Id::LfuLogFactor) as u32,
                    decay_minutes: self.int(Id::LfuDecayTime) as u32,
                }
            } else {
                crate::keyspace::access::Tracking::Lru
            },
        };
    }
}

/// Parses `args` for `directive`.
fn parse_setting(directive: &Directive, args: &[&[u8]]) -> Result<Setting, ConfigError> {
    let single = || -> Result<&[u8], ConfigError> {
        match args {
            [one] => Ok(one),
            _ => Err(ConfigError::Invalid("wrong number of arguments".to_owned())),
        }
    };
    match directive.kind {
        Kind::Bool => {
            let word = single()?;
            if word.eq_ignore_ascii_case(b"yes") {
                Ok(Setting::Bool(true))
            } else if word.eq_ignore_ascii_case(b"no") {
                Ok(Setting::Bool(false))
            } else {
                Err(ConfigError::Invalid("argument must be 'yes' or 'no'".to_owned()))
            }
        }
        Kind::Int {
            min,
            max,
            numeric,
            unsigned,
        } => {
            let value = parse_numeric(single()?, numeric)?;
            let out_of_bounds = if unsigned {
                (value as u64) < (min as u64) || (value as u64) > (max as u64)
            } else if numeric == Numeric::MemoryOrPercent && value < 0 {
                if value < min {
                    return Err(ConfigError::Invalid(format!(
                        "percentage argument must be less or equal to {}",
                        -min
                    )));
                }
                false
            } else {
                value < min || value > max
            };
            if out_of_bounds {
                let reason = match (numeric, unsigned) {
                    (Numeric::Octal, _) => format!("argument must be between {:o} and {:o} inclusive", min, max),
                    (_, true) => format!("argument must be between {} and {} inclusive", min as u64, max as u64),
                    _ => format!("argument must be between {} and {} inclusive", min, max),
                };
                return Err(ConfigError::Invalid(reason));
            }
            Ok(Setting::Int(value))
        }
        Kind::Enum(names) => {
            let multi = directive.flags & directive_flag::MULTI_ARG != 0;
            let mut value = 0i64;
            let mut ok = !args.is_empty() && (multi || args.len() == 1);
            for arg in args {
                match names.iter().find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(arg)) {
                    Some((_, v)) if multi => value |= v,
                    Some((_, v)) => value = *v,
                    None => ok = false,
                }
            }
            if !ok {
                let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                return Err(ConfigError::Invalid(format!(
                    "argument(s) must be one of the following: {}",
                    list.join(", ")
                )));
            }
            Ok(Setting::Int(value))
        }
        Kind::Text => Ok(Setting::Text(String::from_utf8_lossy(single()?).into_owned())),
        Kind::Special(special) => special.parse(args),
    }
}

/// Redis's `memtoull` followed by the percent / octal / plain attempts of
/// `numericParseString`.
fn parse_numeric(text: &[u8], numeric: Numeric) -> Result<i64, ConfigError> {
    if matches!(numeric, Numeric::Memory | Numeric::MemoryOrPercent) {
        if let Some(bytes) = parse_memory(text) {
            return Ok(bytes);
        }
    }
    if numeric == Numeric::MemoryOrPercent && text.len() > 1 && text.ends_with(b"%") {
        if let Some(percent) = parse_i64(&text[..text.len() - 1]).filter(|p| *p >= 0) {
            return Ok(-percent);
        }
    }
    if numeric == Numeric::Octal {
        if let Some(value) = core::str::from_utf8(text)
            .ok()
            .and_then(|t| i64::from_str_radix(t, 8).ok())
        {
            return Ok(value);
        }
    }
    if numeric == Numeric::Plain {
        if let Some(value) = parse_i64(text) {
            return Ok(value);
        }
    }
    Err(ConfigError::Invalid(
        match numeric {
            Numeric::MemoryOrPercent => "argument must be a memory or percent value",
            Numeric::Memory => "argument must be a memory value",
            Numeric::Octal => "argument couldn't be parsed as an octal number",
            Numeric::Plain => "argument couldn't be parsed into an integer",
        }
        .to_owned(),
    ))
}

/// `1gb` → 1073741824, as Redis's `memtoull`: digits then an optional unit
/// (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any case); no sign.
pub fn parse_memory(text: &[u8]) -> Option<i64> {
    let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = &text[digits..];
    let multiplier: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // strtoull of no digits is 0, as in Redis.
    let value: u64 = if digits == 0 {
        0
    } else {
        core::str::from_utf8(&text[..digits]).ok()?.parse().ok()?
    };
    let bytes = value.checked_mul(multiplier)?;
    Some(bytes as i64)
}

fn render_setting(directive: &Directive, value: &Setting) -> String {
    match (directive.kind, value) {
        (_, Setting::Bool(b)) => (if *b { "yes" } else { "no" }).to_owned(),
        (Kind::Enum(names), Setting::Int(v)) => {
            if directive.flags & directive_flag::MULTI_ARG != 0 {
                special::render_enum_flags(names, *v)
            } else {
                names
                    .iter()
                    .find(|(_, n)| n == v)
                    .map(|(name, _)| (*name).to_owned())
                    .unwrap_or_default()
            }
        }
        (Kind::Int { numeric, unsigned, .. }, Setting::Int(v)) => match numeric {
            Numeric::MemoryOrPercent if *v < 0 => format!("{}%", -v),
            Numeric::Octal => format!("{:o}", v),
            _ if unsigned || numeric != Numeric::Plain => format!("{}", *v as u64),
            _ => format!("{}", v),
        },
        (_, Setting::Int(v)) => format!("{}", v),
        (_, Setting::Text(t)) => t.clone(),
        (Kind::Special(special), value) => special.render(value),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_render_as_redis_prints_them() {
        let config = Config::new();
        assert_eq!(config.render(Id::ProtoMaxBulkLen), "536870912");
        assert_eq!(config.render(Id::ClientQueryBufferLimit), "1073741824");
        assert_eq!(config.render(Id::Save), "3600 1 300 100 60 10000");
        assert_eq!(
            config.render(Id::ClientOutputBufferLimit),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(config.render(Id::Appendfsync), "everysec");
        assert_eq!(config.render(Id::Bind), "* -::*");
        assert_eq!(config.hot().databases, 16);
    }

    #[test]
    fn lines_parse_with_units_aliases_and_errors() {
        let mut config = Config::new();
        config.apply_line(&[b"maxmemory", b"1gb"]).unwrap();
        assert_eq!(config.int(Id::Maxmemory), 1 << 30);
        config.apply_line(&[b"slave-serve-stale-data", b"no"]).unwrap();
        assert!(!config.bool(Id::ReplicaServeStaleData));
        config.apply_line(&[b"save", b"10", b"2"]).unwrap();
        config.apply_line(&[b"save", b"20 3"]).unwrap();
        assert_eq!(config.render(Id::Save), "10 2 20 3");
        assert_eq!(config.apply_line(&[b"nosuch", b"1"]), Err(ConfigError::Unknown));
        assert_eq!(
            config.apply_line(&[b"port", b"x"]),
            Err(ConfigError::Invalid(
                "argument couldn't be parsed into an integer".into()
            ))
        );
        assert_eq!(
            config.apply_line(&[b"port", b"70000"]),
            Err(ConfigError::Invalid(
                "argument must be between 0 and 65535 inclusive".into()
            ))
        );
        assert_eq!(
            config.apply_line(&[b"appendfsync", b"sometimes"]),
            Err(ConfigError::Invalid(
                "argument(s) must be one of the following: everysec, always, no".into()
            ))
        );
        assert_eq!(
            config.set(Id::Daemonize, &[b"yes"], Source::Runtime),
            Err(ConfigError::Immutable)
        );
        assert_eq!(config.inactive_directives(), alloc::vec!["maxmemory"]);
    }

    #[test]
    fn config_get_matches_patterns_and_aliases_once() {
        let names: Vec<String> = Config::get_matches(&[b"*slave-read*", b"replica-read-only"])
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(names.contains(&"slave-read-only".to_owned()));
        assert!(names.contains(&"replica-read-only".to_owned()));
        assert_eq!(names.iter().filter(|n| *n == "replica-read-only").count(), 1);
    }
}
