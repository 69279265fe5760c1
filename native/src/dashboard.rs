//! The dashboard's files, embedded in the binary so that one executable
//! serves them: the WebSocket listener answers `GET <path>` with
//! [`file`]. Never here: HTTP, which is [`crate::websocket`]'s.

/// The embedded file served at `path` (without its query string) and its
/// `Content-Type`, or `None` (404).
pub fn file(path: &str) -> Option<(&'static [u8], &'static str)> {
    match path {
        "/" | "/index.html" => Some((include_bytes!("../../www/index.html"), "text/html; charset=utf-8")),
        _ => None,
    }
}
