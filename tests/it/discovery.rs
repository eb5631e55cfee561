//! Discovery is all or nothing: output fleet cannot fully read stops the run
//! before any mutating command; a container gone between the listing and
//! the inspect is a race, not an error.

use crate::fake::FakeRunner;
use fleet::docker::{Output, argv};

use crate::support::*;

const ONE: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"instances":2}}}"#;

fn verbs(fake: &FakeRunner) -> Vec<String> {
    fake.calls().iter().map(|c| c.verb().to_string()).collect()
}

#[test]
fn a_listing_fleet_cannot_read_changes_nothing() {
    let e = Existing::matching(&desired(ONE)[0]);
    for bad in [
        "Error: something went wrong\n".to_string(),
        "garbage\n".to_string(),
        format!("{}\tcoder-default\n", e.id),
        format!("{}\tcoder-default\tp\n", e.id),
        format!("{}\tcoder default\t\"p\"\n", e.id),
        format!("{}\tcoder-default\t\"p\"\n", &e.id[..12]),
        format!("{}\tcoder-default\t\"p\"\n<html>\n", e.id),
    ] {
        let fake = FakeRunner::new();
        fake.expect_argv(argv::list_all().args, Ok(Output::ok(bad.clone())));
        let r = run_cli(ONE, &["sync"], &fake);
        assert_eq!(r.code, 1, "{bad:?}: {r:?}");
        assert!(
            r.stderr.contains("could not read the containers")
                && r.stderr.contains("nothing was changed"),
            "{bad:?}: {}",
            r.stderr
        );
        assert_eq!(verbs(&fake), ["ps"], "{bad:?}: no run, no inspect");
    }
}

#[test]
fn an_inspect_that_leaves_a_container_out_is_an_error() {
    let d = desired(ONE);
    let (a, b) = (Existing::matching(&d[0]), Existing::matching(&d[1]));
    let fake = FakeRunner::new();
    let listing = format!("{}\tcoder-default\t\"p\"\n{}\tcoder-2\t\"p\"\n", a.id, b.id);
    fake.expect_argv(argv::list_all().args, Ok(Output::ok(listing)));
    fake.expect_argv(
        argv::inspect(&[a.id.as_str(), b.id.as_str()]).args,
        Ok(Output::ok(serde_json::to_string(&[a.to_json()]).unwrap())),
    );
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("described 1 of 2 containers"),
        "{}",
        r.stderr
    );
    assert_eq!(verbs(&fake), ["ps", "inspect"], "coder-2 is not created");
}

#[test]
fn a_container_gone_before_the_inspect_is_a_race_in_any_wording() {
    let d = desired(ONE);
    let (a, b) = (Existing::matching(&d[0]), Existing::matching(&d[1]));
    for said in [
        format!("Error: No such object: {}", b.id),
        format!("Error: No such container: {}", b.id),
        format!("Error: no such container {}", b.id),
        format!(
            "Error: error inspecting object: no container with name or ID \"{}\" found: no such container",
            b.id
        ),
    ] {
        let fake = FakeRunner::new();
        let listing = format!("{}\tcoder-default\t\"p\"\n{}\tcoder-2\t\"p\"\n", a.id, b.id);
        fake.expect_argv(argv::list_all().args, Ok(Output::ok(listing)));
        fake.expect_argv(
            argv::inspect(&[a.id.as_str(), b.id.as_str()]).args,
            Ok(Output {
                code: Some(1),
                stdout: serde_json::to_string(&[a.to_json()]).unwrap(),
                stderr: format!("{said}\n"),
            }),
        );
        fake.expect_argv(
            argv::image_inspect(&["agent:latest"]).args,
            Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
        );
        fake.expect_argv(
            argv::run_cmd(&d[1]).args,
            Ok(Output::ok(format!("{}\n", b.id))),
        );
        expect_confirm(&fake, std::slice::from_ref(&b));
        let r = run_cli(ONE, &["sync"], &fake);
        assert_eq!(r.code, 0, "{said}: {r:?}");
        assert_eq!(
            r.stdout,
            "[agents-sync] created: coder-2\n[agents-sync] unchanged: coder-default\n"
        );
    }
}

#[test]
fn another_inspect_failure_is_not_taken_for_a_race() {
    let d = desired(ONE);
    let a = Existing::matching(&d[0]);
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_all().args,
        Ok(Output::ok(format!("{}\tcoder-default\t\"p\"\n", a.id))),
    );
    fake.expect_argv(
        argv::inspect(&[a.id.as_str()]).args,
        Ok(Output::fail(1, "Error response from daemon: i/o timeout")),
    );
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(verbs(&fake), ["ps", "inspect"]);
}

#[test]
fn a_label_cannot_forge_a_listing_line() {
    // A foreign container whose fleet.project label holds a line break
    // and a fake line: quoted, it stays one value on one line.
    let d = desired(ONE);
    let a = Existing::matching(&d[0]);
    let forged = serde_json::json!(format!("x\n{}\tcoder-2\tp", "0".repeat(64)));
    let other = Existing::foreign("bystander", Some("x"));
    let fake = FakeRunner::new();
    fake.expect_argv(
        argv::list_all().args,
        Ok(Output::ok(format!(
            "{}\tcoder-default\t\"p\"\n{}\tbystander\t{forged}\n",
            a.id, other.id
        ))),
    );
    fake.expect_argv(
        argv::inspect(&[a.id.as_str()]).args,
        Ok(Output::ok(serde_json::to_string(&[a.to_json()]).unwrap())),
    );
    fake.expect_argv(
        argv::image_inspect(&["agent:latest"]).args,
        Ok(Output::ok(format!("{IMG}\t[\"PATH=/bin\"]\n"))),
    );
    fake.expect_argv(argv::run_cmd(&d[1]).args, Ok(Output::ok("newid\n")));
    expect_confirm(&fake, &[Existing::matching(&d[1]).id("newid")]);
    let r = run_cli(ONE, &["sync"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn up_never_starts_a_leftover_replacement() {
    let fake = FakeRunner::new();
    let l = format!(
        "{}\tcoder-default\texited\n{}\tcoder-default.fleet-next\tcreated\n",
        "1".repeat(64),
        "2".repeat(64)
    );
    fake.expect_argv(argv::list_project("p").args, Ok(Output::ok(l)));
    fake.expect(
        &format!("start {}", "1".repeat(64)),
        Output::ok(format!("{}\n", "1".repeat(64))),
    );
    let d = desired(ONE).remove(0);
    expect_confirm(&fake, &[Existing::matching(&d).id(&"1".repeat(64))]);
    let r = run_cli(ONE, &["up"], &fake);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-up] started: coder-default\n[containers-up] skipped: coder-default.fleet-next (leftover replacement of an interrupted recreate; `fleet sync` finishes or removes it)\n"
    );
}

#[test]
fn plan_and_status_show_a_leftover_replacement() {
    let d = desired(ONE);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let leftover = e[0]
        .clone()
        .named("coder-default.fleet-next")
        .id(&"f".repeat(64))
        .created();
    let world = vec![e[0].clone(), e[1].clone(), leftover];
    let fake = FakeRunner::new();
    expect_discovery(&fake, &world, &[("agent:latest", IMG)]);
    let r = run_cli(ONE, &["plan"], &fake);
    assert!(
        r.stdout.contains(
            "remove     coder-default.fleet-next  leftover replacement of `coder-default`"
        ),
        "{}",
        r.stdout
    );
    let fake = FakeRunner::new();
    expect_discovery(&fake, &world, &[("agent:latest", IMG)]);
    let r = run_cli(ONE, &["status"], &fake);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("coder-default.fleet-next")
                && l.contains("created, never started")
                && l.contains("removed")),
        "{}",
        r.stdout
    );
}
