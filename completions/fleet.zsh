#compdef fleet

autoload -U is-at-least

_fleet() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_fleet_commands" \
"*::: :->fleet" \
&& ret=0
    case $state in
    (fleet)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:fleet-command-$line[1]:"
        case $line[1] in
            (sync)
_arguments "${_arguments_options[@]}" : \
'--wait-timeout=[Seconds --wait may take, 0 to 86400]:SECS:_default' \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--force[Recreate or remove containers even while they have live \`docker exec\` sessions]' \
'--allow-empty[Accept a config that declares no container (removes the whole fleet)]' \
'--wait[End only once every container the run started is ready (healthy, or up 1s without restarting); exit 1 when one fails or time runs out]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(plan)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--detailed-exitcode[Exit 0 when nothing is pending, 2 when changes are pending, 1 on error]' \
'--force[Plan as sync --force would]' \
'--allow-empty[Plan as sync --allow-empty would]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
'--wait-timeout=[Seconds --wait may take, 0 to 86400]:SECS:_default' \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--wait[End only once every container the run started is ready (healthy, or up 1s without restarting); exit 1 when one fails or time runs out]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
'-t+[docker stop'\''s grace period, in seconds, before SIGKILL]:TIME:_default' \
'--time=[docker stop'\''s grace period, in seconds, before SIGKILL]:TIME:_default' \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--force[Stop containers even while they have live \`docker exec\` sessions]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--format=[What to print\: a table, one JSON document (as --json), or Prometheus text exposition \[default\: text, json with --json\]]:FORMAT:(text json prometheus)' \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(hosts)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(exec)
_arguments "${_arguments_options[@]}" : \
'--queue=[Wait up to SECS for a member to be free (default\: fail at once with exit 75), 0 to 86400]:SECS:_default' \
'*-e+[KEY=VALUE in the command'\''s environment (repeatable; never on an argv, never printed)]:KEY=VALUE:_default' \
'*--env=[KEY=VALUE in the command'\''s environment (repeatable; never on an argv, never printed)]:KEY=VALUE:_default' \
'*--env-file=[A file of KEY=VALUE lines for the command'\''s environment (repeatable)]:PATH:_files' \
'--wait-timeout=[Seconds the agent may take to be ready before the command runs, 0 to 86400]:SECS:_default' \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'-i[Pass stdin on even when it is a terminal (it is passed on whenever it is not)]' \
'--interactive[Pass stdin on even when it is a terminal (it is passed on whenever it is not)]' \
'-t[Allocate a pseudo-TTY in the agent]' \
'--tty[Allocate a pseudo-TTY in the agent]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
':target -- An agent (`coder-2`) or a type (`coder`\: any ready, idle member):_default' \
'*::cmd -- The command and its arguments, after `--`:_default' \
&& ret=0
;;
(unlock)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--force[Release the lock even when its holder is a fleet run still running on this machine]' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(schema)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell to complete for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'-c+[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--config=[The config file \[env\: FLEET_CONFIG\]]:CONFIG:_files' \
'--docker=[The docker CLI to run \[env\: FLEET_DOCKER\]]:DOCKER:_default' \
'--color=[When to colour the text output (auto\: never with NO_COLOR set)]:COLOR:(auto always never)' \
'--jobs=[How many docker operations may run at once]:JOBS:_default' \
'--timeout=[Seconds one docker call may take before it is killed, 0.001 to 86400 \[env\: FLEET_TIMEOUT\]]:SECS:_default' \
'--lock-wait=[Seconds to wait for another fleet run on the same project to finish, 0 to 86400 \[env\: FLEET_LOCK_WAIT\]]:SECS:_default' \
'--lock-lease=[Seconds a host'\''s lock taken by this run counts as held\: past it, another run may take the lock over (configs with \`hosts\`), 1 to 86400 \[env\: FLEET_LOCK_LEASE\]]:SECS:_default' \
'--connect-timeout=[Seconds to open the connection to one host (an SSH handshake)\: a host that does not answer by then fails alone, 0.001 to 86400 \[env\: FLEET_CONNECT_TIMEOUT\]]:SECS:_default' \
'*--host=[Only this host of the config'\''s \`hosts\` (repeatable; default\: all)]:NAME:_default' \
'--lock-dir=[Where the per-project lock file lives \[env\: FLEET_LOCK_DIR\]]:LOCK_DIR:_files' \
'--json[Print one JSON document instead of text (errors too)]' \
'(-q --quiet)-v[Print every docker command as it runs (env values are never shown)]' \
'(-q --quiet)--verbose[Print every docker command as it runs (env values are never shown)]' \
'-q[Print only errors (a requested --json document is still printed)]' \
'--quiet[Print only errors (a requested --json document is still printed)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_fleet__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:fleet-help-command-$line[1]:"
        case $line[1] in
            (sync)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(plan)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hosts)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(exec)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unlock)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(schema)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_fleet_commands] )) ||
_fleet_commands() {
    local commands; commands=(
'sync:Converge\: create, start, recreate and remove containers to match the config' \
'plan:Show what sync would do, changing nothing' \
'up:Start every stopped container of the project (as \`docker ps -a\` shows them)' \
'down:Stop every running container of the project, in parallel' \
'status:Desired against actual, one row a container, and each pool'\''s figures' \
'hosts:Each host\: how it is reached, its engine'\''s version, who holds its lock' \
'exec:Run a command in an agent, or in a ready, idle member of a type' \
'unlock:Release the lock a fleet run left on a host'\''s engine (after a crash)' \
'check:Validate the config; runs no docker command' \
'schema:Print the JSON Schema of agents.json (for editors and validators)' \
'completions:Print a shell completion script' \
'man:Print the man page (roff)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'fleet commands' commands "$@"
}
(( $+functions[_fleet__subcmd__check_commands] )) ||
_fleet__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'fleet check commands' commands "$@"
}
(( $+functions[_fleet__subcmd__completions_commands] )) ||
_fleet__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'fleet completions commands' commands "$@"
}
(( $+functions[_fleet__subcmd__down_commands] )) ||
_fleet__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'fleet down commands' commands "$@"
}
(( $+functions[_fleet__subcmd__exec_commands] )) ||
_fleet__subcmd__exec_commands() {
    local commands; commands=()
    _describe -t commands 'fleet exec commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help_commands] )) ||
_fleet__subcmd__help_commands() {
    local commands; commands=(
'sync:Converge\: create, start, recreate and remove containers to match the config' \
'plan:Show what sync would do, changing nothing' \
'up:Start every stopped container of the project (as \`docker ps -a\` shows them)' \
'down:Stop every running container of the project, in parallel' \
'status:Desired against actual, one row a container, and each pool'\''s figures' \
'hosts:Each host\: how it is reached, its engine'\''s version, who holds its lock' \
'exec:Run a command in an agent, or in a ready, idle member of a type' \
'unlock:Release the lock a fleet run left on a host'\''s engine (after a crash)' \
'check:Validate the config; runs no docker command' \
'schema:Print the JSON Schema of agents.json (for editors and validators)' \
'completions:Print a shell completion script' \
'man:Print the man page (roff)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'fleet help commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__check_commands] )) ||
_fleet__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help check commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__completions_commands] )) ||
_fleet__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help completions commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__down_commands] )) ||
_fleet__subcmd__help__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help down commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__exec_commands] )) ||
_fleet__subcmd__help__subcmd__exec_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help exec commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__help_commands] )) ||
_fleet__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help help commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__hosts_commands] )) ||
_fleet__subcmd__help__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help hosts commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__man_commands] )) ||
_fleet__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help man commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__plan_commands] )) ||
_fleet__subcmd__help__subcmd__plan_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help plan commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__schema_commands] )) ||
_fleet__subcmd__help__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help schema commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__status_commands] )) ||
_fleet__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help status commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__sync_commands] )) ||
_fleet__subcmd__help__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help sync commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__unlock_commands] )) ||
_fleet__subcmd__help__subcmd__unlock_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help unlock commands' commands "$@"
}
(( $+functions[_fleet__subcmd__help__subcmd__up_commands] )) ||
_fleet__subcmd__help__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'fleet help up commands' commands "$@"
}
(( $+functions[_fleet__subcmd__hosts_commands] )) ||
_fleet__subcmd__hosts_commands() {
    local commands; commands=()
    _describe -t commands 'fleet hosts commands' commands "$@"
}
(( $+functions[_fleet__subcmd__man_commands] )) ||
_fleet__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'fleet man commands' commands "$@"
}
(( $+functions[_fleet__subcmd__plan_commands] )) ||
_fleet__subcmd__plan_commands() {
    local commands; commands=()
    _describe -t commands 'fleet plan commands' commands "$@"
}
(( $+functions[_fleet__subcmd__schema_commands] )) ||
_fleet__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'fleet schema commands' commands "$@"
}
(( $+functions[_fleet__subcmd__status_commands] )) ||
_fleet__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'fleet status commands' commands "$@"
}
(( $+functions[_fleet__subcmd__sync_commands] )) ||
_fleet__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'fleet sync commands' commands "$@"
}
(( $+functions[_fleet__subcmd__unlock_commands] )) ||
_fleet__subcmd__unlock_commands() {
    local commands; commands=()
    _describe -t commands 'fleet unlock commands' commands "$@"
}
(( $+functions[_fleet__subcmd__up_commands] )) ||
_fleet__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'fleet up commands' commands "$@"
}

if [ "$funcstack[1]" = "_fleet" ]; then
    _fleet "$@"
else
    compdef _fleet fleet
fi
