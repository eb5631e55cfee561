//! Where in the file a config error is: the key or value to mark, found
//! from serde's position and the error's JSON path, on its line as shown
//! to the operator, with every env value and password on it hidden.
//!
//! A small JSON tokenizer follows the structure to know each token's path.
//! Past anything it cannot read (the syntax error being reported, say) it
//! no longer knows paths, and hides every string there that is not a key.

use std::ops::Range;

use crate::error::Snippet;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from serde_path_to_error; `None` where a step is not a plain
/// key or index.
pub(crate) fn path_of(p: &serde_path_to_error::Path) -> Option<Vec<Seg>> {
    p.iter()
        .map(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
            _ => None,
        })
        .collect()
}

/// The byte offset of the character serde_json reports an error at: on
/// `line` (1-based), after `byte_col` bytes of it were read.
pub fn offset(text: &str, line: usize, byte_col: usize) -> usize {
    let start = line_start(text, line);
    let mut pos = (start + byte_col.saturating_sub(1)).min(line_end(text, start));
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}

/// The snippet for an error at byte `pos` about the value at `path`
/// (`None` or empty: about the character at `pos` itself).
pub fn at(text: &str, pos: usize, path: Option<&[Seg]>) -> Snippet {
    let tokens = tokenize(text);
    let span = match path {
        Some(path) if !path.is_empty() => mark(&tokens, pos, path),
        _ => None,
    };
    let span = span.unwrap_or_else(|| pos..next_char(text, pos));
    shown(text, &tokens, span)
}

/// The snippet for an error about the key at `path` (the last step a key),
/// and its 1-based line and column in characters; `None` if the file has
/// no such key.
pub(crate) fn at_key(text: &str, path: &[Seg]) -> Option<(usize, usize, Snippet)> {
    let tokens = tokenize(text);
    let key = tokens
        .iter()
        .find(|t| t.role == Role::Key && t.path.as_deref() == Some(path))?;
    let start = key.span.start;
    let line = 1 + text[..start].matches('\n').count();
    let col = 1 + text[line_start(text, line)..start].chars().count();
    Some((line, col, shown(text, &tokens, key.span.clone())))
}

/// What to mark for an error at `pos` about `path`: the scalar under the
/// position, else the last key or value at `path` before it.
fn mark(tokens: &[Token], pos: usize, path: &[Seg]) -> Option<Range<usize>> {
    if let Some(t) = tokens
        .iter()
        .find(|t| t.span.contains(&pos) && t.kind == Kind::Scalar)
    {
        return Some(t.span.clone());
    }
    let t = tokens.iter().rev().find(|t| {
        t.span.start <= pos
            && matches!(t.role, Role::Key | Role::Value)
            && t.path.as_deref() == Some(path)
    })?;
    Some(match t.closed_at {
        Some(end) => t.span.start..end,
        None => t.span.clone(),
    })
}

/// The line where `span` starts, env values (and strings past what the
/// tokenizer could read) replaced by `"<hidden>"`, and `span` moved to
/// match (cut at the line's end).
fn shown(text: &str, tokens: &[Token], span: Range<usize>) -> Snippet {
    let line = 1 + text[..span.start].matches('\n').count();
    let start = line_start(text, line);
    let end = line_end(text, start);
    // Cut at the line: a string that never closes runs past a `\r`.
    let hidden: Vec<Range<usize>> = tokens
        .iter()
        .filter(|t| t.span.start < end && t.span.end > start && t.hidden(text))
        .map(|t| t.span.start.max(start)..t.span.end.min(end))
        .collect();
    // Where byte `o` of the file lands on the shown line; inside a hidden
    // string, its start (or its end, for the end of the span).
    let moved = |o: usize, is_end: bool| -> usize {
        let mut shift = 0isize;
        for h in &hidden {
            if o <= h.start {
                break;
            }
            if o < h.end {
                let at = (h.start - start).saturating_add_signed(shift);
                return at + if is_end { HIDDEN.len() } else { 0 };
            }
            shift += HIDDEN.len() as isize - h.len() as isize;
        }
        (o - start).saturating_add_signed(shift)
    };
    let mut out = String::new();
    let mut at = start;
    for h in &hidden {
        out.push_str(&text[at..h.start]);
        out.push_str(HIDDEN);
        at = h.end;
    }
    out.push_str(&text[at..end]);
    let from = span.start.min(end);
    let to = span.end.clamp(from, end);
    Snippet {
        line,
        text: out,
        span: moved(from, false)..moved(to, true),
    }
}

/// What a hidden string shows instead.
const HIDDEN: &str = "\"<hidden>\"";

fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// Where the line starting at `start` ends, without its `\n` or `\r\n`.
fn line_end(text: &str, start: usize) -> usize {
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    }
}

fn next_char(text: &str, pos: usize) -> usize {
    text[pos..]
        .chars()
        .next()
        .map_or(pos, |c| pos + c.len_utf8())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string, number, `true`, `false` or `null`.
    Scalar,
    /// `{`, `}`, `[`, `]`, `:`, `,`.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Value,
    /// `}` or `]`.
    Close,
    /// `:` or `,`.
    Between,
}

#[derive(Debug)]
struct Token {
    span: Range<usize>,
    kind: Kind,
    role: Role,
    /// For a key, the path of its value; `None` past what could be read.
    path: Option<Vec<Seg>>,
    /// For `{` or `[`: where the value ends (after its `}` or `]`).
    closed_at: Option<usize>,
    is_string: bool,
}

impl Token {
    /// Whether the line shows this token hidden: a secret string (see
    /// [`secret`]), or a string whose path is unknown and that is not
    /// followed by `:` (a key).
    fn hidden(&self, text: &str) -> bool {
        if !self.is_string || self.role == Role::Key {
            return false;
        }
        match &self.path {
            Some(p) => secret(p, &text[self.span.clone()]),
            None => !text[self.span.end..].trim_start().starts_with(':'),
        }
    }
}

/// Strings a snippet never shows: any with a password (a URL's,
/// `scheme://user:password@`, anywhere; under `hosts` a bare
/// `user:password@` too); every value under an `env` map
/// (`defaults.env…`, `types.<name>.env…`), and every run_args element with
/// a `=`, which may be an env value (`-e KEY=value`, `--env=KEY=value`)
/// that the run_args check refuses without quoting it.
fn secret(p: &[Seg], word: &str) -> bool {
    let password = match p.first() {
        Some(Seg::Key(h)) if h == "hosts" => crate::ssh::holds_password(word),
        _ => crate::ssh::redact_userinfo(word) != word,
    };
    if password {
        return true;
    }
    let field = match p {
        [Seg::Key(d), Seg::Key(f), ..] if d == "defaults" => f,
        [Seg::Key(t), _, Seg::Key(f), ..] if t == "types" => f,
        _ => return false,
    };
    field == "env" || field == "run_args" && word.contains('=')
}

/// One open object or array.
struct Frame {
    /// The step to the value being read: the last key, or the index.
    seg: Option<Seg>,
    object: bool,
    /// Where the `{` or `[` token is.
    token: usize,
    expect: Expect,
}

/// What may come next inside an object or array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Key,
    Colon,
    Value,
    /// `,` or the end.
    Next,
}

/// The tokens of `text` with their paths, as far as the structure can be
/// followed; after that, paths are `None`.
fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens: Vec<Token> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut lost = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        i = match c {
            b'"' => string_end(bytes, i),
            b'{' | b'}' | b'[' | b']' | b':' | b',' => i + 1,
            _ => scalar_end(text, i),
        };
        let want_key = stack.last().is_some_and(|f| f.expect == Expect::Key);
        let role = match c {
            b'"' if want_key => Role::Key,
            b'}' | b']' => Role::Close,
            b':' | b',' => Role::Between,
            _ => Role::Value,
        };
        // A value's path is where it sits; a key's, that of its value.
        let before = path(&stack);
        lost = lost || !step(&mut stack, &text[start..i], c, role, tokens.len());
        let path = match role {
            _ if lost => None,
            Role::Key => path(&stack),
            _ => before,
        };
        tokens.push(Token {
            span: start..i,
            kind: if c == b'"' || role == Role::Value && !matches!(c, b'{' | b'[') {
                Kind::Scalar
            } else {
                Kind::Punct
            },
            role,
            path,
            closed_at: None,
            is_string: c == b'"',
        });
        if role == Role::Close
            && !lost
            && let Some(f) = stack.pop()
        {
            tokens[f.token].closed_at = Some(i);
        }
    }
    tokens
}

fn path(stack: &[Frame]) -> Option<Vec<Seg>> {
    stack.iter().map(|f| f.seg.clone()).collect()
}

/// Follows one token (its text `word`) through the structure, as strictly
/// as JSON's grammar; false when it does not fit.
fn step(stack: &mut Vec<Frame>, word: &str, c: u8, role: Role, index: usize) -> bool {
    let Some(f) = stack.last_mut() else {
        // The document: one object (or array), and nothing after it.
        return index == 0 && matches!(c, b'{' | b'[') && open(stack, c, index);
    };
    match (role, f.expect) {
        (Role::Key, Expect::Key) => match serde_json::from_str::<String>(word) {
            Ok(k) => {
                f.seg = Some(Seg::Key(k));
                f.expect = Expect::Colon;
                true
            }
            Err(_) => false,
        },
        (Role::Between, Expect::Colon) if c == b':' => {
            f.expect = Expect::Value;
            true
        }
        (Role::Between, Expect::Next) if c == b',' => {
            if let Some(Seg::Index(n)) = &mut f.seg {
                *n += 1;
            }
            f.expect = if f.object { Expect::Key } else { Expect::Value };
            true
        }
        // An empty object or array, or (serde says so) a trailing comma.
        (Role::Close, Expect::Next | Expect::Key | Expect::Value) => f.object == (c == b'}'),
        (Role::Value, Expect::Value) => {
            f.expect = Expect::Next;
            !matches!(c, b'{' | b'[') || open(stack, c, index)
        }
        _ => false,
    }
}

/// Enters the object or array opened by `c`, token `index`.
fn open(stack: &mut Vec<Frame>, c: u8, index: usize) -> bool {
    let object = c == b'{';
    stack.push(Frame {
        seg: (!object).then_some(Seg::Index(0)),
        object,
        token: index,
        expect: if object { Expect::Key } else { Expect::Value },
    });
    true
}

/// Past the closing quote of the string at `i` (or the end of its line, if
/// it never closes).
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) != Some(&b'\n') => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Past a number or a word (`true`, a typo): letters, digits, `+-.`.
fn scalar_end(text: &str, i: usize) -> usize {
    let rest = &text[i..];
    let n = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(rest.len(), |(n, _)| n);
    i + n.max(rest.chars().next().map_or(0, char::len_utf8))
}
