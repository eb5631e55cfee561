//! Reading the config file: a regular file or a pipe, never more than
//! [`MAX_CONFIG_BYTES`] + 1 bytes, and what to say when it is not UTF-8.

use std::fmt;
use std::io::Read;
use std::path::Path;

use super::MAX_CONFIG_BYTES;
use crate::error::{Error, Result};

/// Reads at most [`MAX_CONFIG_BYTES`] + 1 bytes of `path`, refusing what is
/// not a regular file or a pipe (a device may be endless or wait for a
/// person) and what is larger than the limit.
pub(super) fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let name = path.display();
    let cannot = |why: &dyn fmt::Display| {
        Error::config(format!("could not read config `{name}`"))
            .because(why)
            .with_help("pass -c/--config <file> or set FLEET_CONFIG")
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO blocks until a writer comes; non-blocking, it opens at
    // once and reads as empty when nobody writes.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).map_err(|e| cannot(&e))?;
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(cannot(&"it is a directory"));
    }
    if !kind.is_file() && !is_pipe(&kind) {
        let what = kind_name(&kind);
        return Err(cannot(&format!(
            "it is {what}; fleet reads a regular file or a pipe"
        )));
    }
    let too_big = || {
        Error::config(format!(
            "{name}: the file is larger than {} MiB, the limit for a config file; is it the right file?",
            MAX_CONFIG_BYTES >> 20
        ))
    };
    if meta.len() > MAX_CONFIG_BYTES as u64 {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    let mut limited = (&mut file).take(MAX_CONFIG_BYTES as u64 + 1);
    loop {
        match limited.read_to_end(&mut bytes) {
            Ok(_) => break,
            // A pipe whose writer has not written yet.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(cannot(&e)),
        }
    }
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_pipe(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::FileType) -> bool {
    false
}

/// What a file that is neither regular nor a pipe is, for a message.
fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "not a regular file"
}

/// The message for a file that is not UTF-8: the line and column (as
/// [`Config::parse`] counts them) and the byte offset of the first bad byte.
pub(super) fn not_utf8(path: &Path, bytes: &[u8], e: &std::str::Utf8Error) -> Error {
    let at = e.valid_up_to();
    let good = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let good = good.strip_prefix('\u{feff}').unwrap_or(good);
    let line = 1 + good.matches('\n').count();
    let col = 1 + good.rsplit('\n').next().unwrap_or("").chars().count();
    let err = Error::config(format!(
        "{}:{line}:{col}: the file is not UTF-8: byte 0x{:02x} at offset {at} is not valid UTF-8 there; a config file is UTF-8 text",
        path.display(),
        bytes[at]
    ));
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        err.with_help("the file starts with a UTF-16 byte-order mark: save it as UTF-8")
    } else {
        err.with_help("save it as UTF-8 (it may be in a legacy encoding such as Latin-1)")
    }
}
