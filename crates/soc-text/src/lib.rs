//! Text for people: how untrusted strings reach a terminal or a log, and how durations read.
//!
//! Workflow names, messages and codes from the server, file names inside archives and paths from a
//! store are data. Printed raw, a name holding `ESC [ 2 J`, an OSC title sequence, a BEL or a
//! right-to-left override would clear a screen, retitle a terminal, ring, or show `exe.gpj` as
//! `jpg.exe`. Every socdrift crate sends such text through [`printable`] (or, for JSON text,
//! [`printable_json`]) on its way out; the CLI's printer does it for every message, warning, hint,
//! error line and log field, so a new message is escaped without anyone remembering to.
//!
//! This crate has no socdrift dependency and no network dependency, so every crate can use it.
//!
//! ```
//! use std::time::Duration;
//!
//! assert_eq!(soc_text::printable("Block IP"), "Block IP");
//! assert_eq!(soc_text::printable("a\u{1b}]0;owned\u{7}b"), "a\\u{1b}]0;owned\\u{7}b");
//! assert_eq!(soc_text::printable("invoice\u{202e}gpj.exe"), "invoice\\u{202e}gpj.exe");
//! assert_eq!(soc_text::duration(Duration::from_nanos(30_000_093_842)), "30s");
//! ```

#![warn(missing_docs)]

use std::borrow::Cow;
use std::time::Duration;

/// An error and its causes on one line, `error: cause: cause of the cause`, for a report field
/// or a problem that holds one string rather than the error itself.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether `c` can change how the text around it is shown, rather than show as itself: C0 and C1
/// control characters (ESC, BEL, CR, newline, CSI, ...), DEL, the bidirectional controls (LRM,
/// RLM, ALM, the embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069) and the Unicode
/// line and paragraph separators, and the zero-width no-break space (U+FEFF, a byte-order mark
/// inside text).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
        )
}

/// `text` with every [unsafe](is_unsafe) character spelled out as a Rust escape (`\n`, `\t`,
/// `\u{1b}`, `\u{202e}`); borrowed when there is nothing to escape.
///
/// The result is one line that shows exactly its own characters, so it cannot forge a line of
/// output, move the cursor or reorder what follows it. Escaping is idempotent: the output holds no
/// unsafe character, so escaping it again changes nothing.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// JSON text with every [unsafe](is_unsafe) character inside its strings written as a JSON escape
/// (`\u202e`), so the text stays valid JSON with the same value and shows only its own characters.
///
/// For text that `serde_json` wrote: it already escapes the C0 controls inside strings, so a raw
/// newline, tab or carriage return in such text is layout between tokens and is kept.
pub fn printable_json(text: &str) -> Cow<'_, str> {
    let escape = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r');
    if !text.contains(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one `\uXXXX` each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A duration as people write it: whole milliseconds below a second (`250ms`), else whole
/// seconds in humantime's style (`30s`, `1m 30s`, `2h 5m`), never `30.000093842s`.
pub fn duration(d: Duration) -> String {
    let millis = (d.as_micros() + 500) / 1000;
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let secs = u64::try_from((millis + 500) / 1000).unwrap_or(u64::MAX);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn error_chain_puts_each_cause_after_its_error() {
        assert_eq!(error_chain(&Layer("alone", None)), "alone");
        let err = Layer(
            "cannot read pack `p1`",
            Some(Box::new(Layer(
                "bad frame",
                Some(Box::new(Layer("unexpected end of file", None))),
            ))),
        );
        assert_eq!(
            error_chain(&err),
            "cannot read pack `p1`: bad frame: unexpected end of file"
        );
    }

    #[test]
    fn printable_escapes_what_could_forge_output() {
        assert_eq!(printable("plain name"), "plain name");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("a\nM forged"), "a\\nM forged");
        assert_eq!(printable("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(printable("c1 \u{9b}31m"), "c1 \\u{9b}31m");
        assert_eq!(printable("del\u{7f}"), "del\\u{7f}");
        assert_eq!(printable("line\u{2028}sep"), "line\\u{2028}sep");
        // Letters from any script stay as they are.
        assert_eq!(
            printable("Blocage IP é 阻止 שלום"),
            "Blocage IP é 阻止 שלום"
        );
    }

    #[test]
    fn printable_json_keeps_json_valid_and_equal() {
        let value = serde_like_string("x\u{202e}y\u{9b}z");
        let text = format!("{{\n  \"name\": {value}\n}}\n");
        let escaped = printable_json(&text);
        assert_eq!(escaped, "{\n  \"name\": \"x\\u202ey\\u009bz\"\n}\n");
        assert!(!escaped.contains(is_unsafe_not_layout));
        assert_eq!(printable_json("{\n\t\"a\": 1\r\n}"), "{\n\t\"a\": 1\r\n}");
    }

    fn serde_like_string(s: &str) -> String {
        format!("\"{s}\"")
    }

    fn is_unsafe_not_layout(c: char) -> bool {
        is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r')
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(Duration::from_nanos(30_000_093_842)), "30s");
        assert_eq!(duration(Duration::from_millis(29_600)), "30s");
        assert_eq!(duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(duration(Duration::from_secs(7_503)), "2h 5m 3s");
        assert_eq!(duration(Duration::from_micros(50_300)), "50ms");
        assert_eq!(duration(Duration::from_micros(999_700)), "1s");
        assert_eq!(duration(Duration::ZERO), "0ms");
    }

    proptest! {
        #[test]
        fn printable_output_is_safe_and_a_fixed_point(text in any::<String>()) {
            let once = printable(&text).into_owned();
            prop_assert!(!once.contains(is_unsafe));
            prop_assert_eq!(printable(&once), once.as_str());
            let json = printable_json(&text).into_owned();
            prop_assert!(!json.contains(is_unsafe_not_layout));
        }
    }
}
