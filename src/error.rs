//! The one error type of fleet: a [`Kind`], what went wrong with its causes
//! in order, the `help` apart from them, and for a config error the line of
//! the file it is about ([`Snippet`]).
//!
//! Nothing here renders: `report` turns an [`Error`] into `error: …` text
//! (the snippet under it, `help:` last), the `{"error": …}` document and
//! an exit code.

use std::fmt;
use std::ops::Range;

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
///
/// The causes are an [`anyhow::Error`]'s chain: each context fleet puts in
/// front is a layer of it. fleet's own facts about the failure (its
/// [`Kind`], the help, a config error's marked line) travel inside that
/// chain as one [`Fault`] layer, as cargo carries its own error types in
/// anyhow's, and are found again by downcasting.
#[derive(Debug)]
pub struct Error {
    chain: anyhow::Error,
}

/// What fleet knows about a failure beyond its words: one layer of an
/// [`Error`]'s chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fault {
    kind: Kind,
    message: String,
    help: Vec<String>,
    snippet: Option<Box<Snippet>>,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fault {}

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
        let fault = Fault {
            kind,
            message: message.into(),
            help: Vec::new(),
            snippet: None,
        };
        Error {
            chain: anyhow::Error::new(fault),
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
        for h in rest.lines().map(str::trim).filter(|l| !l.is_empty()) {
            err = err.with_help(h);
        }
        err
    }

    /// Puts what fleet was doing in front of the causes.
    pub fn context(self, what: impl Into<String>) -> Error {
        Error {
            chain: self.chain.context(what.into()),
        }
    }

    /// Adds the cause underneath (an OS error, docker's words): the chain
    /// is made again with `cause` as its root.
    pub(crate) fn because(self, cause: impl fmt::Display) -> Error {
        let mut causes = self.causes();
        causes.push(cause.to_string());
        Error::rebuild(&causes, self.fault().clone())
    }

    /// Adds a help line (printed after everything else).
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Error {
        self.fault_mut().help.push(help.into());
        self
    }

    /// Marks the line of the config file it is about.
    pub(crate) fn with_snippet(mut self, snippet: Snippet) -> Error {
        self.fault_mut().snippet = Some(Box::new(snippet));
        self
    }

    pub fn kind(&self) -> Kind {
        self.fault().kind
    }

    /// The message: the causes, outermost first, joined with `: `.
    pub fn message(&self) -> String {
        self.causes().join(": ")
    }

    /// The help lines, in order.
    pub fn help(&self) -> &[String] {
        &self.fault().help
    }

    pub fn snippet(&self) -> Option<&Snippet> {
        self.fault().snippet.as_deref()
    }

    /// Each layer's words, outermost first.
    fn causes(&self) -> Vec<String> {
        self.chain.chain().map(ToString::to_string).collect()
    }

    /// The chain's [`Fault`]: every `Error` is made with exactly one.
    fn fault(&self) -> &Fault {
        self.chain
            .downcast_ref::<Fault>()
            .expect("every Error's chain holds its Fault")
    }

    fn fault_mut(&mut self) -> &mut Fault {
        self.chain
            .downcast_mut::<Fault>()
            .expect("every Error's chain holds its Fault")
    }

    /// A chain of `causes` (outermost first) with `fault` as the layer
    /// whose words it has (the innermost such, else the root).
    fn rebuild(causes: &[String], fault: Fault) -> Error {
        let at = (causes.iter())
            .rposition(|c| *c == fault.message)
            .unwrap_or(causes.len().saturating_sub(1));
        let mut chain = match causes.get(at + 1..).unwrap_or_default() {
            [] => anyhow::Error::new(fault),
            below => {
                let mut root = anyhow::Error::msg(below[below.len() - 1].clone());
                for c in below[..below.len() - 1].iter().rev() {
                    root = root.context(c.clone());
                }
                root.context(fault)
            }
        };
        for c in causes[..at].iter().rev() {
            chain = chain.context(c.clone());
        }
        Error { chain }
    }
}

/// The same chain of words and the same facts (an `anyhow::Error` is not
/// `Clone`: the copy is made again from them).
impl Clone for Error {
    fn clone(&self) -> Error {
        Error::rebuild(&self.causes(), self.fault().clone())
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.fault() == other.fault() && self.causes() == other.causes()
    }
}

impl Eq for Error {}

/// The message; the help is for the renderer to print last. `{:#}` adds
/// each help as a `\nhelp: …` line: the form of the one-sentence errors
/// apply keeps per action, which the renderer prints the same way.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())?;
        if f.alternate() {
            for h in self.help() {
                write!(f, "\nhelp: {h}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A failed write of the output (a closed pipe, a full disk).
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        let fault = Fault {
            kind: Kind::Output,
            message: "could not write the output".into(),
            help: Vec::new(),
            snippet: None,
        };
        // The OS error is the chain's root, fleet's words the layer above.
        Error {
            chain: anyhow::Error::new(e).context(fault),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain keeps fleet's kind, help and words through contexts,
    /// causes and clones.
    #[test]
    fn kind_and_help_travel_inside_the_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe closed");
        let e = Error::from(io).context("while printing").with_help("retry");
        assert_eq!(e.kind(), Kind::Output);
        assert_eq!(
            e.message(),
            "while printing: could not write the output: pipe closed"
        );
        assert_eq!(e.help(), ["retry"]);
        let e = Error::docker("no engine")
            .because("refused")
            .context("reading h1");
        assert_eq!(e.kind(), Kind::Docker);
        assert_eq!(e.message(), "reading h1: no engine: refused");
        let c = e.clone().with_help("is dockerd running?");
        assert_eq!(c.message(), e.message());
        assert_eq!(c.help(), ["is dockerd running?"]);
        assert_eq!(e.clone(), e);
        assert_ne!(c, e);
        assert_eq!(
            format!("{c:#}"),
            "reading h1: no engine: refused\nhelp: is dockerd running?"
        );
    }
}
