//! vitrine-core: a Redis 7.0 server as a sans-IO state machine.
//!
//! Bytes in, bytes out: the RESP codec ([`resp`]), the keyspace
//! ([`keyspace`]), the command table ([`cmd`]), configuration ([`config`]),
//! the engine that ties them together ([`engine`]) and the RDB codec
//! ([`rdb`]). No sockets, no files, no clock, no randomness of its own:
//! the host passes the time and
//! a seed, so the same code runs in a native server, in a browser, and in
//! deterministic tests.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod cmd;
pub mod config;
pub mod engine;
pub mod keyspace;
pub mod rdb;
pub mod repl;
pub mod resp;
pub mod util;
