//! Discovery is all or nothing: output fleet cannot fully read stops the run
//! before any mutating command; a container gone between the listing and
//! the inspect is a race, not an error.

use fleet::docker::{Output, argv};

use crate::harness::*;
use crate::support::*;

/// Two agents, `coder-default` and `coder-2` (project `p`).
const TWO: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"instances":2}}}"#;

/// A world whose `docker ps` prints `listing`.
fn listing(listing: String) -> World {
    World::new(TWO).expect_cmd(argv::list_all(), Ok(Output::ok(listing)))
}

#[test]
fn a_listing_fleet_cannot_read_changes_nothing() {
    let e = Existing::matching(&desired(TWO)[0]);
    for bad in [
        "Error: something went wrong\n".to_string(),
        "garbage\n".to_string(),
        format!("{}\tcoder-default\n", e.id),
        format!("{}\tcoder-default\tp\n", e.id),
        format!("{}\tcoder default\t\"p\"\n", e.id),
        format!("{}\tcoder-default\t\"p\"\n", &e.id[..12]),
        format!("{}\tcoder-default\t\"p\"\n<html>\n", e.id),
    ] {
        let r = check(&["sync"], listing(bad.clone()));
        assert_eq!(r.code, 1, "{bad:?}: {r:?}");
        assert!(
            r.stderr.contains("could not read the containers")
                && r.stderr.contains("nothing was changed"),
            "{bad:?}: {}",
            r.stderr
        );
        assert_eq!(r.verbs(), ["ps"], "{bad:?}: no run, no inspect");
    }
}

#[test]
fn an_inspect_that_leaves_a_container_out_is_an_error() {
    let d = desired(TWO);
    let (a, b) = (Existing::matching(&d[0]), Existing::matching(&d[1]));
    let world = listing(format!(
        "{}\tcoder-default\t\"p\"\n{}\tcoder-2\t\"p\"\n",
        a.id, b.id
    ))
    .expect_cmd(
        argv::inspect(&[a.id.as_str(), b.id.as_str()]),
        Ok(Output::ok(serde_json::to_string(&[a.to_json()]).unwrap())),
    );
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("described 1 of 2 containers"),
        "{}",
        r.stderr
    );
    assert_eq!(r.verbs(), ["ps", "inspect"], "coder-2 is not created");
}

#[test]
fn a_container_gone_before_the_inspect_is_a_race_in_any_wording() {
    let d = desired(TWO);
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
        let world = listing(format!(
            "{}\tcoder-default\t\"p\"\n{}\tcoder-2\t\"p\"\n",
            a.id, b.id
        ))
        .expect_cmd(
            argv::inspect(&[a.id.as_str(), b.id.as_str()]),
            Ok(Output {
                code: Some(1),
                stdout: serde_json::to_string(&[a.to_json()]).unwrap(),
                stderr: format!("{said}\n"),
            }),
        )
        .images(IMAGES)
        .expect_cmd(argv::run_cmd(&d[1]), Ok(Output::ok(format!("{}\n", b.id))))
        .inspect(std::slice::from_ref(&b));
        let r = check(&["sync"], world);
        assert_eq!(r.code, 0, "{said}: {r:?}");
        assert_eq!(
            r.stdout,
            "[agents-sync] created: coder-2\n[agents-sync] unchanged: coder-default\n"
        );
    }
}

#[test]
fn another_inspect_failure_is_not_taken_for_a_race() {
    let a = Existing::matching(&desired(TWO)[0]);
    let world = listing(format!("{}\tcoder-default\t\"p\"\n", a.id)).expect_cmd(
        argv::inspect(&[a.id.as_str()]),
        Ok(Output::fail(1, "Error response from daemon: i/o timeout")),
    );
    let r = check(&["sync"], world);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.verbs(), ["ps", "inspect"]);
}

#[test]
fn a_label_cannot_forge_a_listing_line() {
    // A foreign container whose fleet.project label holds a line break
    // and a fake line: quoted, it stays one value on one line.
    let d = desired(TWO);
    let a = Existing::matching(&d[0]);
    let forged = serde_json::json!(format!("x\n{}\tcoder-2\tp", "0".repeat(64)));
    let other = Existing::foreign("bystander", Some("x"));
    let world = listing(format!(
        "{}\tcoder-default\t\"p\"\n{}\tbystander\t{forged}\n",
        a.id, other.id
    ))
    .inspect(std::slice::from_ref(&a))
    .images(IMAGES)
    .expect_cmd(argv::run_cmd(&d[1]), Ok(Output::ok("newid\n")))
    .inspect(&[Existing::matching(&d[1]).id("newid")]);
    let r = check(&["sync"], world);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn up_never_starts_a_leftover_replacement() {
    let d = desired(TWO).remove(0);
    let seen = [
        Existing::matching(&d).id(&"1".repeat(64)).exited(137),
        Existing::matching(&d)
            .id(&"2".repeat(64))
            .named("coder-default.fleet-next")
            .created(),
    ];
    let world = World::new(TWO)
        .project_listing(&seen)
        .expect(
            &format!("start {}", "1".repeat(64)),
            Output::ok(format!("{}\n", "1".repeat(64))),
        )
        .inspect(&[Existing::matching(&d).id(&"1".repeat(64))]);
    let r = check(&["up"], world);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[containers-up] started: coder-default\n[containers-up] skipped: coder-default.fleet-next (leftover replacement of an interrupted recreate; `fleet sync` finishes or removes it)\n"
    );
}

#[test]
fn plan_and_status_show_a_leftover_replacement() {
    let d = desired(TWO);
    let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
    let leftover = e[0]
        .clone()
        .named("coder-default.fleet-next")
        .id(&"f".repeat(64))
        .created();
    let world =
        || World::new(TWO).discovery(&[e[0].clone(), e[1].clone(), leftover.clone()], IMAGES);
    let r = check(&["plan"], world());
    assert!(
        r.stdout.contains(
            "remove     coder-default.fleet-next  leftover replacement of `coder-default`"
        ),
        "{}",
        r.stdout
    );
    let r = check(&["status"], world());
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

#[test]
fn a_missing_image_is_recognised_in_each_engines_words() {
    // Two types; `gone`'s image is not on the host. Whatever words the
    // engine uses, discovery goes on (the image is then not compared) and
    // only that type is affected.
    for (image, stderr) in [
        ("gone:v1", "Error: No such image: gone:v1"),
        // docker 28: the daemon's words and the CLI's on one line.
        (
            "gone:v1",
            "Error response from daemon: no such image: gone:v1: No such image: gone:v1",
        ),
        // An untagged reference comes back with `:latest`.
        ("gone", "Error: No such image: gone:latest"),
        // A fully qualified one comes back short.
        ("docker.io/library/gone:v1", "Error: No such image: gone:v1"),
        // podman.
        (
            "gone:v1",
            "Error: inspecting object: gone:v1: image not known",
        ),
        (
            "gone",
            "error inspecting object: docker.io/library/gone:latest: image not known",
        ),
    ] {
        let config = format!(
            r#"{{"project":"p","types":{{"coder":{{"image":"agent:latest","command":["sleep","infinity"]}},"gone":{{"image":"{image}","command":["sleep","infinity"]}}}}}}"#
        );
        let d = desired(&config);
        let e: Vec<Existing> = d.iter().map(Existing::matching).collect();
        let world = World::new(&config)
            .expect_cmd(
                argv::list_all(),
                Ok(Output::ok(crate::harness::listing(&e))),
            )
            .inspect(&e)
            .expect_cmd(
                argv::image_inspect(&["agent:latest", image]),
                Ok(Output {
                    code: Some(1),
                    stdout: format!("{IMG}\t[\"PATH=/bin\"]\n"),
                    stderr: format!("{stderr}\n"),
                }),
            );
        let r = check(&["plan"], world);
        assert_eq!(r.code, 0, "{image} / {stderr}: {r:?}");
        assert_eq!(
            r.stdout.lines().last(),
            Some("[agents-plan] unchanged: coder-default, gone-default"),
            "{stderr}"
        );
    }
}

#[test]
fn images_the_listing_did_not_foresee_are_resolved_after_the_inspect() {
    // The listing's labels show the project but no type (podman can print
    // labels the CLI's way too); the inspect names the type: its image is
    // resolved then, and the container is judged as usual.
    let e = Existing::matching(&desired(TWO)[0]);
    let line = format!("{}\tcoder-default\t\"fleet.project=p\"\n", e.id);
    let w = listing(line)
        .inspect(std::slice::from_ref(&e))
        .images(IMAGES)
        .expect_cmd(argv::run_cmd(&desired(TWO)[1]), Ok(Output::ok("n2\n")))
        .inspect(&[Existing::matching(&desired(TWO)[1]).id("n2")]);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.verbs(), ["ps", "inspect", "image", "run", "inspect"]);
    assert!(r.stdout.contains("unchanged: coder-default"), "{r:?}");
}

#[test]
fn an_early_image_inspect_that_fails_is_asked_again_and_its_error_is_the_runs() {
    let e = Existing::matching(&desired(TWO)[0]);
    let both = [e.clone(), Existing::matching(&desired(TWO)[1])];
    // The first answer is garbage, the second fine: the run goes on.
    let w = World::new(TWO)
        .expect_cmd(
            argv::list_all(),
            Ok(Output::ok(crate::harness::listing(&both))),
        )
        .inspect(&both)
        .expect_cmd(
            argv::image_inspect(&["agent:latest"]),
            Ok(Output::fail(1, "Error: something odd")),
        )
        .images(IMAGES);
    let r = check(&["sync"], w);
    assert_eq!(r.code, 0, "{r:?}");
    // Both answers garbage: the second is the run's error, nothing changes.
    let w = World::new(TWO)
        .expect_cmd(
            argv::list_all(),
            Ok(Output::ok(crate::harness::listing(&both))),
        )
        .inspect(&both)
        .expect_cmd(
            argv::image_inspect(&["agent:latest"]),
            Ok(Output::fail(1, "Error: something odd")),
        )
        .expect_cmd(
            argv::image_inspect(&["agent:latest"]),
            Ok(Output::fail(1, "Error: something odd")),
        );
    let r = check(&["sync"], w);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("something odd"), "{r:?}");
    assert_eq!(r.verbs(), ["ps", "inspect", "image", "image"]);
}
