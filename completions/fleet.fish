# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_fleet_global_optspecs
    string join \n c/config= docker= json color= jobs= timeout= lock-wait= lock-lease= connect-timeout= host= lock-dir= v/verbose q/quiet h/help V/version
end

function __fish_fleet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_fleet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_fleet_using_subcommand
    set -l cmd (__fish_fleet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c fleet -n "__fish_fleet_needs_command" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_needs_command" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_needs_command" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_needs_command" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_needs_command" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_needs_command" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_needs_command" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_needs_command" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_needs_command" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_needs_command" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_needs_command" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_needs_command" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_needs_command" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_needs_command" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_needs_command" -s V -l version -d 'Print version'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "sync" -d 'Converge: create, start, recreate and remove containers to match the config'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "plan" -d 'Show what sync would do, changing nothing'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "up" -d 'Start every stopped container of the project (as `docker ps -a` shows them)'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "down" -d 'Stop every running container of the project, in parallel'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "status" -d 'Desired against actual, one row a container, and each pool\'s figures'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "hosts" -d 'Each host: how it is reached, its engine\'s version, who holds its lock'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "exec" -d 'Run a command in an agent, or in a ready, idle member of a type'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "unlock" -d 'Release the lock a fleet run left on a host\'s engine (after a crash)'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "check" -d 'Validate the config; runs no docker command'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "schema" -d 'Print the JSON Schema of agents.json (for editors and validators)'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c fleet -n "__fish_fleet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l wait-timeout -d 'Seconds --wait may take, 0 to 86400' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l force -d 'Recreate or remove containers even while they have live `docker exec` sessions'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l allow-empty -d 'Accept a config that declares no container (removes the whole fleet)'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l wait -d 'End only once every container the run started is ready (healthy, or up 1s without restarting); exit 1 when one fails or time runs out'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand sync" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l detailed-exitcode -d 'Exit 0 when nothing is pending, 2 when changes are pending, 1 on error'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l force -d 'Plan as sync --force would'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l allow-empty -d 'Plan as sync --allow-empty would'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand plan" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand up" -l wait-timeout -d 'Seconds --wait may take, 0 to 86400' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand up" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand up" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand up" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand up" -l wait -d 'End only once every container the run started is ready (healthy, or up 1s without restarting); exit 1 when one fails or time runs out'
complete -c fleet -n "__fish_fleet_using_subcommand up" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand up" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand up" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand up" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand down" -s t -l time -d 'docker stop\'s grace period, in seconds, before SIGKILL' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand down" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand down" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand down" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand down" -l force -d 'Stop containers even while they have live `docker exec` sessions'
complete -c fleet -n "__fish_fleet_using_subcommand down" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand down" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand down" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand down" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand status" -l format -d 'What to print: a table, one JSON document (as --json), or Prometheus text exposition [default: text, json with --json]' -r -f -a "text\t''
json\t''
prometheus\t''"
complete -c fleet -n "__fish_fleet_using_subcommand status" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand status" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand status" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand status" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand status" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand status" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand status" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand status" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand hosts" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l queue -d 'Wait up to SECS for a member to be free (default: fail at once with exit 75), 0 to 86400' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s e -l env -d 'KEY=VALUE in the command\'s environment (repeatable; never on an argv, never printed)' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l env-file -d 'A file of KEY=VALUE lines for the command\'s environment (repeatable)' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l wait-timeout -d 'Seconds the agent may take to be ready before the command runs, 0 to 86400' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s i -l interactive -d 'Pass stdin on even when it is a terminal (it is passed on whenever it is not)'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s t -l tty -d 'Allocate a pseudo-TTY in the agent'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand exec" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l force -d 'Release the lock even when its holder is a fleet run still running on this machine'
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand check" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand check" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand check" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand check" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand check" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand check" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand check" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand check" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand schema" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand schema" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand schema" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand schema" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand schema" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand completions" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand completions" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand completions" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand completions" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand completions" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand man" -s c -l config -d 'The config file [env: FLEET_CONFIG]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand man" -l docker -d 'The docker CLI to run [env: FLEET_DOCKER]' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l color -d 'When to colour the text output (auto: never with NO_COLOR set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fleet -n "__fish_fleet_using_subcommand man" -l jobs -d 'How many docker operations may run at once' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l timeout -d 'Seconds one docker call may take before it is killed, 0.001 to 86400 [env: FLEET_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l lock-wait -d 'Seconds to wait for another fleet run on the same project to finish, 0 to 86400 [env: FLEET_LOCK_WAIT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l lock-lease -d 'Seconds a host\'s lock taken by this run counts as held: past it, another run may take the lock over (configs with `hosts`), 1 to 86400 [env: FLEET_LOCK_LEASE]' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l connect-timeout -d 'Seconds to open the connection to one host (an SSH handshake): a host that does not answer by then fails alone, 0.001 to 86400 [env: FLEET_CONNECT_TIMEOUT]' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l host -d 'Only this host of the config\'s `hosts` (repeatable; default: all)' -r
complete -c fleet -n "__fish_fleet_using_subcommand man" -l lock-dir -d 'Where the per-project lock file lives [env: FLEET_LOCK_DIR]' -r -F
complete -c fleet -n "__fish_fleet_using_subcommand man" -l json -d 'Print one JSON document instead of text (errors too)'
complete -c fleet -n "__fish_fleet_using_subcommand man" -s v -l verbose -d 'Print every docker command as it runs (env values are never shown)'
complete -c fleet -n "__fish_fleet_using_subcommand man" -s q -l quiet -d 'Print only errors (a requested --json document is still printed)'
complete -c fleet -n "__fish_fleet_using_subcommand man" -s h -l help -d 'Print help'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "sync" -d 'Converge: create, start, recreate and remove containers to match the config'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "plan" -d 'Show what sync would do, changing nothing'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "up" -d 'Start every stopped container of the project (as `docker ps -a` shows them)'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "down" -d 'Stop every running container of the project, in parallel'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "status" -d 'Desired against actual, one row a container, and each pool\'s figures'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "hosts" -d 'Each host: how it is reached, its engine\'s version, who holds its lock'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "exec" -d 'Run a command in an agent, or in a ready, idle member of a type'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "unlock" -d 'Release the lock a fleet run left on a host\'s engine (after a crash)'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "check" -d 'Validate the config; runs no docker command'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "schema" -d 'Print the JSON Schema of agents.json (for editors and validators)'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c fleet -n "__fish_fleet_using_subcommand help; and not __fish_seen_subcommand_from sync plan up down status hosts exec unlock check schema completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
