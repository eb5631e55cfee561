//! The rolling recreate against the fake runner: when several members of
//! a type are recreated, never more than `max_unavailable` are down (from
//! the old one's stop to its replacement's rename, once ready) and the
//! first replacement that fails stops the roll.

use fleet::docker::{Output, argv};

use crate::harness::*;
use crate::support::*;

/// A pool of `n` whose image moved, at most `max` down at once.
fn pool(n: u32, max: &str) -> String {
    format!(
        r#"{{"project":"p","types":{{"coder":{{"image":"agent:latest","command":["sleep","infinity"],"instances":{n},"max_unavailable":{max}}}}}}}"#
    )
}

/// The replacement's ID for member `i`.
fn new_id(i: usize) -> String {
    hex_id(&format!("new {i}"))
}

/// Scripts the swap of every member of `config`; the members from `fail`
/// on exit at once (the first of them fails, rolled back; none after it
/// is touched).
fn rolled(config: &str, fail: Option<usize>) -> World {
    let ds = desired(config);
    let olds: Vec<Existing> = ds
        .iter()
        .map(|d| Existing::matching(d).image_id(IMG2))
        .collect();
    let mut w = World::new(config).discovery(&olds, IMAGES);
    for (i, (d, old)) in ds.iter().zip(&olds).enumerate() {
        if fail.is_some_and(|f| i > f) {
            break;
        }
        let new = Existing::matching(d)
            .id(&new_id(i))
            .named(&format!("{}.fleet-next", d.name));
        w = w
            .expect_cmd(argv::create_cmd(d), Ok(Output::ok(format!("{}\n", new.id))))
            .expect_cmd(argv::stop(0, &[&old.id]), Ok(Output::ok("")))
            .expect_cmd(argv::start(&[&new.id]), Ok(Output::ok("")));
        if fail == Some(i) {
            w = w
                .inspect(&[new.clone().exited(2)])
                .expect_cmd(argv::logs_tail(&new.id, 5), Ok(Output::ok("bad config\n")))
                .expect_cmd(argv::remove(&[&new.id]), Ok(Output::ok("")))
                .expect_cmd(argv::start(&[&old.id]), Ok(Output::ok("")));
            continue;
        }
        w = w
            .inspect(std::slice::from_ref(&new))
            .inspect(std::slice::from_ref(&new))
            .expect_cmd(argv::remove(&[&old.id]), Ok(Output::ok("")))
            .expect_cmd(argv::rename(&new.id, &d.name), Ok(Output::ok("")));
    }
    w
}

/// The most members down at once in the transcript: a `stop` takes one
/// down, a `rename` (its replacement ready) brings it back.
fn most_down(r: &Ran) -> usize {
    let (mut down, mut most) = (0usize, 0usize);
    for c in &r.calls {
        match c.verb() {
            "stop" => down += 1,
            "rename" => down -= 1,
            _ => {}
        }
        most = most.max(down);
    }
    most
}

#[test]
fn max_unavailable_one_recreates_one_member_at_a_time() {
    let r = check(&["sync", "--jobs", "8"], rolled(&pool(4, "1"), None));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(most_down(&r), 1, "{r:?}");
    assert_eq!(r.verbs().iter().filter(|v| **v == "rename").count(), 4);
}

#[test]
fn max_unavailable_half_recreates_two_at_a_time_and_never_more() {
    let r = check(&["sync", "--jobs", "8"], rolled(&pool(4, r#""50%""#), None));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(most_down(&r), 2, "{r:?}");
}

#[test]
fn the_first_replacement_that_fails_stops_the_roll_and_the_rest_keep_the_old_spec() {
    let w = rolled(&pool(4, "1"), Some(1));
    let ds = desired(&pool(4, "1"));
    // After the failure, the engine is read again: the old ones hold on.
    let after: Vec<Existing> = ds
        .iter()
        .enumerate()
        .map(|(i, d)| match i {
            0 => Existing::matching(d),
            _ => Existing::matching(d).image_id(IMG2),
        })
        .collect();
    let r = check(&["sync"], w.reobserve(&after));
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.verbs().iter().filter(|v| **v == "create").count(),
        2,
        "{r:?}"
    );
    for name in ["coder-3", "coder-4"] {
        assert!(
            r.stderr.contains(&format!(
                "`{name}` was not recreated: the rolling recreate of its type stopped (`coder-2` failed: failed to recreate `coder-2`: the replacement exited at once with code 2"
            )),
            "{r:?}"
        );
    }
}
