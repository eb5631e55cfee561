//! `fleet exec` against the fake runner: the exact docker calls of each
//! path (one look, the claim, waking a stopped or paused agent, the
//! command, the release), what must not run (no `start` for a running
//! agent, nothing after a refusal), and the exit codes.

use fleet::docker::{Cmd, Output, argv};
use serde_json::json;

use crate::fake::ANY;
use crate::harness::*;
use crate::support::*;

/// A pool of two `coder`s in project `p`.
const TWO: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"instances":2}}}"#;

fn members() -> Vec<Existing> {
    desired(TWO).iter().map(Existing::matching).collect()
}

fn claim_name(agent: &str) -> String {
    format!("{agent}.fleet-claim")
}

fn claim_id(agent: &str) -> String {
    hex_id(&format!("claim {agent}"))
}

/// The look: one inspect of the members' names and their claims'. docker
/// describes what exists on stdout and exits 1 naming the rest.
fn look(w: World, agents: &[&str], seen: &[serde_json::Value]) -> World {
    let mut names: Vec<String> = agents.iter().map(|a| a.to_string()).collect();
    names.extend(agents.iter().map(|a| claim_name(a)));
    let found: Vec<&str> = seen.iter().filter_map(|d| d["Name"].as_str()).collect();
    let missing: String = (names.iter())
        .filter(|n| !found.contains(&format!("/{n}").as_str()))
        .map(|n| format!("Error: No such object: {n}\n"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let reply = Output {
        code: Some(if missing.is_empty() { 0 } else { 1 }),
        stdout: serde_json::to_string(seen).unwrap(),
        stderr: missing,
    };
    w.expect_cmd(argv::inspect(&names), Ok(reply))
}

fn docs(seen: &[Existing]) -> Vec<serde_json::Value> {
    seen.iter().map(Existing::to_json).collect()
}

/// The member of `pool` a type's first try looks at and claims: fleet
/// starts at its pid's place in the pool (it runs in-process here).
fn guess<'a>(pool: &[&'a str]) -> &'a str {
    pool[std::process::id() as usize % pool.len()]
}

/// The documents of `seen` that are `agent`'s or its claim's.
fn of(agent: &str, seen: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let names = [format!("/{agent}"), format!("/{}", claim_name(agent))];
    (seen.iter())
        .filter(|d| names.iter().any(|n| d["Name"] == n.as_str()))
        .cloned()
        .collect()
}

/// A type's first try on `agent`, whose claim is free: the look of it and
/// its claim's name, its claim taken beside it; then let go unless `kept`
/// (only an idle member is kept).
fn first_try(w: World, agent: &str, seen: &[serde_json::Value], kept: bool) -> World {
    let w = claimed(look(w, &[agent], &of(agent, seen)), agent);
    if kept { w } else { released(w, agent) }
}

/// A first try on `agent` whose claim another fleet holds: the create
/// finds the name taken and the claim is read (it counts); nothing to let
/// go.
fn first_try_held(w: World, agent: &str, seen: &[serde_json::Value]) -> World {
    look(w, &[agent], &of(agent, seen))
        .expect_cmd(Cmd::new(claim_create(agent)), Ok(conflict(agent)))
        .expect_cmd(
            argv::inspect(&[&claim_name(agent)]),
            Ok(Output::ok(json!([held_claim(agent)]).to_string())),
        )
}

/// docker's answer to a create under a name that is taken.
fn conflict(agent: &str) -> Output {
    Output::fail(
        1,
        format!(
            "Error response from daemon: Conflict. The container name \"/{}\" is already in use",
            claim_name(agent)
        ),
    )
}

/// Another fleet's claim on `agent`: taken a second ago on another machine
/// with an hour's grace, so it counts.
fn held_claim(agent: &str) -> serde_json::Value {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 1.0;
    json!({
        "Id": claim_id(agent),
        "Name": format!("/{}", claim_name(agent)),
        "Image": "sha256:0000",
        "State": { "Status": "created", "Running": false, "Paused": false, "Restarting": false,
                   "OOMKilled": false, "Dead": false, "Pid": 0, "ExitCode": 0,
                   "StartedAt": "0001-01-01T00:00:00Z" },
        "RestartCount": 0,
        "Config": { "Image": "fleet-lock:1", "Labels": {
            "fleet.claim": "p", "fleet.claim.agent": agent,
            "fleet.claim.holder": "ops@far pid 4242", "fleet.claim.machine": "far",
            "fleet.claim.pid": "4242", "fleet.claim.since": format!("{since:.3}"),
            "fleet.claim.grace": "3600"
        }},
        "HostConfig": {}
    })
}

/// This run's claim on `agent`: the create, its labels' values (holder,
/// machine, pid, time) left open.
fn claim_create(agent: &str) -> Vec<String> {
    let name = claim_name(agent);
    let mut a: Vec<String> = [
        "create",
        "--pull",
        "never",
        "--name",
        &name,
        "--network",
        "none",
    ]
    .map(String::from)
    .to_vec();
    for label in [
        "fleet.claim=p".to_string(),
        format!("fleet.claim.agent={agent}"),
    ] {
        a.extend(["--label".into(), label]);
    }
    for _ in 0..7 {
        a.extend(["--label".into(), ANY.into()]);
    }
    a.extend(["fleet-lock:1".into(), "fleet-lock".into()]);
    a
}

fn claimed(w: World, agent: &str) -> World {
    w.expect_cmd(
        Cmd::new(claim_create(agent)),
        Ok(Output::ok(claim_id(agent) + "\n")),
    )
}

fn released(w: World, agent: &str) -> World {
    w.expect_cmd(
        Cmd::new(["rm".to_string(), claim_id(agent)]),
        Ok(Output::ok(claim_id(agent) + "\n")),
    )
}

/// The command in `agent`: `docker exec -i --env-file <file> AGENT CMD`.
fn ran(w: World, agent: &str, cmd: &[&str], reply: Output) -> World {
    let mut a: Vec<String> = ["exec", "-i", "--env-file", ANY, agent]
        .map(String::from)
        .to_vec();
    a.extend(cmd.iter().map(|s| s.to_string()));
    w.expect_cmd(Cmd::new(a), Ok(reply))
}

/// A named agent's first two calls, the look and the claim, run side by
/// side (either may come first); the verbs after them.
fn side_by_side_then(r: &Ran) -> Vec<String> {
    let verbs = r.verbs();
    let mut first: Vec<&str> = verbs.iter().take(2).copied().collect();
    first.sort_unstable();
    assert_eq!(first, ["create", "inspect"], "{r:?}");
    verbs[2..].iter().map(|v| v.to_string()).collect()
}

fn exec(args: &[&str], w: World) -> Ran {
    let mut all = vec!["exec"];
    all.extend(args);
    check(&all, w)
}

#[test]
fn an_idle_agent_runs_the_command_under_a_claim_and_its_exit_status_is_fleets() {
    let m = members();
    let w = look(World::new(TWO), &["coder-default"], &docs(&m[..1]));
    let w = claimed(w, "coder-default");
    let w = ran(
        w,
        "coder-default",
        &["sh", "-c", "exit 7"],
        Output::fail(7, ""),
    );
    let w = released(w, "coder-default");
    let r = exec(&["coder-default", "--", "sh", "-c", "exit 7"], w);
    assert_eq!(r.code, 7, "{r:?}");
    assert_eq!(side_by_side_then(&r), ["exec", "rm"]);
    assert_eq!(r.stderr, "", "nothing of fleet's on a run that went well");
}

#[test]
fn a_stopped_agent_is_started_a_paused_one_unpaused_and_each_is_said() {
    let m = members();
    let id = m[0].id.clone();
    for (seen, wake, word) in [
        (
            m[0].clone().exited(137),
            argv::start(&[&id]),
            "starting `coder-default` (it was exited 137)",
        ),
        (
            m[0].clone().created(),
            argv::start(&[&id]),
            "starting `coder-default` (it was created",
        ),
        (
            m[0].clone().paused(),
            argv::unpause(&[&id]),
            "unpausing `coder-default` (it was paused",
        ),
    ] {
        let w = look(World::new(TWO), &["coder-default"], &docs(&[seen]));
        let w = claimed(w, "coder-default").expect_cmd(wake, Ok(Output::ok(id.clone() + "\n")));
        // The readiness check: up and unchanged for the settle time.
        let w = w.allow_cmd(
            argv::inspect(&["coder-default"]),
            Output::ok(serde_json::to_string(&docs(&m[..1])).unwrap()),
        );
        let w = ran(w, "coder-default", &["true"], Output::ok(""));
        let w = released(w, "coder-default");
        let r = exec(&["coder-default", "--", "true"], w);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stderr.contains(&format!("fleet: {word}")), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
        let verbs = r.verbs();
        let woke = verbs
            .iter()
            .position(|v| *v == "start" || *v == "unpause")
            .unwrap();
        let ran = verbs.iter().position(|v| *v == "exec").unwrap();
        assert!(woke < ran, "{verbs:?}");
    }
}

#[test]
fn an_agent_that_cannot_take_work_fails_with_125_and_why_before_anything_runs() {
    let m = members();
    for (seen, why) in [
        (vec![m[0].clone().restarting().restarts(4)], "crash-looping"),
        (vec![m[0].clone().dead()], "is dead"),
        (
            vec![m[0].clone().health("unhealthy", "probe said no")],
            "unhealthy",
        ),
        (vec![], "`coder-default` does not exist"),
    ] {
        // The claim is taken beside the look, and let go.
        let w = look(World::new(TWO), &["coder-default"], &docs(&seen));
        let w = released(claimed(w, "coder-default"), "coder-default");
        let r = exec(&["coder-default", "--", "true"], w);
        assert_eq!(r.code, 125, "{why}: {r:?}");
        assert!(r.stderr.contains(why), "{why}: {}", r.stderr);
        assert_eq!(
            side_by_side_then(&r),
            ["rm"],
            "{why}: nothing but the look and the claim let go"
        );
    }
}

#[test]
fn a_type_takes_its_idle_member_and_never_starts_a_stopped_one_meanwhile() {
    let m = members();
    let pool = ["coder-default", "coder-2"];
    let seen = docs(&[m[0].clone().exited(137), m[1].clone()]);
    // Its first try is kept only when it is the idle coder-2; the stopped
    // coder-default is let go for the whole look.
    let w = match guess(&pool) {
        "coder-2" => first_try(World::new(TWO), "coder-2", &seen, true),
        _ => {
            let w = first_try(World::new(TWO), "coder-default", &seen, false);
            claimed(look(w, &pool, &seen), "coder-2")
        }
    };
    let w = ran(w, "coder-2", &["true"], Output::ok(""));
    let w = released(w, "coder-2");
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.verbs().contains(&"start"), "{:?}", r.verbs());
}

#[test]
fn every_member_busy_is_75_naming_who_holds_each_and_runs_nothing() {
    let m = members();
    let pool = ["coder-default", "coder-2"];
    let mut seen = docs(&[m[0].clone().execs(1), m[1].clone()]);
    seen.push(held_claim("coder-2"));
    let w = match guess(&pool) {
        "coder-default" => first_try(World::new(TWO), "coder-default", &seen, false),
        _ => first_try_held(World::new(TWO), "coder-2", &seen),
    };
    let w = look(w, &pool, &seen);
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 75, "{r:?}");
    assert!(
        r.stderr.contains("every member of the pool is busy"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`coder-default`: 1 live exec session"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`coder-2`: claimed by 4242@far since "),
        "{}",
        r.stderr
    );
    assert!(
        !r.verbs()
            .iter()
            .any(|v| ["exec", "start", "unpause"].contains(v)),
        "{:?}",
        r.verbs()
    );
}

#[test]
fn a_member_claimed_between_the_look_and_the_claim_is_passed_over() {
    let m = members();
    let pool = ["coder-default", "coder-2"];
    let seen = docs(&m);
    // Another fleet claims coder-default first: the create says the name
    // is taken, its claim is read and counts (as often as this run tries).
    let w = World::new(TWO)
        .allow_cmd(
            Cmd::new(claim_create("coder-default")),
            conflict("coder-default"),
        )
        .allow_cmd(
            argv::inspect(&[&claim_name("coder-default")]),
            Output::ok(json!([held_claim("coder-default")]).to_string()),
        );
    let w = match guess(&pool) {
        "coder-2" => first_try(w, "coder-2", &seen, true),
        _ => {
            let w = look(w, &["coder-default"], &of("coder-default", &seen));
            claimed(look(w, &pool, &seen), "coder-2")
        }
    };
    let w = ran(w, "coder-2", &["true"], Output::ok(""));
    let w = released(w, "coder-2");
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 0, "{r:?}");
    let into: Vec<&Cmd> = r.calls.iter().filter(|c| c.verb() == "exec").collect();
    assert_eq!(into.len(), 1);
    assert!(into[0].args.contains(&"coder-2".to_string()));
}

#[test]
fn queue_waits_for_a_member_to_free() {
    let m = members();
    // A pool of one: its first try is its whole look; busy, the claim is
    // let go, and the queue looks again.
    let busy = docs(&[m[0].clone().execs(1)]);
    let w = first_try(World::new(ONE_CODER), "coder-default", &busy, false);
    let w = look(w, &["coder-default"], &docs(&m[..1]));
    let w = claimed(w, "coder-default");
    let w = ran(w, "coder-default", &["true"], Output::ok(""));
    let w = released(w, "coder-default");
    let r = exec(&["coder", "--queue", "30", "--", "true"], w);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        side_by_side_then(&r),
        ["rm", "inspect", "create", "exec", "rm"]
    );
}

/// [`TWO`] with one member: the queue test's pool.
const ONE_CODER: &str = r#"{"project":"p","types":{"coder":{"image":"agent:latest","command":["sleep","infinity"],"instances":1}}}"#;

#[test]
fn env_values_for_the_command_are_never_on_an_argv_nor_printed() {
    let m = members();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("env");
    std::fs::write(&file, "# the caller's\nFROM_FILE=filed-s3cret\n").unwrap();
    let w = look(World::new(TWO), &["coder-default"], &docs(&m[..1]));
    let w = claimed(w, "coder-default");
    let w = ran(w, "coder-default", &["env"], Output::ok(""));
    let w = released(w, "coder-default");
    let file = file.display().to_string();
    let r = exec(
        &[
            "coder-default",
            "-e",
            "API_KEY=hunter2-s3cret",
            "--env-file",
            &file,
            "-v",
            "--",
            "env",
        ],
        w,
    );
    assert_eq!(r.code, 0, "{r:?}");
    for c in &r.calls {
        assert!(!c.full_line().contains("s3cret"), "{}", c.full_line());
    }
    assert!(
        !r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"),
        "{r:?}"
    );
}

#[test]
fn bad_env_is_fleets_failure_125_and_runs_no_docker() {
    // FLEET_EXEC_ID is fleet's: another dispatch's ID would aim this
    // one's signals at that one's command.
    for bad in ["NOVALUE", "1X=y", "A B=c", "=v", "FLEET_EXEC_ID=1-2"] {
        let r = exec(&["coder-default", "-e", bad, "--", "true"], World::new(TWO));
        assert_eq!(r.code, 125, "{bad}: {r:?}");
        assert!(r.calls.is_empty(), "{bad}");
    }
}

#[test]
fn the_docker_clis_own_failures_map_to_docker_runs_codes() {
    let m = members();
    for (reply, code) in [
        (
            Output::fail(
                126,
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH: unknown",
            ),
            127,
        ),
        (
            Output::fail(
                126,
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"/etc\": permission denied: unknown",
            ),
            126,
        ),
        (Output::fail(137, ""), 137),
        (Output::fail(0, ""), 0),
    ] {
        let w = look(World::new(TWO), &["coder-default"], &docs(&m[..1]));
        let w = claimed(w, "coder-default");
        let w = ran(w, "coder-default", &["nope"], reply);
        let w = released(w, "coder-default");
        let r = exec(&["coder-default", "--", "nope"], w);
        assert_eq!(r.code, code, "{r:?}");
    }
}

#[test]
fn usage_errors_of_exec_are_125_never_a_code_the_command_could_give() {
    let r = exec(&["nobody", "--", "true"], World::new(TWO));
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr.contains("no agent or type named `nobody`"),
        "{}",
        r.stderr
    );
    assert!(r.calls.is_empty());
    for args in [
        &["coder"][..],
        &["coder", "--queue", "x", "--", "true"],
        &["--bogus", "coder", "--", "true"],
    ] {
        let r = exec(args, World::new(TWO));
        assert_eq!(r.code, 125, "{args:?}: {r:?}");
        assert!(r.calls.is_empty());
    }
    // Another command's usage error is still 2.
    assert_eq!(check(&["sync", "--bogus"], World::new(TWO)).code, 2);
}

/// With `--json`, fleet's own failure is the `{"error": …}` document on
/// stdout as for every command, usage errors included; the command's
/// output is never wrapped.
#[test]
fn json_wraps_fleets_failures_and_never_the_commands_output() {
    for args in [
        &["--json", "exec", "nobody", "--", "true"][..],
        &["exec", "--json", "coder", "--queue", "x", "--", "true"],
    ] {
        let r = check(args, World::new(TWO));
        assert_eq!(r.code, 125, "{args:?}: {r:?}");
        let doc: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {r:?}"));
        assert!(
            doc["error"].is_object() || doc["error"].is_string(),
            "{doc}"
        );
    }
    let w = ran(
        claimed(
            look(World::new(TWO), &["coder-default"], &docs(&members()[..1])),
            "coder-default",
        ),
        "coder-default",
        &["echo", "hi"],
        Output::ok("hi\n"),
    );
    let r = check(
        &["--json", "exec", "coder-default", "--", "echo", "hi"],
        released(w, "coder-default"),
    );
    // The command's output goes straight to fleet's stdout (attached, not
    // through fleet's report): fleet adds no document of its own.
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
}

/// A named agent whose claim another fleet holds: the claim taken beside
/// the look finds the name taken and that claim counting; 75, naming the
/// holder, nothing run and nothing removed. The same agent with only an
/// exec session: this run's claim is taken and let go, 75.
#[test]
fn a_named_agent_held_by_another_claim_or_a_session_is_75_and_its_claim_let_go() {
    let m = members();
    let conflict = Output::fail(
        1,
        "Error response from daemon: Conflict. The container name \"/coder-2.fleet-claim\" is already in use",
    );
    let w = look(World::new(TWO), &["coder-2"], &docs(&m[1..]))
        .expect_cmd(Cmd::new(claim_create("coder-2")), Ok(conflict))
        .expect_cmd(
            argv::inspect(&[&claim_name("coder-2")]),
            Ok(Output::ok(json!([held_claim("coder-2")]).to_string())),
        );
    let r = exec(&["coder-2", "--", "true"], w);
    assert_eq!(r.code, 75, "{r:?}");
    assert!(
        r.stderr
            .contains("the agent is busy: `coder-2`: claimed by 4242@far since "),
        "{}",
        r.stderr
    );
    assert!(
        !r.verbs().contains(&"exec") && !r.verbs().contains(&"rm"),
        "{r:?}"
    );

    let working = m[1].clone().execs(1);
    let w = look(World::new(TWO), &["coder-2"], &docs(&[working]));
    let w = released(claimed(w, "coder-2"), "coder-2");
    let r = exec(&["coder-2", "--", "true"], w);
    assert_eq!(r.code, 75, "{r:?}");
    assert!(r.stderr.contains("1 live exec session"), "{}", r.stderr);
    assert_eq!(side_by_side_then(&r), ["rm"]);
}

/// `-t` with a stdin that is not a terminal: the docker CLI would refuse
/// it after the claim and the wake, with exit 1, which reads as the
/// command's. fleet refuses it first: 125, nothing run.
#[test]
fn a_tty_without_a_terminal_is_refused_before_any_docker_call() {
    let r = exec(&["-t", "coder-default", "--", "true"], World::new(TWO));
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("stdin is not a terminal"), "{}", r.stderr);
    assert!(r.calls.is_empty(), "{r:?}");
}

/// A claim's labels are anyone's with access to the engine: a holder
/// naming an escape sequence and a forged `error:` line is shown escaped
/// on one line, never obeyed.
#[test]
fn a_hostile_claim_holder_is_shown_escaped() {
    let m = members();
    let mut hostile = held_claim("coder-2");
    hostile["Config"]["Labels"]["fleet.claim.holder"] =
        json!("ops@\u{1b}[31mred\nerror: forged pid 4242");
    let w = look(World::new(TWO), &["coder-2"], &[docs(&m[1..])[0].clone(), hostile.clone()])
        .expect_cmd(
            Cmd::new(claim_create("coder-2")),
            Ok(Output::fail(
                1,
                "Error response from daemon: Conflict. The container name \"/coder-2.fleet-claim\" is already in use",
            )),
        )
        .expect_cmd(
            argv::inspect(&[&claim_name("coder-2")]),
            Ok(Output::ok(json!([hostile]).to_string())),
        );
    let r = exec(&["coder-2", "--", "true"], w);
    assert_eq!(r.code, 75, "{r:?}");
    assert!(!r.stderr.contains('\u{1b}'), "{:?}", r.stderr);
    assert!(
        r.stderr
            .contains(r"claimed by 4242@\u{1b}[31mred\nerror: forged since "),
        "{:?}",
        r.stderr
    );
    assert!(!r.stderr.lines().any(|l| l.starts_with("error: forged")));
}

/// On the engine at `url`: `agent` claimed, `true` run in it, the claim
/// released (the calls of one dispatch there after its look).
fn ran_true_on(w: World, url: &str, agent: &str) -> World {
    use crate::placement::at;
    let exec_args: Vec<String> = ["exec", "-i", "--env-file", ANY, agent, "true"]
        .map(String::from)
        .to_vec();
    w.expect_cmd(
        at(url, Cmd::new(claim_create(agent))),
        Ok(Output::ok(claim_id(agent) + "\n")),
    )
    .expect_cmd(at(url, Cmd::new(exec_args)), Ok(Output::ok("")))
    .expect_cmd(
        at(url, Cmd::new(["rm".to_string(), claim_id(agent)])),
        Ok(Output::ok(claim_id(agent) + "\n")),
    )
}

/// The look's answer for `coder-2` of the hosts config, idle, its claim
/// free.
fn coder_2_idle() -> Output {
    Output {
        code: Some(1),
        stdout: json!([crate::placement::agent("coder-2").to_json()]).to_string(),
        stderr: "Error: No such object: coder-2.fleet-claim\n".into(),
    }
}

/// A type spread over two hosts, one of them down: its members there are
/// passed over and a member on the other host runs the command, every call
/// on that host's engine. Both down: 125, naming the hosts.
#[test]
fn a_host_that_is_down_gives_up_its_members_to_the_others() {
    use crate::placement::{H1, H2, TWO as HOSTS, at};
    let pool = ["coder-default", "coder-2", "coder-3"];
    let h1_look = || {
        argv::inspect(&[
            "coder-default",
            "coder-3",
            "coder-default.fleet-claim",
            "coder-3.fleet-claim",
        ])
    };
    let h2_look = || argv::inspect(&["coder-2", "coder-2.fleet-claim"]);
    let on_h2 = coder_2_idle;
    let claim_on = |url: &str, a: &str| at(url, Cmd::new(claim_create(a)));
    // The first try on a member of the host that is down fails there
    // (its look and its claim), which is no failure: the whole look tells.
    let first_on_h1 = |w: World, g: &str| {
        w.expect_cmd(
            at(H1, argv::inspect(&[g, &claim_name(g)])),
            Ok(engine_down()),
        )
        .expect_cmd(claim_on(H1, g), Ok(engine_down()))
    };
    let w = World::new(HOSTS);
    let w = match guess(&pool) {
        "coder-2" => w.expect_cmd(at(H2, h2_look()), Ok(on_h2())),
        g => first_on_h1(w, g)
            .expect_cmd(at(H1, h1_look()), Ok(engine_down()))
            .expect_cmd(at(H2, h2_look()), Ok(on_h2())),
    };
    let w = ran_true_on(w, H2, "coder-2");
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 0, "{r:?}");

    let w = World::new(HOSTS);
    let w = match guess(&pool) {
        "coder-2" => w
            .expect_cmd(at(H2, h2_look()), Ok(engine_down()))
            .expect_cmd(claim_on(H2, "coder-2"), Ok(engine_down())),
        g => first_on_h1(w, g),
    };
    let w = w
        .expect_cmd(at(H1, h1_look()), Ok(engine_down()))
        .expect_cmd(at(H2, h2_look()), Ok(engine_down()));
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr.contains("host `h1`: ") && r.stderr.contains("host `h2`: "),
        "{}",
        r.stderr
    );
    assert!(
        !r.verbs()
            .iter()
            .any(|v| ["exec", "start", "rm"].contains(v)),
        "{r:?}"
    );
}

/// An engine that is down: the look's batched inspect says "Cannot
/// connect …" once per name (members and claims); fleet says it once.
#[test]
fn an_engine_that_is_down_is_said_once_not_once_per_name() {
    let down = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
    let per_name = Output::fail(1, format!("{down}\n{down}\n{down}\n{down}\n"));
    let r = exec(
        &["coder", "--", "true"],
        World::new(TWO)
            .allow_cmd(
                argv::inspect(&["coder-default", "coder-default.fleet-claim"]),
                per_name.clone(),
            )
            .allow_cmd(
                argv::inspect(&["coder-2", "coder-2.fleet-claim"]),
                per_name.clone(),
            )
            .allow_cmd(Cmd::new(claim_create("coder-default")), per_name.clone())
            .allow_cmd(Cmd::new(claim_create("coder-2")), per_name.clone())
            .allow_cmd(
                argv::inspect(&[
                    "coder-default",
                    "coder-2",
                    "coder-default.fleet-claim",
                    "coder-2.fleet-claim",
                ]),
                per_name,
            ),
    );
    assert_eq!(r.code, 125, "{r:?}");
    assert_eq!(
        r.stderr.matches("Cannot connect").count(),
        1,
        "{}",
        r.stderr
    );
}

/// `--host` leaves some members out of the run: a named agent on a host
/// left out is a usage error naming its host, before any docker call; a
/// type is looked for only on the hosts of the run.
#[test]
fn host_narrows_the_pool_and_a_named_agent_left_out_is_said() {
    use crate::placement::{H2, TWO as HOSTS, at};
    let r = exec(
        &["--host", "h2", "coder-default", "--", "true"],
        World::new(HOSTS),
    );
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr
            .contains("`coder-default` runs on host `h1`, which --host leaves out of this run"),
        "{}",
        r.stderr
    );
    assert!(r.calls.is_empty(), "{r:?}");

    // Only coder-2 is on h2: the pool is that one member.
    let w = World::new(HOSTS).expect_cmd(
        at(H2, argv::inspect(&["coder-2", "coder-2.fleet-claim"])),
        Ok(coder_2_idle()),
    );
    let w = ran_true_on(w, H2, "coder-2");
    let r = exec(&["--host", "h2", "coder", "--", "true"], w);
    assert_eq!(r.code, 0, "{r:?}");
}

/// A target that is both an agent (`coder-2` of type `coder`) and a type
/// named `coder-2` is refused, naming both, before any docker call.
#[test]
fn a_target_that_is_an_agent_and_a_type_is_refused() {
    let both = r#"{"project":"p","types":{"coder":{"image":"a:1","instances":2},"coder-2":{"image":"a:1"}}}"#;
    let r = exec(&["coder-2", "--", "true"], World::new(both));
    assert_eq!(r.code, 125, "{r:?}");
    assert!(
        r.stderr
            .contains("`coder-2` is both an agent (of type `coder`) and a type"),
        "{}",
        r.stderr
    );
    assert!(r.calls.is_empty(), "{r:?}");
}

/// A panic in a type's first try (here: while looking at the member it
/// tries first) is fleet's bug, said as one (125), never passed over for
/// the whole look; the claim taken beside it is released.
#[test]
fn a_panic_in_the_first_try_is_a_bug_said_and_its_claim_released() {
    let m = members();
    let pool = ["coder-default", "coder-2"];
    let g = guess(&pool);
    let w = World::new(TWO)
        .panic_on(argv::inspect(&[g, &claim_name(g)]))
        .allow_cmd(
            argv::inspect(&[
                "coder-default",
                "coder-2",
                "coder-default.fleet-claim",
                "coder-2.fleet-claim",
            ]),
            Output::ok(serde_json::to_string(&docs(&m)).unwrap()),
        );
    let w = released(claimed(w, g), g);
    let r = exec(&["coder", "--", "true"], w);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.verbs().contains(&"exec"), "{r:?}");
}
