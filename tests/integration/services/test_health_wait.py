"""The health step's looks: one `pct exec` that asks again inside the CT, at the app's port
(`compose_health.PORT_WAIT`) and at `compose ps` while a healthcheck starts
(`compose_health.PS_WAIT`), run through the simulator's shell over real SSH."""

from __future__ import annotations

from proximity_tui.services.compose_health import PORT_WAIT, PS_WAIT

#: A probe that counts its tries in a file and answers from the `answer_at`-th on.
COUNTING = (
    'n=$(cat /tmp/tries 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > /tmp/tries; '
    'if [ "$n" -ge "$1" ]; then exit 0; fi; echo "refused at try $n" >&2; exit 4'
)


#: A `compose ps` stand-in that counts its tries and prints `$2` before the `$1`-th, `$3` from it.
PS_COUNTING = (
    'n=$(cat /tmp/tries 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > /tmp/tries; '
    'if [ "$n" -ge "$1" ]; then echo "$3"; else echo "$2"; fi'
)
STARTING = '{"Service":"web","State":"running","Health":"starting"}'
HEALTHY = '{"Service":"web","State":"running","Health":"healthy"}'
EXITED = '{"Service":"db","State":"exited","Health":""}'


def _look(services, app, tries: int, answer_at: int, wait=PORT_WAIT, probe=None):
    script = wait.format(tries=tries, pause=0.1)
    probe = probe or ["sh", "-c", COUNTING, "probe", str(answer_at)]
    services.call(services.exec.run(app.node, app.vmid, ["rm", "-f", "/tmp/tries"], check=False))
    result = services.call(
        services.exec.run(app.node, app.vmid, ["sh", "-c", script, "sh", *probe], check=False)
    )
    tried = services.call(services.exec.run(app.node, app.vmid, ["cat", "/tmp/tries"]))
    return result, int(tried.stdout.strip())


def test_a_port_that_opens_during_the_look_answers_it(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    result, tried = _look(services, app, tries=5, answer_at=3)
    assert result.exit_status == 0
    assert tried == 3  # asked again inside the CT until it answered, no further


def test_a_port_that_never_opens_ends_the_look_with_the_last_tries_words(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    result, tried = _look(services, app, tries=4, answer_at=99)
    assert tried == 4  # the look is bounded
    assert result.exit_status == 4  # the probe's own status, not the loop's
    assert result.stderr.strip().splitlines()[-1] == "refused at try 4"


def _ps_look(services, app, tries: int, answer_at: int, before: str, after: str):
    probe = ["sh", "-c", PS_COUNTING, "ps", str(answer_at), before, after]
    return _look(services, app, tries, answer_at, wait=PS_WAIT, probe=probe)


def test_a_healthcheck_that_turns_healthy_during_the_look_is_seen_then(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    result, tried = _ps_look(services, app, tries=6, answer_at=3, before=STARTING, after=HEALTHY)
    assert result.exit_status == 0
    assert tried == 3  # asked again while `starting`, not after `healthy`
    assert result.stdout.strip() == HEALTHY  # the last answer, for the product to judge


def test_a_ps_look_is_bounded_and_ends_at_once_on_an_exited_service(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    result, tried = _ps_look(services, app, tries=4, answer_at=99, before=STARTING, after=HEALTHY)
    assert (tried, result.exit_status, result.stdout.strip()) == (4, 0, STARTING)
    crashed = f"{STARTING}\n{EXITED}"
    result, tried = _ps_look(services, app, tries=9, answer_at=99, before=crashed, after=HEALTHY)
    assert tried == 1  # a crash is not waited on: the product reports it
    assert EXITED in result.stdout


def test_a_failing_ps_ends_the_look_with_its_status(services, hostname):
    app = services.call(services.apps.deploy_app("whoami", hostname))
    failing = ["sh", "-c", "echo 'no such service' >&2; exit 5"]
    result = services.call(
        services.exec.run(
            app.node,
            app.vmid,
            ["sh", "-c", PS_WAIT.format(tries=5, pause=0.1), "sh", *failing],
            check=False,
        )
    )
    assert result.exit_status == 5
    assert "no such service" in result.stderr


def test_the_port_is_asked_while_compose_ps_is_still_asked(services, faults, hostname):
    """The health step's two looks run side by side, each in its own `pct exec`: the port's
    command reaches the node while the `compose ps` one is held there, and the deploy ends
    once both have answered."""
    ps = faults.hold(command=r"docker compose -f \S+ ps ")
    port = faults.hold(command=r"wget -q -O /dev/null http://127\.0\.0\.1:")
    deploy = services.runtime.submit(services.apps.deploy_app("whoami", hostname))
    try:
        assert ps.wait_until(lambda g: g.holding >= 1)
        assert port.wait_until(lambda g: g.holding >= 1)  # sequential looks never got here
        assert not deploy.done()
    finally:
        ps.open()
        port.open()
    assert deploy.result(timeout=60).status == "running"
