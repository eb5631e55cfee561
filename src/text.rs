//! Text from an engine made safe for a terminal before it is printed.
//!
//! Container names, lock labels, images, docker's stderr and the reasons
//! built from them are written by whoever can reach the engine. Printed
//! raw, an ESC sequence in one retitles or clears the terminal, and a
//! newline forges a fleet line (`[agents-sync] removed: everything`).
//! [`terminal_safe`] writes every character a terminal acts on as a
//! visible escape, in Rust's `escape_debug` spelling: `\n`, `\r`, `\t`,
//! `\0`, and `\u{hex}` for the rest (ESC is `\u{1b}`). Those characters
//! are the C0 controls (U+0000–U+001F), DEL (U+007F), the C1 controls
//! (U+0080–U+009F), the Unicode bidi embeddings, overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069), which reorder what follows on screen,
//! and the line and paragraph separators (U+2028, U+2029). A backslash is
//! left as it is: the escapes are for the eye, not to be read back.
//!
//! [`terminal_safe_lines`] keeps the line breaks of a value that may be
//! several lines (docker's stderr), each line escaped and every line after
//! the first indented, so no line of it can pass for one of fleet's.
//!
//! JSON needs none of this: serde_json writes every C0 control in a string
//! as an escape.

use std::borrow::Cow;

/// Whether a terminal may act on `c` rather than show it.
fn unsafe_char(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `s` with every character a terminal acts on written as a visible escape
/// (see the module doc), newlines included: one line.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as lines: each escaped as [`terminal_safe`] does, kept apart by
/// `\n` (a `\r\n` counts as one break; trailing breaks are dropped), every
/// line after the first prefixed with `indent`.
pub fn terminal_safe_lines<'a>(s: &'a str, indent: &str) -> Cow<'a, str> {
    let s = s.trim_end_matches(['\n', '\r']);
    if !s.contains('\n') {
        return terminal_safe(s);
    }
    let lines: Vec<Cow<str>> = s
        .split('\n')
        .map(|l| terminal_safe(l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    Cow::Owned(lines.join(&format!("\n{indent}")))
}
