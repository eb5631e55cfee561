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
    calls: Mutex<Vec<Cmd>>,
    unexpected: Mutex<Vec<String>>,
}

impl FakeRunner {
    pub fn new() -> FakeRunner {
        FakeRunner::default()
    }

    /// Expects `docker <line>` (split on spaces) once, answering `reply`.
    pub fn expect(&self, line: &str, reply: Output) -> &Self {
        self.expect_argv(split(line), Ok(reply))
    }

    /// Expects an exact argv once, answering `reply` (which may be an error).
    pub fn expect_argv(&self, argv: Vec<String>, reply: Result<Output, DockerError>) -> &Self {
        self.expected.lock().unwrap().push((argv, reply));
        self
    }

    /// Every call so far, in the order they arrived.
    pub fn calls(&self) -> Vec<Cmd> {
        self.calls.lock().unwrap().clone()
    }
}

fn split(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

impl Runner for FakeRunner {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        self.calls.lock().unwrap().push(cmd.clone());
        let mut expected = self.expected.lock().unwrap();
        match expected.iter().position(|(argv, _)| *argv == cmd.args) {
            Some(i) => expected.remove(i).1,
            None => {
                self.unexpected.lock().unwrap().push(cmd.line());
                Ok(Output::fail(
                    99,
                    format!("fake runner: unexpected command `docker {}`", cmd.line()),
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
        let unexpected = self.unexpected.lock().unwrap();
        assert!(
            unexpected.is_empty(),
            "fake runner got unexpected commands:\n{}",
            unexpected.join("\n")
        );
        let left = self.expected.lock().unwrap();
        assert!(
            left.is_empty(),
            "fake runner: expected commands never ran:\n{}",
            left.iter()
                .map(|(a, _)| a.join(" "))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
