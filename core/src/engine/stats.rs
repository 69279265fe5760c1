//! Counters for `INFO stats`, `INFO commandstats` and `INFO errorstats`.

use crate::resp::reply::Reply;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Redis stops tracking new error codes past this many (`ERROR_STATS_NUMBER`).
const MAX_ERROR_CODES: usize = 128;

/// Per-command counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandStat {
    /// Times run.
    pub calls: u64,
    /// Refused before running (arity, auth, …).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
    /// Microseconds spent running it.
    pub usec: u64,
}

/// Server-wide counters.
#[derive(Debug)]
pub struct Stats {
    /// Start time (Unix ms).
    pub start_ms: i64,
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Connections refused.
    pub rejected_connections: u64,
    /// Commands run.
    pub total_commands_processed: u64,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
    /// Error replies sent.
    pub total_error_replies: u64,
    /// Per command, by table index.
    pub commands: Vec<CommandStat>,
    /// Per error code.
    pub errors: BTreeMap<Vec<u8>, u64>,
    /// The error table is full; new codes are no longer tracked.
    errors_disabled: bool,
    /// Commands processed at each of the last 16 samples.
    ops_samples: [u64; 16],
    sample_index: usize,
    last_sample_ms: i64,
    last_sample_commands: u64,
}

impl Stats {
    /// Counters starting at `now_ms`.
    pub fn new(now_ms: i64) -> Stats {
        Stats {
            start_ms: now_ms,
            total_connections_received: 0,
            rejected_connections: 0,
            total_commands_processed: 0,
            dirty: 0,
            total_error_replies: 0,
            commands: Vec::new(),
            errors: BTreeMap::new(),
            errors_disabled: false,
            ops_samples: [0; 16],
            sample_index: 0,
            last_sample_ms: now_ms,
            last_sample_commands: 0,
        }
    }

    fn command(&mut self, index: usize) -> &mut CommandStat {
        if self.commands.len() <= index {
            self.commands.resize(index + 1, CommandStat::default());
        }
        &mut self.commands[index]
    }

    /// A command ran.
    #[inline]
    pub fn command_called(&mut self, index: usize, failed: bool, usec: u64) {
        self.total_commands_processed += 1;
        let stat = self.command(index);
        stat.calls += 1;
        stat.usec += usec;
        if failed {
            stat.failed_calls += 1;
        }
    }

    /// A command was refused before running.
    pub fn command_rejected(&mut self, index: usize) {
        self.command(index).rejected_calls += 1;
    }

    /// Counts the error replies `reply` wrote since the last call.
    #[inline]
    pub fn record_errors(&mut self, reply: &mut Reply) {
        if !reply.has_error_codes() {
            return;
        }
        for code in reply.take_error_codes() {
            self.total_error_replies += 1;
            let code = code.as_bytes().to_vec();
            if let Some(count) = self.errors.get_mut(&code) {
                *count += 1;
            } else if self.errors.len() < MAX_ERROR_CODES && !self.errors_disabled {
                self.errors.insert(code, 1);
            } else {
                self.errors_disabled = true;
            }
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&mut self) {
        let start = self.start_ms;
        let dirty = self.dirty;
        *self = Stats::new(self.last_sample_ms);
        self.start_ms = start;
        self.dirty = dirty;
    }

    /// Samples the command rate (`instantaneous_ops_per_sec`), at most
    /// once per 100 ms as Redis does.
    pub fn cron(&mut self, now_ms: i64, _hz: i64) {
        let elapsed = now_ms - self.last_sample_ms;
        if elapsed < 100 {
            return;
        }
        let ops = self.total_commands_processed - self.last_sample_commands;
        self.ops_samples[self.sample_index] = ops * 1000 / elapsed as u64;
        self.sample_index = (self.sample_index + 1) % self.ops_samples.len();
        self.last_sample_ms = now_ms;
        self.last_sample_commands = self.total_commands_processed;
    }

    /// Average of the recent samples.
    pub fn instantaneous_ops_per_sec(&self) -> u64 {
        self.ops_samples.iter().sum::<u64>() / self.ops_samples.len() as u64
    }
}
