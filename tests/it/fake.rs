//! A scripted [`Runner`] for tests: it holds (expected argv, canned reply)
//! pairs, records every call in order, fails any call it was not told to
//! expect, and panics on drop if an expected call never came.
//!
//! Replies are matched by argv, not position, so parallel apply can be
//! tested; with `--jobs 1` the recorded order is the real order.
//!
//! It lives in the test crate, not the library: nothing in `src/` uses it,
//! so it is neither built into the binary nor part of the library's API.

use std::sync::Mutex;

use fleet::docker::{Cmd, DockerError, Output, Runner};

/// An expected argv and the reply to give it.
type Expected = (Vec<String>, Result<Output, DockerError>);

#[derive(Default)]
pub struct FakeRunner {
    expected: Mutex<Vec<Expected>>,
    /// Replies to an argv any number of times (zero included), after the
    /// expected ones: for polls whose count depends on time.
    standing: Mutex<Vec<(Vec<String>, Output)>>,
    calls: Mutex<Vec<Cmd>>,
    unexpected: Mutex<Vec<String>>,
}

impl FakeRunner {
    pub fn new() -> FakeRunner {
        FakeRunner::default()
    }

    /// Expects an exact argv once, answering `reply` (which may be an error).
    pub fn expect(&self, argv: Vec<String>, reply: Result<Output, DockerError>) {
        self.expected.lock().unwrap().push((argv, reply));
    }

    /// Answers an exact argv with `reply` as often as it comes (never
    /// included), once no expected call matches it.
    pub fn allow(&self, argv: Vec<String>, reply: Output) {
        self.standing.lock().unwrap().push((argv, reply));
    }

    /// Every call so far, in the order they arrived.
    pub fn calls(&self) -> Vec<Cmd> {
        self.calls.lock().unwrap().clone()
    }

    /// What went against the script so far: calls it was not told to
    /// expect, and expected calls that never came. `None` when all is well.
    pub fn unmet(&self) -> Option<String> {
        let mut why = String::new();
        let unexpected = self.unexpected.lock().unwrap();
        if !unexpected.is_empty() {
            why += &format!(
                "fake runner got unexpected commands:\n{}\n",
                unexpected.join("\n")
            );
        }
        let left = self.expected.lock().unwrap();
        if !left.is_empty() {
            let lines: Vec<String> = left.iter().map(|(a, _)| a.join(" ")).collect();
            why += &format!(
                "fake runner: expected commands never ran:\n{}\n",
                lines.join("\n")
            );
        }
        (!why.is_empty()).then_some(why)
    }
}

impl Runner for FakeRunner {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        self.calls.lock().unwrap().push(cmd.clone());
        let mut expected = self.expected.lock().unwrap();
        match expected
            .iter()
            .position(|(argv, _)| same_argv(argv, &cmd.argv()))
        {
            Some(i) => expected.remove(i).1,
            None if let Some((_, reply)) = (self.standing.lock().unwrap().iter())
                .find(|(argv, _)| same_argv(argv, &cmd.argv())) =>
            {
                Ok(reply.clone())
            }
            None => {
                self.unexpected.lock().unwrap().push(cmd.full_line());
                Ok(Output::fail(
                    99,
                    format!(
                        "fake runner: unexpected command `docker {}`",
                        cmd.full_line()
                    ),
                ))
            }
        }
    }
}

impl Drop for FakeRunner {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Some(why) = self.unmet() {
            panic!("{why}");
        }
    }
}

/// An expected argument `<any>` matches any one argument (a timestamp).
fn same_argv(expected: &[String], got: &[String]) -> bool {
    expected.len() == got.len() && expected.iter().zip(got).all(|(e, g)| e == g || e == ANY)
}

/// The expected argument that matches any one.
pub const ANY: &str = "<any>";
