//! How a config error is told: its position in characters as editors
//! count them, serde's message taken apart from fleet's help ([`Invalid`]),
//! and the marked line of the file ([`super::snippet`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::snippet::{self, Seg};
use crate::error::Error;

/// A character for a message: in backticks, or escaped (`'\u{feff}'`)
/// when it would not be seen (whitespace, control and format characters).
pub(super) fn shown(c: char) -> String {
    let invisible = c.is_whitespace() || (!c.is_ascii() && c.escape_debug().count() > 1);
    if c.is_ascii_graphic() || !(invisible || c.is_control()) {
        format!("`{c}`")
    } else {
        format!("{c:?}")
    }
}

/// JSON's whitespace (RFC 8259): the only characters allowed around the
/// document.
pub(super) fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// 1-based line and column of the first character that is not JSON
/// whitespace.
pub(super) fn first_char_position(text: &str) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for c in text.chars() {
        match c {
            '\n' => {
                line += 1;
                col = 1;
            }
            c if is_json_space(c) => col += 1,
            _ => break,
        }
    }
    (line, col)
}

/// serde_json counts columns in bytes (the last byte it read, 0 at the
/// start of a line); editors and compilers count characters from 1.
pub(super) fn char_position(text: &str, line: usize, byte_col: usize) -> (usize, usize) {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else {
        return (line, byte_col.max(1));
    };
    let mut end = byte_col.min(l.len());
    while !l.is_char_boundary(end) {
        end += 1;
    }
    (line, l[..end].chars().count().max(1))
}

/// serde_json appends " at line L column C"; we print the position first.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).unwrap_or(&s).to_string()
}

/// What serde refused in `text`: `file:line:col: path: message`, the help
/// apart, the offending key or value marked on its line.
pub(super) fn refused(src: Source, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let Source { path, text } = src;
    let file = path.display();
    let at = e.path().to_string();
    let steps = snippet::path_of(e.path());
    let inner = e.into_inner();
    let Invalid { message, help } = Invalid::decode(&strip_position(&inner));
    // serde repeats a string given where a map was expected: a password in
    // it is never shown (a bare `user:password@` only where hosts are).
    let message = if at.starts_with("hosts") {
        crate::ssh::redact_any_userinfo(&message)
    } else {
        crate::ssh::redact_userinfo(&message)
    };
    let (line, col) = char_position(text, inner.line(), inner.column());
    let pos = snippet::offset(text, inner.line(), inner.column());
    let err =
        if inner.is_syntax() || inner.is_eof() {
            Error::config(format!("{file}:{line}:{col}: JSON syntax error: {message}"))
                .with_snippet(snippet::at(text, pos, None))
        } else if at.is_empty() || at == "." {
            Error::config(format!("{file}:{line}:{col}: {message}"))
                .with_snippet(snippet::at(text, pos, None))
        } else {
            Error::config(format!("{file}:{line}:{col}: {at}: {message}"))
                .with_snippet(snippet::at(text, pos, steps.as_deref()))
        };
    match help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

/// A value the config refuses: why, and apart from it what to do.
///
/// serde carries a custom error as one string, so an `Invalid` with a help
/// crosses it encoded ([`Invalid::into_serde`]: a marker no message starts
/// with, then JSON) and is taken apart where the config error is made
/// ([`Invalid::decode`]); a plain message passes through as it is.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Invalid {
    message: String,
    help: Option<String>,
}

/// Starts an encoded [`Invalid`]; no message of serde's or fleet's does.
const INVALID_MARK: &str = "\u{0}fleet-invalid:";

impl Invalid {
    pub(super) fn new(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            help: None,
        }
    }

    pub(super) fn help(mut self, help: impl Into<String>) -> Invalid {
        self.help = Some(help.into());
        self
    }

    pub(super) fn into_serde<E: serde::de::Error>(self) -> E {
        E::custom(self.encode())
    }

    /// The one string serde carries: the message, or with a help the
    /// encoded whole.
    pub(super) fn encode(self) -> String {
        match self.help {
            None => self.message,
            Some(_) => format!(
                "{INVALID_MARK}{}",
                serde_json::json!({ "message": self.message, "help": self.help })
            ),
        }
    }

    pub(super) fn decode(text: &str) -> Invalid {
        text.strip_prefix(INVALID_MARK)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| Invalid::new(text))
    }
}

impl From<String> for Invalid {
    fn from(message: String) -> Invalid {
        Invalid::new(message)
    }
}
/// The file a config was read from and its text: what an error points
/// into.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Source<'_> {
    /// A config error about the key at `steps` (which serde read, so it is
    /// in the text): `file:line:col: message`, the key marked.
    pub(super) fn at_key(&self, steps: &[&str], message: String) -> Error {
        let file = self.path.display();
        let steps: Vec<Seg> = steps.iter().map(|s| Seg::Key(s.to_string())).collect();
        match snippet::at_key(self.text, &steps) {
            Some((line, col, s)) => {
                Error::config(format!("{file}:{line}:{col}: {message}")).with_snippet(s)
            }
            None => Error::config(format!("{file}: {message}")),
        }
    }
}
