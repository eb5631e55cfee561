//! The real [`Runner`]: spawns the docker CLI with duct, captures stdout and
//! stderr, and kills it when it outlives the timeout.

use std::time::Duration;

use super::{Cmd, DockerError, Output, Runner};

/// Runs `program` (normally `docker`) for real.
#[derive(Debug, Clone)]
pub struct DuctRunner {
    pub program: String,
    pub timeout: Duration,
    /// When set, every command line is written to stderr before it runs.
    pub verbose: bool,
}

impl Runner for DuctRunner {
    fn run(&self, cmd: &Cmd) -> Result<Output, DockerError> {
        if self.verbose {
            // Only the argv: env values never leave the child's environment.
            eprintln!("+ {} {}", self.program, cmd.line());
        }
        let mut expr = duct::cmd(&self.program, &cmd.args)
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked();
        for (k, v) in &cmd.env {
            expr = expr.env(k, v);
        }
        let spawn_err = |e: std::io::Error| DockerError::Spawn {
            program: self.program.clone(),
            cmd: cmd.line(),
            error: e.to_string(),
        };
        let handle = expr.start().map_err(spawn_err)?;
        match handle.wait_timeout(self.timeout).map_err(spawn_err)? {
            Some(out) => Ok(Output {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
            None => {
                let _ = handle.kill();
                Err(DockerError::Timeout {
                    cmd: cmd.line(),
                    seconds: self.timeout.as_secs_f64(),
                })
            }
        }
    }
}
