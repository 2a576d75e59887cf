"""The diagnostics page asks the daemon to learn a line's disconnect tone."""


def test_learn_button_sends_the_command_and_says_so(client, auth, daemon, monkeypatch):
    auth.setup()
    plain = daemon.answer

    def answer(request_id, cmd):
        if cmd == "learn-tone":
            return {"id": request_id, "ok": True,
                    "result": {"port": "fxo1", "learning": True, "seconds": 10}}
        return plain(request_id, cmd)

    monkeypatch.setattr(daemon, "answer", answer)
    response = client.post("/diagnostics/learn-tone", data={"port": "fxo1"},
                           follow_redirects=True)
    assert "learn-tone" in daemon.commands
    assert "Listening to fxo1 for 10 s" in response.get_data(as_text=True)


def test_a_refusal_from_the_daemon_is_shown(client, auth, daemon):
    auth.setup()
    response = client.post("/diagnostics/learn-tone", data={"port": "fxo1"},
                           follow_redirects=True)
    assert "Not done: unknown command" in response.get_data(as_text=True)


def test_learn_without_the_service_says_it_is_not_running(client, auth):
    auth.setup()
    response = client.post("/diagnostics/learn-tone", data={"port": "fxo1"},
                           follow_redirects=True)
    assert "the service is not running" in response.get_data(as_text=True)
