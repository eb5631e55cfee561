//! The one error type of fleet: a [`Kind`], what went wrong with its causes
//! in order, the `help` apart from them, and for a config error the line of
//! the file it is about ([`Snippet`]).
//!
//! Nothing here renders: `report` turns an [`Error`] into `error: …` text
//! (the snippet under it, `help:` last), the `{"error": …}` document and
//! an exit code.

use std::fmt;
use std::ops::Range;

use crate::docker::DockerError;

/// What kind of failure, which decides the exit code and lets callers and
/// tests tell errors apart without reading their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line or a `FLEET_*` variable (exit 2).
    Usage,
    /// The config file: unreadable, or not a valid config.
    Config,
    /// docker: could not be run, failed, timed out, or printed what fleet
    /// cannot read.
    Docker,
    /// The per-project lock: could not be opened, or still held.
    Lock,
    /// fleet refuses to go on (the empty-config guard).
    Refused,
    /// Writing the output failed.
    Output,
    /// A bug in fleet (a thread that panicked), caught and told.
    Internal,
}

/// A failed run: what went wrong, outermost first (`could not read the
/// containers`, then docker's own words), and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    causes: Vec<String>,
    help: Vec<String>,
    snippet: Option<Box<Snippet>>,
}

/// One line of the config file with the offending key or value marked;
/// env values on it are already hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// Its 1-based line number in the file.
    pub line: usize,
    /// The line as shown.
    pub text: String,
    /// What to mark, in bytes of `text` (empty at the end of the file).
    pub span: Range<usize>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A declared host that could not be reached, read or converged: its
/// failure is its own (the others go on), told once, and the run exits 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreached {
    pub host: String,
    pub error: Error,
}

impl Error {
    /// An error of `kind` saying `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            causes: vec![message.into()],
            help: Vec::new(),
            snippet: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Error {
        Error::new(Kind::Config, message)
    }

    pub fn docker(message: impl Into<String>) -> Error {
        Error::new(Kind::Docker, message)
    }

    pub fn lock(message: impl Into<String>) -> Error {
        Error::new(Kind::Lock, message)
    }

    pub fn refused(message: impl Into<String>) -> Error {
        Error::new(Kind::Refused, message)
    }

    /// A usage error as clap reports it: its first line is the message,
    /// the lines after it (tips, usage) the help. (On a terminal, clap's
    /// own text is printed instead: see `report::clap`.)
    pub fn usage(e: &clap::Error) -> Error {
        let plain = e.to_string();
        let (first, rest) = plain.split_once('\n').unwrap_or((&plain, ""));
        let message = first.strip_prefix("error: ").unwrap_or(first);
        let mut err = Error::new(Kind::Usage, message);
        err.help = rest
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        err
    }

    /// Puts what fleet was doing in front of the causes.
    pub fn context(mut self, what: impl Into<String>) -> Error {
        self.causes.insert(0, what.into());
        self
    }

    /// Adds the cause underneath (an OS error, docker's words).
    pub fn because(mut self, cause: impl fmt::Display) -> Error {
        self.causes.push(cause.to_string());
        self
    }

    /// Adds a help line (printed after everything else).
    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help.push(help.into());
        self
    }

    /// Marks the line of the config file it is about.
    pub fn with_snippet(mut self, snippet: Snippet) -> Error {
        self.snippet = Some(Box::new(snippet));
        self
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The message: the causes, outermost first, joined with `: `.
    pub fn message(&self) -> String {
        self.causes.join(": ")
    }

    /// The help lines, in order.
    pub fn help(&self) -> &[String] {
        &self.help
    }

    pub fn snippet(&self) -> Option<&Snippet> {
        self.snippet.as_deref()
    }
}

/// The message; the help is for the renderer to print last. `{:#}` adds
/// each help as a `\nhelp: …` line: the form of the one-sentence errors
/// apply keeps per action, which the renderer prints the same way.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())?;
        if f.alternate() {
            for h in &self.help {
                write!(f, "\nhelp: {h}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// docker's message and its help, kept apart.
impl From<DockerError> for Error {
    fn from(e: DockerError) -> Error {
        let err = Error::docker(e.message());
        match e.help() {
            Some(h) => err.with_help(h),
            None => err,
        }
    }
}

/// A failed write of the output (a closed pipe, a full disk).
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(Kind::Output, "could not write the output").because(e)
    }
}
