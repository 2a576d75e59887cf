"""The diagnostics page asks the daemon to learn a line's disconnect tone."""


def test_learn_button_sends_the_command_and_says_so(client, auth, daemon):
    auth.setup()
    page = client.get("/diagnostics").get_data(as_text=True)
    assert "Learn the disconnect tone of" in page or "exchange lines" in page
    response = client.post("/diagnostics/learn-tone", data={"port": "fxo1"},
                           follow_redirects=True)
    assert "learn-tone" in daemon.commands
    assert "Listening to fxo1 for 10 s" in response.get_data(as_text=True)


def test_learn_without_the_service_says_it_is_not_running(client, auth):
    auth.setup()
    response = client.post("/diagnostics/learn-tone", data={"port": "fxo1"},
                           follow_redirects=True)
    assert "the service is not running" in response.get_data(as_text=True)
