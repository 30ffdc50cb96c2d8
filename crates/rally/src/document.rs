//! The HTML document around a server-rendered view: head, the rendered body, the payload, and the
//! module script that boots the browser bundle.

use rally_view::render::{escape_attr, escape_text};

/// The id of the element holding the server-rendered view.
pub const APP_ROOT_ID: &str = "app";
/// The id of the `<script>` holding the payload.
pub const PAYLOAD_ID: &str = "rally-payload";

/// The inline script of every hydrating page (`early-events.min.js`, 840 bytes, 495
/// gzipped): until the page hydrates it holds clicks on buttons and submits of save forms
/// inside `#app`, and `window.__rallyReplay()` (called by the runtime in the task after
/// hydration) replays them in order. Links and other forms go on natively. If the page has
/// not hydrated after 10 s (its wasm failed), it lets go: held save forms are posted
/// natively, held clicks are dropped with a warning.
pub const EARLY_EVENTS: &str = include_str!("early-events.min.js");

/// A page to send: title, extra head markup, the rendered view and what the browser needs.
#[derive(Clone, Debug, Default)]
pub struct Document<'a> {
    /// The `<title>`, escaped on output.
    pub title: &'a str,
    /// The `lang` of `<html>`.
    pub lang: &'a str,
    /// The `data-theme` of `<html>` (`light`, `dark`), if any.
    pub theme: Option<&'a str>,
    /// Trusted markup for `<head>` (stylesheets, meta tags), written as is.
    pub head: &'a str,
    /// The view rendered with `rally_view::render::to_html`.
    pub body: &'a str,
    /// The payload from [`crate::payload::encode`], if the page hydrates.
    pub payload: Option<&'a str>,
    /// URL of the wasm-bindgen JS module to boot (`/pkg/app.js`); its wasm is preloaded.
    pub script: Option<&'a str>,
    /// The response's Content-Security-Policy nonce, written on the boot script.
    pub nonce: Option<&'a str>,
    /// A notice for the user above the page, outside what hydrates: the error of a save the
    /// browser posted as a form.
    pub notice: Option<&'a str>,
}

impl Document<'_> {
    /// The full HTML document.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.capacity());
        out.push_str("<!doctype html><html lang=\"");
        escape_attr(
            if self.lang.is_empty() {
                "en"
            } else {
                self.lang
            },
            &mut out,
        );
        if let Some(theme) = self.theme {
            out.push_str("\" data-theme=\"");
            escape_attr(theme, &mut out);
        }
        out.push_str("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
        escape_text(self.title, &mut out);
        out.push_str("</title>");
        if let Some(script) = self.script {
            out.push_str("<link rel=\"modulepreload\" href=\"");
            escape_attr(script, &mut out);
            out.push_str("\">");
            if let Some(wasm) = script.strip_suffix(".js") {
                out.push_str("<link rel=\"preload\" as=\"fetch\" type=\"application/wasm\" crossorigin href=\"");
                escape_attr(wasm, &mut out);
                out.push_str("_bg.wasm\">");
            }
        }
        if self.script.is_some() {
            // Before anything is shown: what the user does until the page hydrates is kept.
            out.push_str("<script");
            if let Some(nonce) = self.nonce {
                out.push_str(" nonce=\"");
                escape_attr(nonce, &mut out);
                out.push('"');
            }
            out.push('>');
            out.push_str(EARLY_EVENTS);
            out.push_str("</script>");
        }
        out.push_str(self.head);
        out.push_str("</head><body>");
        if let Some(notice) = self.notice {
            out.push_str("<p class=\"rally-notice\" role=\"alert\">");
            escape_text(notice, &mut out);
            out.push_str("</p>");
        }
        out.push_str("<div id=\"");
        out.push_str(APP_ROOT_ID);
        out.push_str("\">");
        out.push_str(self.body);
        out.push_str("</div>");
        if let Some(payload) = self.payload {
            out.push_str("<script type=\"application/octet-stream\" id=\"");
            out.push_str(PAYLOAD_ID);
            out.push_str("\">");
            // base64url: nothing here can close the element.
            out.push_str(payload);
            out.push_str("</script>");
        }
        if let Some(script) = self.script {
            out.push_str("<script type=\"module\"");
            if let Some(nonce) = self.nonce {
                out.push_str(" nonce=\"");
                escape_attr(nonce, &mut out);
                out.push('"');
            }
            out.push_str(">import init from \"");
            // A JS string inside a script element: the URL is ours, but keep it inert anyway.
            for c in script.chars() {
                match c {
                    '"' | '\\' | '<' | '>' => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push_str("\";init();</script>");
        }
        out.push_str("</body></html>");
        out
    }

    /// What the document will take, near enough that [`render`](Self::render) never grows its
    /// string: growing copied a page's whole body once more (~10 KB for the Scoreboard's
    /// `/games`, whose payload and boot scripts did not fit the old 1 KiB allowance).
    fn capacity(&self) -> usize {
        // Escaping may lengthen the few short texts; the fixed markup is under 1 KiB.
        const MARKUP: usize = 1024;
        let script = self.script.map_or(0, |s| {
            3 * s.len() + EARLY_EVENTS.len() + 2 * self.nonce.map_or(0, str::len)
        });
        MARKUP
            + self.title.len()
            + self.lang.len()
            + self.head.len()
            + self.body.len()
            + self.payload.map_or(0, str::len)
            + self.notice.map_or(0, str::len)
            + script
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_escapes_title_and_keeps_body() {
        let html = Document {
            title: "</title><script>x</script>",
            body: "<p>hi</p>",
            payload: Some("AbC_-"),
            script: Some("/pkg/app.js"),
            ..Default::default()
        }
        .render();
        assert!(html.contains("<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>"));
        assert!(html.contains("<div id=\"app\"><p>hi</p></div>"));
        assert!(html.contains(
            "<script type=\"application/octet-stream\" id=\"rally-payload\">AbC_-</script>"
        ));
        assert!(html.contains("href=\"/pkg/app_bg.wasm\""));
        assert!(html.contains("<script type=\"module\">import init from \"/pkg/app.js\";init();"));
    }

    #[test]
    fn the_boot_script_carries_the_nonce() {
        let html = Document {
            script: Some("/pkg/app.js"),
            nonce: Some("abc+/="),
            ..Default::default()
        }
        .render();
        assert!(html.contains("<script type=\"module\" nonce=\"abc+/=\">import init"));
    }

    #[test]
    fn a_document_is_written_without_growing_its_string() {
        let body = "<li>row</li>".repeat(900);
        let payload = "A".repeat(1_700);
        let head = r#"<link rel="stylesheet" href="/assets/app.css">"#.repeat(4);
        for script in [None, Some("/pkg/public/0c1a4ae4f0aa6be5/app.js")] {
            let doc = Document {
                title: "Games & scores",
                lang: "en",
                theme: Some("dark"),
                head: &head,
                body: &body,
                payload: Some(&payload),
                script,
                nonce: Some("7/S7wtZ3qPtZ+w29CtrL9Q=="),
                notice: Some("The save failed: <try again>"),
            };
            let html = doc.render();
            assert!(
                html.capacity() == doc.capacity(),
                "grew from {} to {} for {} bytes",
                doc.capacity(),
                html.capacity(),
                html.len()
            );
        }
    }
}
