//! The command line of `redis-server`: `[configfile] [--directive value …]`,
//! turned into config lines exactly as Redis's `main()` does (arguments are
//! quoted with `sdscatrepr`, `--save` alone means `save ""`).

use std::path::PathBuf;

/// What the command line asked for.
#[derive(Debug, Default)]
pub struct CommandLine {
    /// The config file, if the first argument names one.
    pub config_file: Option<PathBuf>,
    /// The `--directive value` options as config-file lines.
    pub options: String,
}

/// What to do instead of starting the server.
#[derive(Debug, PartialEq, Eq)]
pub enum EarlyExit {
    /// `-v` / `--version`.
    Version,
    /// `-h` / `--help`.
    Usage,
}

/// Parses `argv` (without the program name).
pub fn parse_command_line(args: &[String]) -> Result<CommandLine, EarlyExit> {
    let mut command_line = CommandLine::default();
    let Some(first) = args.first() else {
        return Ok(command_line);
    };
    match first.as_str() {
        "-v" | "--version" => return Err(EarlyExit::Version),
        "-h" | "--help" => return Err(EarlyExit::Usage),
        _ => {}
    }
    let mut rest = args;
    if !first.starts_with('-') {
        command_line.config_file = Some(PathBuf::from(first));
        rest = &args[1..];
    }
    let mut options = String::new();
    let mut last_had_argument = true;
    for (i, arg) in rest.iter().enumerate() {
        let is_last = i + 1 == rest.len();
        if last_had_argument && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let mut bytes = Vec::new();
            let mut ranges = Vec::new();
            let words = match vitrine_core::resp::request::split_args(arg.as_bytes(), &mut bytes, &mut ranges) {
                Ok(()) => ranges.len(),
                Err(_) => 0,
            };
            if words == 1 {
                last_had_argument = false;
                let next_is_option = rest.get(i + 1).is_some_and(|n| n.starts_with("--"));
                if arg.eq_ignore_ascii_case("--save") && (is_last || next_is_option) {
                    options.push_str("\"\"");
                    last_had_argument = true;
                }
            } else {
                last_had_argument = true;
            }
        } else {
            options.push_str(&vitrine_core::util::repr::quoted(arg.as_bytes()));
            options.push(' ');
            last_had_argument = true;
        }
    }
    command_line.options = options;
    Ok(command_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_command_line(&args).unwrap().options
    }

    #[test]
    fn builds_lines_like_redis_main() {
        assert_eq!(
            options(&["--port", "7000", "--daemonize", "no"]),
            "port \"7000\" \ndaemonize \"no\" "
        );
        assert_eq!(options(&["--save", "--port", "1"]), "save \"\"\nport \"1\" ");
        assert_eq!(options(&["--save"]), "save \"\"");
        assert_eq!(
            options(&["--slaveof", "127.0.0.1", "6379"]),
            "slaveof \"127.0.0.1\" \"6379\" "
        );
        let args = vec!["redis.conf".to_string(), "--port".to_string(), "1".to_string()];
        assert_eq!(
            parse_command_line(&args).unwrap().config_file,
            Some(PathBuf::from("redis.conf"))
        );
        assert_eq!(parse_command_line(&["-v".to_string()]).unwrap_err(), EarlyExit::Version);
    }
}
