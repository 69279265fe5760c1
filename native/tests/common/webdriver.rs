//! A small WebDriver client: chromedriver and one headless Chromium
//! session, driven through the WebDriver HTTP API (JSON over HTTP/1.1).
//! Shared by the browser test (`tests/browser.rs`) and the browser
//! benchmark (`benches/browser.rs`). Every call has a timeout; the
//! chromedriver process is the one started here, stopped by its handle.

use super::free_port;
use super::repl::wait_for;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver process and one headless Chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    /// One browser at a time: two Chromiums on a loaded 2-core machine
    /// make each other's timings meaningless.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One HTTP/1.1 request to 127.0.0.1:`port` (`Connection: close`): the
/// status line and the body, or what went wrong. Reads time out after
/// `timeout`.
pub fn http(port: u16, method: &str, path: &str, body: &[u8], timeout: Duration) -> Result<(String, Vec<u8>), String> {
    let io = |e: std::io::Error| e.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut length = None;
    let mut status = String::new();
    reader.read_line(&mut status).map_err(io)?;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut text = Vec::new();
    match length {
        Some(n) => {
            text.resize(n, 0);
            reader.read_exact(&mut text).map_err(io)?;
        }
        None => {
            reader.read_to_end(&mut text).map_err(io)?;
        }
    }
    Ok((status.trim().to_string(), text))
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with `extra_args` on
    /// its command line (`None` when either is not installed:
    /// `scripts/test` installs both).
    pub fn start(extra_args: &[&str]) -> Option<Browser> {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())?;
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _turn: turn,
        };
        wait_for("chromedriver ready", Duration::from_secs(30), || {
            browser
                .try_request("GET", "/status", None)
                .is_ok_and(|status| status["ready"] == json!(true))
        });
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1400,1000",
        ];
        args.extend_from_slice(extra_args);
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args
            }
        }}});
        // A loaded machine may drop the first attempt.
        let mut created = browser.try_request("POST", "/session", Some(&capabilities));
        for _ in 0..2 {
            if created.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
            created = browser.try_request("POST", "/session", Some(&capabilities));
        }
        let created = created.unwrap_or_else(|error| panic!("no Chromium session: {error}"));
        browser.session = created["sessionId"].as_str().expect("a session id").to_string();
        browser.command("POST", "timeouts", json!({"script": 60_000, "pageLoad": 60_000}));
        Some(browser)
    }

    /// One WebDriver call; the response's `value`.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.try_request(method, path, body)
            .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}"))
    }

    /// One WebDriver call: the response's `value`, or what went wrong.
    pub fn try_request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let (status, text) = http(self.port, method, path, body.as_bytes(), Duration::from_secs(120))?;
        let reply: Value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
        let value = reply["value"].clone();
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!("{status} {} {}", value["error"], value["message"]));
        }
        Ok(value)
    }

    /// A call on the session.
    pub fn command(&self, method: &str, path: &str, body: Value) -> Value {
        self.request(method, &format!("/session/{}/{path}", self.session), Some(&body))
    }

    /// Loads `url` in the session's window.
    pub fn open(&self, url: &str) {
        self.command("POST", "url", json!({ "url": url }));
    }

    /// Runs `body` (an async function body) in the page; its result.
    pub fn eval(&self, body: &str) -> Value {
        let script = format!("return (async () => {{ {body} }})();");
        self.command("POST", "execute/sync", json!({"script": script, "args": []}))
    }

    /// Polls `condition` (a JS expression) every 25 ms until it holds;
    /// panics naming `what` after `within`. Each script runs for at most
    /// 20 s (the session's script timeout is 60 s), so long waits take
    /// several.
    pub fn wait(&self, what: &str, condition: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let ms = left.min(Duration::from_secs(20)).as_millis();
            let done = self.eval(&format!(
                "const end = Date.now() + {ms};
                 do {{
                   try {{ if ({condition}) return true; }} catch (e) {{}}
                   await new Promise(r => setTimeout(r, 25));
                 }} while (Date.now() < end);
                 return false;"
            ));
            if done == json!(true) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what} within {} ms; page stats: {}",
                within.as_millis(),
                self.stats()
            );
        }
    }

    /// `window.replica.stats()`, or null when the page has no replica.
    pub fn stats(&self) -> Value {
        self.eval("return window.replica ? window.replica.stats() : null;")
    }

    /// A PNG of the page.
    pub fn screenshot(&self) -> Vec<u8> {
        let encoded = self.request("GET", &format!("/session/{}/screenshot", self.session), None);
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 text"))
            .expect("base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = self.try_request("DELETE", &path, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
