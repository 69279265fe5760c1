//! The dashboard's files, embedded in the binary so that one executable
//! serves them: `www/` and the browser replica (wasm-bindgen's glue, its
//! TypeScript types and the wasm), which `build.rs` builds and lists. The
//! WebSocket listener answers `GET <path>` with [`file`]. Never here:
//! HTTP, which is the listener's.

include!(concat!(env!("OUT_DIR"), "/dashboard_files.rs"));

/// The embedded file served at `path` (without its query string) and its
/// `Content-Type`, or `None` (404). `/` is the page itself.
pub fn file(path: &str) -> Option<(&'static [u8], &'static str)> {
    let path = if path == "/" { "/index.html" } else { path };
    FILES
        .iter()
        .find(|(name, ..)| *name == path)
        .map(|&(_, bytes, kind)| (bytes, kind))
}

#[cfg(test)]
mod tests {
    use super::file;

    #[test]
    fn the_page_its_module_and_the_wasm_are_served() {
        let (page, kind) = file("/").expect("the page");
        assert_eq!(kind, "text/html; charset=utf-8");
        assert!(std::str::from_utf8(page).expect("utf-8").contains("vitrine"));
        assert_eq!(file("/index.html"), Some((page, kind)));
        let (glue, kind) = file("/vitrine_web.js").expect("the glue");
        assert_eq!(kind, "text/javascript; charset=utf-8");
        assert!(std::str::from_utf8(glue)
            .expect("utf-8")
            .contains("export class Replica"));
        let (wasm, kind) = file("/vitrine_web_bg.wasm").expect("the wasm");
        assert_eq!(kind, "application/wasm");
        assert_eq!(wasm.get(..4), Some(&b"\0asm"[..]));
        assert!(file("/app.js").is_some() && file("/style.css").is_some());
        assert_eq!(file("/README.md"), None);
        assert_eq!(file("/../Cargo.toml"), None);
    }
}
