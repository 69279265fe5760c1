//! Hash commands (placeholder: filled in by the hash family work).

use super::spec::Command;

/// The hash commands.
pub static COMMANDS: &[Command] = &[];
