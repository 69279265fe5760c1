//! Reading the configuration as `redis-server` does: an optional config
//! file (with `include`), then the command line's `--directive value …`
//! appended as more lines, so the command line wins. Errors stop start-up
//! with Redis's message and exit code 1.

mod args;
mod rewrite;

pub use rewrite::rewrite;

pub use args::{parse_command_line, CommandLine, EarlyExit};

use std::path::{Path, PathBuf};
use vitrine_core::config::{Config, ConfigError, Id};
use vitrine_core::resp::request::split_args;

/// What start-up needs from the configuration.
pub struct Loaded {
    /// The directives.
    pub config: Config,
    /// `rename-command old new` lines, in order.
    pub renames: Vec<(Vec<u8>, Vec<u8>)>,
    /// Absolute path of the config file, if any.
    pub config_file: Option<PathBuf>,
}

/// A fatal configuration error, printed as Redis prints it.
#[derive(Debug)]
pub struct Fatal(pub String);

impl Fatal {
    fn at_line(line_number: usize, line: &str, reason: &str) -> Fatal {
        Fatal(format!(
            "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
            vitrine_core::engine::REDIS_VERSION,
            line_number,
            line,
            reason
        ))
    }
}

/// Loads `command_line`'s config file and options into a configuration.
pub fn load(command_line: &CommandLine) -> Result<Loaded, Fatal> {
    let mut loaded = Loaded {
        config: Config::new(),
        renames: Vec::new(),
        config_file: None,
    };
    let mut text = String::new();
    if let Some(path) = &command_line.config_file {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        text = read_file(path)?;
        loaded.config_file = Some(absolute);
    }
    text.push('\n');
    text.push_str(&command_line.options);
    apply_text(&mut loaded, &text, 0)?;
    // `dir` is where the server lives: report it as an absolute path.
    if let Ok(cwd) = std::env::current_dir() {
        let _ = loaded.config.set(
            Id::Dir,
            &[cwd.to_string_lossy().as_bytes()],
            vitrine_core::config::Source::Startup,
        );
    }
    Ok(loaded)
}

fn read_file(path: &Path) -> Result<String, Fatal> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| {
            Fatal(format!(
                "Fatal error, can't open config file '{}': {}",
                path.display(),
                os_error(&e)
            ))
        })
}

/// The C library's text for an I/O error (`strerror`), without Rust's
/// "(os error N)" suffix.
pub fn os_error(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Applies config text line by line (`loadServerConfigFromString`).
fn apply_text(loaded: &mut Loaded, text: &str, depth: usize) -> Result<(), Fatal> {
    for (index, raw_line) in text.split('\n').enumerate() {
        let line = raw_line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut bytes = Vec::new();
        let mut ranges = Vec::new();
        if split_args(line.as_bytes(), &mut bytes, &mut ranges).is_err() {
            return Err(Fatal::at_line(
                index + 1,
                line,
                "Unbalanced quotes in configuration line",
            ));
        }
        if ranges.is_empty() {
            continue;
        }
        let mut words: Vec<Vec<u8>> = ranges.iter().map(|r| bytes[r.clone()].to_vec()).collect();
        words[0].make_ascii_lowercase();
        let fail = |reason: &str| Fatal::at_line(index + 1, line, reason);
        match words[0].as_slice() {
            b"include" if words.len() == 2 => {
                if depth > 16 {
                    return Err(fail("Too many nested includes"));
                }
                for path in expand_include(&String::from_utf8_lossy(&words[1]))? {
                    let included = read_file(&path)?;
                    apply_text(loaded, &included, depth + 1)?;
                }
            }
            b"rename-command" if words.len() == 3 => {
                loaded.renames.push((words[1].clone(), words[2].clone()));
            }
            b"user" | b"loadmodule" | b"sentinel" if words.len() >= 2 => {
                return Err(fail(&format!(
                    "The '{}' directive is not supported by vitrine",
                    String::from_utf8_lossy(&words[0])
                )));
            }
            _ => {
                let args: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
                if args[0] == b"dir" {
                    change_dir(&args).map_err(|reason| fail(&reason))?;
                }
                match loaded.config.apply_line(&args) {
                    Ok(()) => {}
                    Err(ConfigError::Unknown) => return Err(fail("Bad directive or wrong number of arguments")),
                    Err(error) => return Err(fail(&error.reason())),
                }
            }
        }
    }
    Ok(())
}

/// `dir` takes effect at once, as Redis's `chdir` in the setter does.
fn change_dir(args: &[&[u8]]) -> Result<(), String> {
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    let path = String::from_utf8_lossy(args[1]).into_owned();
    std::env::set_current_dir(&path).map_err(|e| os_error(&e))
}

/// An `include` argument: a path, or a glob pattern in its last component.
fn expand_include(pattern: &str) -> Result<Vec<PathBuf>, Fatal> {
    let path = Path::new(pattern);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut matches: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Fatal(format!(
                "Fatal error, can't open config file '{}': {}",
                pattern,
                os_error(&e)
            ))
        })?
        .filter_map(Result::ok)
        .filter(|entry| {
            vitrine_core::util::glob::glob_match(name.as_bytes(), entry.file_name().to_string_lossy().as_bytes(), false)
        })
        .map(|entry| entry.path())
        .collect();
    matches.sort();
    Ok(matches)
}
