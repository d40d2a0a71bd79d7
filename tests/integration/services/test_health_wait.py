"""The health step's look at the app's port: one `pct exec` that asks again inside the CT
(`compose_health.PORT_WAIT`), run through the simulator's shell over real SSH."""

from __future__ import annotations

from proximity_tui.services.compose_health import PORT_WAIT

#: A probe that counts its tries in a file and answers from the `answer_at`-th on.
COUNTING = (
    'n=$(cat /tmp/tries 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > /tmp/tries; '
    'if [ "$n" -ge "$1" ]; then exit 0; fi; echo "refused at try $n" >&2; exit 4'
)


def _look(services, app, tries: int, answer_at: int):
    script = PORT_WAIT.format(tries=tries, pause=0.1)
    probe = ["sh", "-c", COUNTING, "probe", str(answer_at)]
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
