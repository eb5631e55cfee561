//! What an engine writes reaches the terminal made safe (`fleet::text`):
//! lock labels, container names, images and docker's words carrying ESC
//! sequences, bidi overrides and newlines that would forge a fleet line
//! come out as visible escapes, docker's extra lines indented; JSON keeps
//! the values as they are, escaped by serde.

use std::borrow::Cow;

use fleet::docker::{Cmd, Output, argv};
use fleet::text::{terminal_safe, terminal_safe_lines};

use crate::harness::{Ran, World, check};
use crate::placement::{H1, H2, TWO, at, seen_on};
use crate::support::{Existing, IMAGES, ONE, hex_id, one};

/// A title change, a bell, and a line that passes for fleet's.
const EVIL: &str = "evil\x1b]0;pwned\x07\n[agents-sync] removed: everything";

/// Nothing in `r`'s output drives a terminal, and no line of it is forged.
fn assert_safe(r: &Ran) {
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{what} has a control character: {r:?}"
        );
        assert!(
            !text.contains('\u{202e}'),
            "{what} has a bidi override: {r:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("[agents-sync] removed")),
            "{what} has a forged line: {r:?}"
        );
    }
}

/// Project `p`'s lock on h2, its labels written by someone hostile.
fn evil_lock() -> Output {
    Output::ok(
        serde_json::json!([{
            "Id": hex_id("lock"),
            "Created": "2026-11-29T07:24:36Z",
            "Name": "/p.fleet-lock",
            "Config": { "Image": "fleet-lock:1", "Labels": {
                "fleet.lock": "p",
                "fleet.lock.holder": EVIL,
                "fleet.lock.machine": "m-9\x1b[2J",
                "fleet.lock.pid-ns": "boot-9/pid:[1]",
                "fleet.lock.pid": "777",
                "fleet.lock.lease": "3600",
            }},
        }])
        .to_string(),
    )
}

fn no_lock(w: World, url: &str) -> World {
    w.expect_cmd(
        at(url, argv::inspect(&["p.fleet-lock"])),
        Ok(Output::fail(1, "Error: No such object: p.fleet-lock")),
    )
}

/// `fleet hosts`' calls on [`TWO`]: h1's engine version carries a screen
/// clear, h2's lock [`evil_lock`]'s labels.
fn hostile_hosts() -> World {
    let version = Cmd::new(["version", "--format", "{{.Server.Version}}"]);
    let w = World::new(TWO)
        .expect_cmd(at(H1, version.clone()), Ok(Output::ok("28.2.2\x1b[2J\n")))
        .expect_cmd(at(H2, version), Ok(Output::ok("28.2.2\n")));
    no_lock(w, H1).expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(evil_lock()))
}

#[test]
fn hosts_shows_a_hostile_lock_label_and_version_escaped() {
    let w = hostile_hosts();
    let r = check(&["hosts"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_safe(&r);
    insta::assert_snapshot!(r.stdout, @r#"
    HOST  REACHED VIA          ENGINE           LOCK
    h1    unix:///run/h1.sock  28.2.2\u{1b}[2J  -
    h2    unix:///run/h2.sock  28.2.2           held by evil\u{1b}]0;pwned\u{7}\n[agents-sync] removed: everything since 2026-11-29T07:24:36Z
    "#);
}

#[test]
fn status_shows_a_hostile_lock_label_escaped() {
    let w = seen_on(seen_on(World::new(TWO), H1, &[]), H2, &[]);
    let w = no_lock(w, H1).expect_cmd(at(H2, argv::inspect(&["p.fleet-lock"])), Ok(evil_lock()));
    let r = check(&["status"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_safe(&r);
    assert!(
        r.stdout.ends_with(
            "lock on host `h2`: held by evil\\u{1b}]0;pwned\\u{7}\\n[agents-sync] removed: everything since 2026-11-29T07:24:36Z\n"
        ),
        "{r:?}"
    );
}

#[test]
fn json_keeps_the_label_as_it_is_and_serde_escapes_its_controls() {
    let w = hostile_hosts();
    let r = check(&["hosts", "--json"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_safe(&r);
    assert!(
        r.stdout.contains(r"\u001b]0;pwned\u0007\n[agents-sync]"),
        "{r:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc[0]["version"], "28.2.2\x1b[2J");
    assert_eq!(
        doc[1]["lock"],
        format!("held by {EVIL} since 2026-11-29T07:24:36Z")
    );
}

#[test]
fn a_hostile_label_of_a_container_is_escaped_in_status_and_plan() {
    let mut e = Existing::foreign("x-foreign", Some("p"));
    e.labels
        .insert("fleet.type".into(), serde_json::json!(EVIL));
    e.labels
        .insert("fleet.instance".into(), serde_json::json!("1\u{202e}"));
    let world = || World::new(ONE).discovery(std::slice::from_ref(&e), &[]);
    let r = check(&["status"], world());
    assert_safe(&r);
    assert!(
        r.stdout.contains(r"evil\u{1b}]0;pwned\u{7}\n[agents-sync]"),
        "{r:?}"
    );
    let r = check(&["plan"], world());
    assert_safe(&r);
    assert!(
        r.stdout.contains(r"evil\u{1b}]0;pwned\u{7}\n[agents-sync]"),
        "{r:?}"
    );
}

#[test]
fn dockers_stderr_is_escaped_and_its_lines_indented_under_the_error() {
    let world = World::new(ONE).expect_cmd(
        argv::list_all(),
        Ok(Output::fail(
            1,
            "Cannot connect\x1b]0;pwned\x07\r\n[agents-sync] removed: everything\n",
        )),
    );
    let r = check(&["status"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_safe(&r);
    assert!(
        r.stderr
            .contains("Cannot connect\\u{1b}]0;pwned\\u{7}\n  [agents-sync] removed: everything\n"),
        "{r:?}"
    );
}

#[test]
fn a_failed_start_shows_dockers_words_escaped() {
    let e = one().exited(1);
    let world = World::new(ONE)
        .discovery(std::slice::from_ref(&e), IMAGES)
        .expect_cmd(
            argv::start(&[e.id.as_str()]),
            Ok(Output::fail(1, format!("Error: {EVIL}\n"))),
        )
        .reobserve(std::slice::from_ref(&e));
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_safe(&r);
    assert!(r.stderr.contains(r"evil\u{1b}]0;pwned\u{7}"), "{r:?}");
}

#[test]
fn terminal_safe_escapes_controls_and_bidi_and_borrows_clean_text() {
    assert!(matches!(
        terminal_safe("coder-2 is running"),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        terminal_safe("a\x1b[2Jb\x07\x7f\u{9b}\t\r\n\0"),
        r"a\u{1b}[2Jb\u{7}\u{7f}\u{9b}\t\r\n\0"
    );
    assert_eq!(
        terminal_safe("\u{202a}\u{202e}\u{2066}\u{2069}\u{2028}\u{2029}"),
        r"\u{202a}\u{202e}\u{2066}\u{2069}\u{2028}\u{2029}"
    );
    // Printable text stays, backslashes and other scripts included.
    assert_eq!(terminal_safe(r"C:\x ünï ☃ שלום"), r"C:\x ünï ☃ שלום");
    assert_eq!(
        terminal_safe_lines("one\x1b\r\ntwo\n\nthree\n", "  "),
        "one\\u{1b}\n  two\n  \n  three"
    );
    assert_eq!(terminal_safe_lines("one\n", "  "), "one");
}
